"""``doctor``: check PATH, the shell hook, links, bin entries and venvs; say what to fix."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .. import doctor
from ..errors import ConfigError, UsageError
from ..redact import for_terminal
from ..settings import load_settings
from . import output
from .app import BinDirOpt, InstallDirOpt, app, settings_from

_COLORS = {"ok": "32", "info": "36", "warn": "33", "error": "31"}


def _detect_shell() -> Optional[str]:
    from .. import shell as shell_mod

    try:
        return shell_mod.detect_shell()
    except UsageError:
        return None


def _paint(status: str, text: str) -> str:
    if "NO_COLOR" in os.environ or not sys.stdout.isatty() or os.environ.get("TERM") == "dumb":
        return text
    return f"\033[{_COLORS[status]}m{text}\033[0m"


@app.command("doctor")
def doctor_command(
    fix: bool = typer.Option(
        False, "--fix", help="Repair what shimkit can: minor-version links, dangling bin entries, staging leftovers."
    ),
    shell: Optional[str] = typer.Option(
        None,
        "--shell",
        help="The shell to check the hook setup of (default: the shell running shimkit).",
        show_default=False,
    ),
    output_format: str = typer.Option("text", "--output-format", help="text or json."),
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
) -> None:
    """Check PATH order, the shell hook, links, bin entries and venvs, and say what to fix.

    Exit status 1 when a problem (warning or error) was found.
    """
    if output_format not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--output-format")
    findings: list[doctor.Finding] = []
    try:
        settings = settings_from(install_dir=install_dir, bin_dir=bin_dir)
    except ConfigError as exc:
        findings.append(doctor.Finding("config", "error", exc.message, exc.hint or "fix or remove the file"))
        settings = load_settings(read_config=False).with_overrides(install_dir=install_dir, bin_dir=bin_dir)
    else:
        where = f" ({settings.config_file})" if settings.config_file else " (no config file)"
        findings.append(doctor.Finding("config", "ok", "settings are valid" + where))
    if fix:
        for change in doctor.repair(settings):
            output.note(f"fixed: {change}")
    from .. import shell as shell_mod

    name = shell_mod.canonical_shell(shell) if shell else _detect_shell()
    ctx = doctor.Context(settings=settings, environ=dict(os.environ), cwd=_cwd(), shell=name)
    findings += doctor.run_checks(ctx)
    problems = [f for f in findings if f.is_problem]
    if output_format == "json":
        output.out(json.dumps([f.to_json() for f in findings], indent=2))
    else:
        width = max(len(s) for s in doctor.STATUSES)
        for f in findings:  # messages name directories and URLs: no escape sequence or password shown
            output.out(f"{_paint(f.status, f.status.ljust(width))}  {for_terminal(f.message)}")
            if f.fix and f.status != "ok":
                output.out(f"{' ' * width}  fix: {for_terminal(f.fix)}")
        if problems:
            fixable = any(f.fixable for f in problems)
            output.out(
                f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} found"
                + ("; `shimkit doctor --fix` repairs the ones marked so" if fixable and not fix else "")
            )
        else:
            output.out("\nNo problems found")
    if problems:
        raise typer.Exit(1)


def _cwd() -> Path:
    """The logical working directory (``$PWD`` when it is the real one), as the hooks see it."""
    from ..versionfile import logical_cwd

    return Path(logical_cwd())
