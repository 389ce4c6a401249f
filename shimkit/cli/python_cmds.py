"""``install``, ``uninstall``, ``list`` and ``dir``."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence

import typer

from .. import manager, provision
from .. import venv as venv_mod
from ..errors import InUseError, ShimkitError, StoreError, UsageError
from ..links import LinkReport, current_target, on_path
from ..store import Installation, Store
from ..versionfile import logical_cwd
from . import listing, output
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

if TYPE_CHECKING:
    from ..liveprocs import LiveProcess


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
    default: bool = typer.Option(False, "--default", help="Also create python3 and python in the bin dir."),
    no_bin: bool = typer.Option(False, "--no-bin", help="Do not create executables in the bin dir."),
    mirror: Optional[str] = MirrorOpt,
    downloads_json: Optional[str] = DownloadsJsonOpt,
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
    offline: Optional[bool] = OfflineOpt,
    no_config: Optional[bool] = NoConfigOpt,
) -> None:
    """Download and install Python versions (concurrently), with verified checksums."""
    if no_bin and (default or force or bin_dir is not None):
        raise UsageError("--no-bin excludes --default, --force and --bin-dir", "drop one of them")
    if default and len(targets or []) > 1:
        raise UsageError("--default takes one version (python and python3 can name only one)",
                         "install the others without --default")
    settings = settings_from(
        install_dir=install_dir,
        bin_dir=bin_dir,
        mirror=mirror,
        downloads_json=downloads_json,
        offline=offline,
        no_config=no_config,
    )
    started = time.monotonic()
    with output.CliReporter() as reporter:
        report = manager.install(
            targets or [],
            settings,
            cwd=Path(logical_cwd()),
            reinstall=reinstall,
            reporter=reporter,
            warn=output.warn,
            bin_options=manager.BinOptions(enabled=not no_bin, default=default, force=force),
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
        output.note(f"{verb} {o.key}")
        old, new = o.link_change
        if new is not None and old != new:
            output.note(f"  {o.key.minor_key} -> {new}" + (f" (was {old})" if old else ""))
    done = [o for o in report.outcomes if o.status in ("installed", "reinstalled")]
    if done:
        output.note(
            f"{len(done)} installation{'s' if len(done) > 1 else ''} in {output.seconds(time.monotonic() - started)}"
        )
    _report_bin(report.bin, settings.bin_dir, from_flag=bin_dir is not None)
    if report.bin.refused:
        failures.append(ShimkitError(""))
    if failures:
        raise typer.Exit(max(e.exit_code for e in failures))


def _report_bin(rep: LinkReport, bin_dir: Path, *, from_flag: bool = False) -> None:
    for p in rep.created + rep.updated:
        output.note(f"  {p} -> {current_target(p)}")
    for p in rep.refused:
        output.error(f"{p} exists and was not created by shimkit; left unchanged; hint: pass --force to replace it")
    if (rep.created or rep.updated) and not on_path(bin_dir):
        if from_flag:  # the shell hook adds the configured bin dir, not one given once with --bin-dir
            output.warn(f"{bin_dir} is not on PATH; add it yourself, or make it the bin dir for good "
                        "(SHIMKIT_BIN_DIR or bin-dir in shimkit.toml) and run `shimkit update-shell`")
        else:
            output.warn(f"{bin_dir} is not on PATH; run `shimkit update-shell` to add it")


@app.command()
def uninstall(
    targets: Optional[List[str]] = typer.Argument(
        None, help="Versions or keys to remove (3.12.1, 3.11 …).", show_default=False
    ),
    all_: bool = typer.Option(False, "--all", help="Remove every managed installation."),
    outdated: bool = typer.Option(False, "--outdated", help="Remove every patch that no minor-version link points to."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be removed (and which venvs break)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --outdated: do not ask for confirmation."),
    force: bool = typer.Option(
        False, "--force", help="Remove installations even while running processes use them (they may then fail)."
    ),
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
) -> None:
    """Remove installations; minor-version links move to the next highest patch or go away.

    An installation that running processes still use is left in place, naming them."""
    settings = settings_from(install_dir=install_dir, bin_dir=bin_dir)
    store = Store(settings.install_dir)
    if not dry_run:
        store.repair()  # what a killed uninstall left in .temp goes now, even if nothing matches
    if outdated:
        if targets or all_:
            raise typer.BadParameter("--outdated takes no versions and excludes --all")
        doomed = manager.outdated(settings)
        if not doomed:
            output.note("Nothing to remove: every installed patch is the one its minor-version link points to")
            return
    elif not targets and not all_:
        raise UsageError("nothing to uninstall", "name versions (e.g. `shimkit uninstall 3.12.1`) or pass --all")
    else:
        doomed = manager.uninstall_selection(targets or [], settings, all_=all_)
    if dry_run or outdated:
        for inst in doomed:
            output.out(f"{'would remove' if dry_run else 'remove'} {inst.key}  ({inst.path})")
    _warn_broken_venvs(store, doomed)
    if dry_run:
        if not force:
            from ..liveprocs import processes_using

            for inst in doomed:
                users = processes_using(inst.path)
                if users:
                    output.warn(f"{inst.key} is in use by {_names(users)} and would be left in place")
        return
    if outdated:
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError("refusing to remove installations without confirmation", "pass --yes")
            if not typer.confirm(f"Remove {len(doomed)} installation(s)?", default=False, err=True):
                raise typer.Exit(1)
        targets, all_ = [str(i.key) for i in doomed], False
    result = manager.uninstall(targets or [], settings, all_=all_, force=force)
    for key in result.removed:
        output.note(f"Uninstalled {key}")
    for minor, (_old, new) in result.link_changes.items():
        output.note(f"  {minor} -> {new}" if new else f"  removed link {minor}")
    for p in result.bin_removed:
        output.note(f"  removed {p}")
    kept = [f"{key} is in use by {_names(users)}" for key, users in result.in_use.items()]
    if kept and outdated:  # a clean-up: what is still running is cleaned up next time
        for line in kept:
            output.warn(f"{line}; left in place until they exit (or pass --force)")
    elif kept:
        raise InUseError(
            f"{'; '.join(kept)}; left in place",
            "run the command again once they have exited, or pass --force to remove it anyway",
        )


def _names(users: Sequence[LiveProcess], limit: int = 5) -> str:
    names = ", ".join(str(u) for u in users[:limit])
    return names + (f" and {len(users) - limit} more" if len(users) > limit else "")


def _warn_broken_venvs(store: Store, doomed: list[Installation]) -> None:
    for v, uses in manager.venvs_broken_by(store, doomed):
        output.warn(
            f"virtual environment {v.path} uses {uses} and will stop working; "
            f"recreate it afterwards with `{venv_mod.recreate_command(v.path, v.home)}`"
        )


@app.command()
def upgrade(
    targets: Optional[List[str]] = typer.Argument(
        None,
        help="Minor versions to upgrade (3.12, 3.13t). Default: every installed minor version.",
        show_default=False,
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would change."),
    no_bin: bool = typer.Option(False, "--no-bin", help="Do not touch the bin dir."),
    mirror: Optional[str] = MirrorOpt,
    downloads_json: Optional[str] = DownloadsJsonOpt,
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
    offline: Optional[bool] = OfflineOpt,
) -> None:
    """Move installed minor versions to their newest patch; venvs and bin entries follow."""
    settings = settings_from(
        install_dir=install_dir, bin_dir=bin_dir, mirror=mirror, downloads_json=downloads_json, offline=offline
    )
    items = manager.plan_upgrade(targets or [], settings)
    if not items:
        output.note("No managed Python installations to upgrade")
        return
    if not any(i.needed for i in items):
        output.note(
            "Everything is up to date: "
            + ", ".join(str(i.current.version) + ("t" if i.current.freethreaded else "") for i in items)
        )
        return
    for i in items:
        if i.newest is not None:
            output.out(
                f"{i.current.version} -> {i.newest.key.version}  ({i.minor_key})" + ("  [dry run]" if dry_run else "")
            )
        else:
            output.note(f"{i.current.version} is up to date  ({i.minor_key})")
    if dry_run:
        return
    with output.CliReporter() as reporter:
        outcomes, links = manager.upgrade(
            items, settings, reporter=reporter, bin_options=manager.BinOptions(enabled=not no_bin)
        )
    failed = [o.error for o in outcomes if o.error is not None]
    for e in failed:
        output.error(e.one_line())
    _report_bin(links, settings.bin_dir, from_flag=bin_dir is not None)
    if failed:
        raise typer.Exit(max(e.exit_code for e in failed))


@app.command()
def venv(
    path: Path = typer.Argument(Path(".venv"), help="Where to create the environment."),
    python: Optional[str] = typer.Option(
        None,
        "--python",
        "-p",
        help="The interpreter request (3.12, 3.12.1, a path …). "
        "Default: the version file's, else the newest installed.",
    ),
    seed: bool = typer.Option(False, "--seed", help="Install pip into the environment."),
    prompt: Optional[str] = typer.Option(None, "--prompt", help="The prompt prefix shown when activated."),
    clear: bool = typer.Option(False, "--clear", help="Replace an existing environment at PATH."),
    install_dir: Optional[Path] = InstallDirOpt,
    no_config: Optional[bool] = NoConfigOpt,
    offline: Optional[bool] = OfflineOpt,
) -> None:
    """Create a virtual environment that follows patch upgrades of its minor version."""
    settings = settings_from(install_dir=install_dir, no_config=no_config, offline=offline)
    with output.CliReporter() as reporter:
        exe = provision.venv_interpreter(python, settings, cwd=Path(logical_cwd()), reporter=reporter, warn=output.warn)
    venv_mod.create(path, exe, seed=seed, prompt=prompt, clear=clear)
    store = Store(settings.install_dir)
    if str(exe).startswith(str(store.root) + os.sep):
        try:
            venv_mod.record(store, path)
        except StoreError as exc:  # a read-only install dir: the venv works, it is just not recorded
            output.warn(f"{exc.message}; `shimkit uninstall` will not warn that {path} uses {exe}")
    output.note(f"Created virtual environment {path} with {exe}")
    output.note(f"Activate with: source {path}/bin/activate")


@app.command("list")
def list_(
    request: Optional[str] = typer.Argument(None, help="Only versions matching this request.", show_default=False),
    only_installed: bool = typer.Option(False, "--only-installed", help="Only installed versions."),
    only_downloads: bool = typer.Option(False, "--only-downloads", help="Only versions available for download."),
    all_versions: bool = typer.Option(
        False, "--all-versions", help="Every patch release, not just the newest per minor."
    ),
    all_platforms: bool = typer.Option(
        False, "--all-platforms", help="Downloads for every platform, not just this one."
    ),
    outdated: bool = typer.Option(
        False, "--outdated", help="Only installed minor versions with a newer patch available (what `upgrade` does)."
    ),
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
    if outdated:
        if only_installed or only_downloads or all_versions or all_platforms:
            raise UsageError(
                "--outdated excludes --only-installed, --only-downloads, --all-versions and --all-platforms"
            )
        _list_outdated(manager.plan_upgrade([request] if request else [], settings), output_format)
        return
    listing.show_rows(
        settings,
        request,
        only_installed=only_installed,
        only_downloads=only_downloads,
        all_versions=all_versions,
        all_platforms=all_platforms,
        output_format=output_format,
    )


def _list_outdated(items: List[manager.UpgradeItem], output_format: str) -> None:
    # the same plan `upgrade --dry-run` prints, so both always read the same download list
    todo = [i for i in items if i.newest is not None]
    if output_format == "json":
        output.out(
            json.dumps(
                [
                    {
                        "minor_key": i.minor_key,
                        "installed": str(i.current),
                        "installed_version": str(i.current.version),
                        "available": str(i.newest.key),
                        "available_version": str(i.newest.key.version),
                        "url": i.newest.url,
                    }
                    for i in todo
                    if i.newest
                ],
                indent=2,
            )
        )
        return
    if not items:
        output.note("No managed Python installations")
    elif not todo:
        output.note("Every installed minor version has the newest patch")
    width = max((len(str(i.current)) for i in todo), default=0) + 4
    for i in todo:
        assert i.newest is not None
        hint = f"shimkit upgrade {i.current.minor_request}"
        output.out(f"{i.current!s:<{width}}{i.newest.key.version} available ({hint})")


@app.command("dir")
def dir_(
    bin: bool = typer.Option(False, "--bin", help="Print the bin dir instead."),
    install_dir: Optional[Path] = InstallDirOpt,
    bin_dir: Optional[Path] = BinDirOpt,
) -> None:
    """Print where installations (or, with --bin, executables) live."""
    from ..fastcmds.dir import where

    output.out(where(bin=bin, install_dir=None if install_dir is None else str(install_dir),
                     bin_dir=None if bin_dir is None else str(bin_dir)))
