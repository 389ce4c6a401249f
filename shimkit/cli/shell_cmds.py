"""``init``, ``shell``, ``update-shell``, ``shims enable|disable|status`` and the hidden ``hook-resolve``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .. import shell as shell_mod
from ..errors import NotFoundError, UsageError
from ..model.request import parse_request
from ..versionfile import session_override
from . import output
from .app import BinDirOpt, InstallDirOpt, app, settings_from

ShellArg = typer.Argument(
    None,
    help="bash, zsh, fish, sh (dash), ksh, nu, xonsh or pwsh. Default: the shell running shimkit.",
    show_default=False,
)


@app.command("init")
def init(
    shell: Optional[str] = ShellArg,
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
) -> None:
    """Print the shell hook that makes `python` follow each project's pin.

    bash/zsh/sh/ksh: eval "$(shimkit init bash)"; fish: shimkit init fish | source;
    xonsh: execx($(shimkit init xonsh)); pwsh: Invoke-Expression (& shimkit init pwsh | Out-String);
    nu: shimkit init nu | save -f ~/.config/nushell/autoload/shimkit.nu (or `shimkit update-shell nu`).
    """
    name = shell_mod.canonical_shell(shell) if shell else shell_mod.detect_shell()
    settings = settings_from(install_dir=install_dir, bin_dir=bin_dir)
    text = shell_mod.init_script(name, settings)
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()


@app.command("shell")
def shell_override(
    request: Optional[str] = typer.Argument(
        None, help="The Python to use in this shell session (3.12, 3.13t, '>=3.11' …).", show_default=False
    ),
    unset: bool = typer.Option(False, "--unset", help="Drop this session's override."),
) -> None:
    """Use another Python in this shell session only (sets SHIMKIT_PYTHON through the hook).

    With no argument, print the current override.
    """
    hooked = bool(os.environ.get("SHIMKIT_SHELL_HOOK"))
    if request is not None and unset:
        raise UsageError("give a version or --unset, not both")
    if request is None and not unset:
        current = session_override()
        if current is None:
            raise NotFoundError("no session override is set", "set one with: shimkit shell 3.12")
        output.out(current.lines[0])
        return
    if unset:
        if not hooked:
            raise UsageError(
                "`shimkit shell` needs the shell integration to change this shell",
                "set it up with `shimkit update-shell`, or run: " + shell_mod.session_command(None),
            )
        output.out("unset")
        return
    assert request is not None
    text = str(parse_request(request, allow_paths=False))
    if not hooked:
        raise UsageError(
            "`shimkit shell` needs the shell integration to change this shell",
            "set it up with `shimkit update-shell`, or run: " + shell_mod.session_command(text),
        )
    output.out(f"set {text}")


@app.command("update-shell")
def update_shell(
    shell: Optional[str] = ShellArg,
    shims: bool = typer.Option(False, "--shims", help="Also put the shims dir first on PATH (see `shims enable`)."),
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
) -> None:
    """Add the shell integration to your shell's startup file, once."""
    from ..dirs import default_shims_dir

    name = shell_mod.canonical_shell(shell) if shell else shell_mod.detect_shell()
    settings = settings_from(install_dir=install_dir, bin_dir=bin_dir)
    change = shell_mod.update_rc(name, settings, shims_dir=default_shims_dir() if shims else None)
    if change.action == "unchanged":
        output.note(f"{change.path} already sets up shimkit for {name}; nothing changed")
        return
    if name == "nu":
        output.note(f"{change.action.capitalize()} {change.path} (the hook itself; nushell loads it at start)")
    else:
        verb = "Created" if change.action == "created" else "Added to"
        output.note(f"{verb} {change.path}:")
        for line in change.lines:
            output.note(f"  {line}")
    output.note("Open a new shell (or source that file) to use it.")


@app.command("hook-resolve", hidden=True)
def hook_resolve(
    directory: Optional[Path] = typer.Argument(None),
    install_dir: Optional[Path] = typer.Option(None, "--install-dir"),
    host: Optional[str] = typer.Option(None, "--host"),
    global_file: Optional[str] = typer.Option(None, "--global-file"),
) -> None:
    """Resolve DIR's request for a shell hook or shim (the shimkit.fastcmds.hook_resolve protocol)."""
    from ..fastcmds import hook_resolve as hr

    code = hr.main(
        directory if directory is not None else hr._cwd(),
        install_dir=install_dir,
        host=host,
        global_file=global_file,
    )
    if code:
        raise typer.Exit(code)


shims_app = typer.Typer(
    help="Opt-in `python` shims for scripts, cron, IDEs and `#!/usr/bin/env python`.",
    no_args_is_help=True,
)
app.add_typer(shims_app, name="shims")


@shims_app.command("enable")
def shims_enable(
    install_dir: Optional[Path] = InstallDirOpt,
    shims_dir: Optional[Path] = typer.Option(None, "--shims-dir", help="Default: ~/.local/share/shimkit/shims."),
) -> None:
    """Write python, python3, pip and pip3 shims into the shims dir."""
    from .. import shims

    settings = settings_from(install_dir=install_dir)
    report = shims.enable(settings, shims_dir=shims_dir)
    for name in report.written:
        output.note(f"wrote {report.shims_dir / name}")
    if not report.written:
        output.note(f"the shims in {report.shims_dir} are up to date")
    state = shims.path_state(report.shims_dir)
    if not state.on_path:
        output.note(
            f"Put {report.shims_dir} first on PATH where you want the shims (`shimkit update-shell --shims` "
            "does it for your shell; cron and IDEs need it in their own PATH setting)."
        )


@shims_app.command("disable")
def shims_disable(
    shims_dir: Optional[Path] = typer.Option(None, "--shims-dir", help="Default: ~/.local/share/shimkit/shims."),
) -> None:
    """Remove the shims (nothing else)."""
    from .. import shims

    removed = shims.disable(shims_dir=shims_dir)
    for path in removed:
        output.note(f"removed {path}")
    if not removed:
        output.note("no shims to remove")


@shims_app.command("status")
def shims_status(
    install_dir: Optional[Path] = InstallDirOpt,
    shims_dir: Optional[Path] = typer.Option(None, "--shims-dir", help="Default: ~/.local/share/shimkit/shims."),
) -> None:
    """Show the shims dir, whether it is on PATH, and which other pythons it comes before."""
    from .. import shims

    settings = settings_from(install_dir=install_dir)
    for line in shims.status_lines(settings, shims_dir=shims_dir):
        output.out(line)
