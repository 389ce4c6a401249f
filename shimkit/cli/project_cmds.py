"""``pin`` and ``find``: typer definitions for ``--help``, completion and docs.

The console script normally serves both through the fast lane (:mod:`shimkit.fastcmds.find`,
:mod:`shimkit.fastcmds.pin`) without importing typer; these definitions run when it hands a
command line over (``--help``, global options such as ``-q`` before the command, or an
argument list the fast lane does not understand) and call the same ``execute`` functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..fastcmds import find as find_cmd
from ..fastcmds import pin as pin_cmd
from .app import InstallDirOpt, NoConfigOpt, app


@app.command()
def find(
    request: Optional[str] = typer.Argument(
        None, help="What to find: 3.12, '>=3.11', pypy, cpython-3.12.3-linux-x86_64-gnu, a path … "
        "Default: the pin for this directory (.python-version, requires-python, global pin), else any.",
        show_default=False,
    ),
    system: bool = typer.Option(
        False, "--system", help="Ignore virtual environments (VIRTUAL_ENV and .venv)."
    ),
    managed_python: bool = typer.Option(
        False, "--managed-python", help="Only shimkit's own installations (python-preference only-managed)."
    ),
    no_managed_python: bool = typer.Option(
        False, "--no-managed-python",
        help="Never shimkit's own installations (python-preference only-system).",
    ),
    output_format: str = typer.Option(
        "text", "--output-format", help="text (the path) or json (path, version, implementation, variant, "
        "source, and key for managed installations)."
    ),
    install_dir: Optional[Path] = InstallDirOpt,
    no_config: Optional[bool] = NoConfigOpt,
) -> None:
    """Print the interpreter this directory would use (exit code 2 if nothing matches).

    Order: the active venv, a .venv in the project, managed installations (newest first), then
    python/python3/python3.X on PATH, then pyenv, uv and mise interpreters.
    """
    if output_format not in find_cmd.OUTPUT_FORMATS:
        raise typer.BadParameter("must be text or json", param_hint="--output-format")
    code = find_cmd.execute(find_cmd.FindOptions(
        request, system=system, managed_python=managed_python, no_managed_python=no_managed_python,
        output_format=output_format, install_dir=None if install_dir is None else str(install_dir),
        no_config=no_config,
    ))
    if code:
        raise typer.Exit(code)


@app.command()
def pin(
    request: Optional[str] = typer.Argument(
        None, help="The request to pin (3.12, 3.13t, '>=3.11', pypy@3.10 …). None: print the current pin and "
        "the file it comes from.", show_default=False,
    ),
    global_: bool = typer.Option(False, "--global", help="The user-level pin instead of the project's."),
    resolved: bool = typer.Option(
        False, "--resolved", help="Write the exact version the request resolves to (e.g. 3.11.7)."
    ),
    rm: bool = typer.Option(False, "--rm", help="Remove the version file in effect here (with --global: the "
                            "global pin)."),
    install_dir: Optional[Path] = InstallDirOpt,
    no_config: Optional[bool] = NoConfigOpt,
) -> None:
    """Pin the Python version of this project (.python-version at the project root), or show the pin."""
    code = pin_cmd.execute(pin_cmd.PinOptions(
        request, global_=global_, resolved=resolved, rm=rm,
        install_dir=None if install_dir is None else str(install_dir), no_config=no_config,
    ))
    if code:
        raise typer.Exit(code)
