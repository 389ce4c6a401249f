"""The typer application: command definitions only; the work happens in the core modules.

Command modules register themselves on :data:`app`; :func:`shimkit.entry.main` runs it and turns
:class:`~shimkit.errors.ShimkitError` into one line on stderr and an exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import __version__
from ..settings import Settings, load_settings
from . import output

app = typer.Typer(
    name="shimkit",
    help="Install and manage CPython interpreters; make `python` follow each project's pin.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        output.out(f"shimkit {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only results and errors."),
    version: Optional[bool] = typer.Option(
        None, "--version", "-V", callback=_version, is_eager=True, help="Print shimkit's version and exit."
    ),
) -> None:
    """Install and manage CPython interpreters; make `python` follow each project's pin."""
    output.set_quiet(quiet)
    output.show_core_warnings()


# Options shared by several commands ------------------------------------------------------
InstallDirOpt = typer.Option(
    None, "--install-dir", envvar=None, help="Install dir (default: SHIMKIT_PYTHON_INSTALL_DIR, the config file, "
    "or ~/.local/share/shimkit/python).", show_default=False,
)
BinDirOpt = typer.Option(
    None, "--bin-dir", help="Where python3.X executables go (default: SHIMKIT_BIN_DIR, XDG_BIN_HOME or ~/.local/bin).",
    show_default=False,
)
MirrorOpt = typer.Option(
    None, "--mirror", help="Replace the python-build-standalone release URL prefix (SHIMKIT_PYTHON_INSTALL_MIRROR).",
    show_default=False,
)
DownloadsJsonOpt = typer.Option(
    None, "--downloads-json", help="Path or URL of a download metadata file to use instead of the embedded one "
    "(SHIMKIT_PYTHON_DOWNLOADS_JSON_URL).", show_default=False,
)
OfflineOpt = typer.Option(None, "--offline", help="Never use the network (SHIMKIT_OFFLINE).", show_default=False)
NoConfigOpt = typer.Option(
    None, "--no-config", help="Ignore .python-version files and shimkit.toml (SHIMKIT_NO_CONFIG).", show_default=False
)


def settings_from(
    *,
    install_dir: Optional[Path] = None,
    bin_dir: Optional[Path] = None,
    mirror: Optional[str] = None,
    downloads_json: Optional[str] = None,
    offline: Optional[bool] = None,
    no_config: Optional[bool] = None,
    python_preference: Optional[str] = None,
    python_downloads: Optional[str] = None,
) -> Settings:
    """Settings from the config file and environment, with the given flags on top."""
    base = load_settings(read_config=not no_config)
    return base.with_overrides(
        install_dir=install_dir,
        bin_dir=bin_dir,
        mirror=mirror,
        downloads_json=downloads_json,
        offline=offline,
        no_config=no_config,
        python_preference=python_preference,
        python_downloads=python_downloads,
    )


# Command modules, in the order their commands appear in `shimkit --help`.
COMMAND_MODULES = ("python_cmds", "project_cmds", "shell_cmds", "metadata_cmds", "mirror_cmds", "doctor_cmds")


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:  # imported for their side effect of adding commands to `app`
        importlib.import_module(f"{__package__}.{name}")


_register()
