"""``shimkit doctor``: check PATH, the shell hook, links, bin entries and venvs; say what to fix."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .. import doctor as core
from ..cli import output
from ..errors import ConfigError, UsageError
from ..redact import for_terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from ..cli.parse import Args

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


def doctor(a: Args) -> int:
    """Exit status 1 when a problem (warning or error) was found; -q prints only the problems."""
    from .. import shell as shell_mod
    from ..settings import load_settings
    from ..versionfile import logical_cwd

    findings: list[core.Finding] = []
    try:
        settings = a.settings()
    except ConfigError as exc:
        findings.append(core.Finding("config", "error", exc.message, exc.hint or "fix or remove the file"))
        settings = load_settings(read_config=False).with_overrides(install_dir=a.install_dir, bin_dir=a.bin_dir)
    else:
        where = f" ({settings.config_file})" if settings.config_file else " (no config file)"
        findings.append(core.Finding("config", "ok", "settings are valid" + where))
    if a.fix:
        for change in core.repair(settings):
            output.note(f"fixed: {change}")
    name = shell_mod.canonical_shell(a.shell) if a.shell else _detect_shell()
    ctx = core.Context(settings=settings, environ=dict(os.environ), cwd=Path(logical_cwd()), shell=name)
    findings += core.run_checks(ctx)
    problems = [f for f in findings if f.is_problem]
    if a.output_format == "json":
        output.out(json.dumps([f.to_json() for f in findings], indent=2))
        return 1 if problems else 0
    width = max(len(s) for s in core.STATUSES)
    for f in problems if output.quiet() else findings:  # messages name dirs and URLs: shown escaped
        output.out(f"{_paint(f.status, f.status.ljust(width))}  {for_terminal(f.message)}")
        if f.fix and f.status != "ok":
            output.out(f"{' ' * width}  fix: {for_terminal(f.fix)}")
    if problems:
        fixable = any(f.fixable for f in problems)
        output.status(
            f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} found"
            + ("; `shimkit doctor --fix` repairs the ones marked so" if fixable and not a.fix else "")
        )
        return 1
    output.status("\nNo problems found")
    return 0
