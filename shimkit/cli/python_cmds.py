"""``install``, ``uninstall``, ``list`` and ``dir``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import List, Optional

import typer

from .. import manager
from ..errors import ShimkitError
from ..requests import parse_request
from ..store import Store
from . import output
from .app import (
    BinDirOpt,
    DownloadsJsonOpt,
    InstallDirOpt,
    MirrorOpt,
    NoConfigOpt,
    OfflineOpt,
    app,
    settings_from,
)


@app.command()
def install(
    targets: Optional[List[str]] = typer.Argument(
        None,
        help="Versions to install (3.12, '>=3.10,<3.12', cpython-3.12.3-linux-x86_64-gnu …) or local "
        "python-build-standalone archives. None: what .python-version(s) asks for, else the newest stable.",
        show_default=False,
    ),
    reinstall: bool = typer.Option(False, "--reinstall", help="Install again even if already installed."),
    force: bool = typer.Option(False, "--force", help="Replace bin dir entries that shimkit did not create."),
    mirror: Optional[str] = MirrorOpt,
    downloads_json: Optional[str] = DownloadsJsonOpt,
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
    offline: Optional[bool] = OfflineOpt,
    no_config: Optional[bool] = NoConfigOpt,
) -> None:
    """Download and install Python versions (concurrently), with verified checksums."""
    settings = settings_from(
        install_dir=install_dir, bin_dir=bin_dir, mirror=mirror, downloads_json=downloads_json,
        offline=offline, no_config=no_config,
    )
    started = time.monotonic()
    with output.CliReporter() as reporter:
        report = manager.install(
            targets or [], settings, cwd=Path.cwd(), reinstall=reinstall, reporter=reporter, warn=output.warn,
        )
    for req, inst, newest in report.satisfied:
        line = f"{inst.key} is already installed (satisfies {req})"
        if newest is not None and newest.key.version > inst.key.version:
            line += f"; {newest.key.version} is available: shimkit upgrade {inst.key.major}.{inst.key.minor}"
        output.note(line)
    failures: list[ShimkitError] = []
    for o in report.outcomes:
        if o.status == "failed" and o.error is not None:
            failures.append(o.error)
            output.error(o.error.one_line())
            continue
        if o.status == "already-installed":
            output.note(f"{o.key} is already installed")
            continue
        verb = "Reinstalled" if o.status == "reinstalled" else "Installed"
        output.note(f"{verb} {o.key} in {output.seconds(time.monotonic() - started)}")
        old, new = o.link_change
        if new is not None and old != new:
            output.note(f"  {o.key.minor_key} -> {new}" + (f" (was {old})" if old else ""))
    if failures:
        raise typer.Exit(max(e.exit_code for e in failures))


@app.command()
def uninstall(
    targets: Optional[List[str]] = typer.Argument(None, help="Versions or keys to remove (3.12.1, 3.11 …).",
                                                   show_default=False),
    all_: bool = typer.Option(False, "--all", help="Remove every managed installation."),
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
) -> None:
    """Remove installations; minor-version links move to the next highest patch or go away."""
    settings = settings_from(install_dir=install_dir, bin_dir=bin_dir)
    result = manager.uninstall(targets or [], settings, all_=all_)
    for key in result.removed:
        output.note(f"Uninstalled {key}")
    for minor, (old, new) in result.link_changes.items():
        output.note(f"  {minor} -> {new}" if new else f"  removed link {minor}")


@app.command("list")
def list_(
    request: Optional[str] = typer.Argument(None, help="Only versions matching this request.", show_default=False),
    only_installed: bool = typer.Option(False, "--only-installed", help="Only installed versions."),
    only_downloads: bool = typer.Option(False, "--only-downloads", help="Only versions available for download."),
    all_versions: bool = typer.Option(False, "--all-versions", help="Every patch release, not just the newest per minor."),
    all_platforms: bool = typer.Option(False, "--all-platforms", help="Downloads for every platform, not just this one."),
    output_format: str = typer.Option("text", "--output-format", help="text or json."),
    install_dir: Optional[Path] = InstallDirOpt,
    downloads_json: Optional[str] = DownloadsJsonOpt,
    mirror: Optional[str] = MirrorOpt,
    offline: Optional[bool] = OfflineOpt,
) -> None:
    """List installed Python versions and the ones available for download."""
    if output_format not in ("text", "json"):
        raise typer.BadParameter("must be text or json", param_hint="--output-format")
    settings = settings_from(install_dir=install_dir, downloads_json=downloads_json, mirror=mirror, offline=offline)
    req = parse_request(request, allow_paths=False) if request else None
    rows = manager.list_rows(
        settings, request=req, only_installed=only_installed, only_downloads=only_downloads,
        all_versions=all_versions, all_platforms=all_platforms,
    )
    store = Store(settings.install_dir)
    if output_format == "json":
        output.out(json.dumps([r.to_json(store) for r in rows], indent=2))
        return
    if not rows:
        output.note("No Python installations found" if only_installed else "Nothing matches")
        return
    width = max(len(str(r.key)) for r in rows) + 4
    for r in rows:
        if r.installation is not None:
            where = str(r.installation.executable)
            if r.linked:
                where += f"  (via {r.key.minor_key})"
        else:
            where = "<download available>"
        output.out(f"{str(r.key):<{width}}{where}")


@app.command("dir")
def dir_(
    bin: bool = typer.Option(False, "--bin", help="Print the bin dir instead."),
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
) -> None:
    """Print where installations (or, with --bin, executables) live."""
    settings = settings_from(install_dir=install_dir, bin_dir=bin_dir)
    output.out(str(settings.bin_dir if bin else settings.install_dir))
