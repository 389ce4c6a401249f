"""``shimkit mirror sync`` and ``shimkit mirror verify``: mirrors for teams and fleets (see shimkit.mirror)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .. import platform
from ..model.request import parse_installable
from . import output
from .app import DownloadsJsonOpt, MirrorOpt, OfflineOpt, app, settings_from

mirror_app = typer.Typer(
    help="Build and check a mirror of Python archives that any static server, bucket or shared mount can serve.",
    no_args_is_help=True,
)
app.add_typer(mirror_app, name="mirror")


@mirror_app.command()
def sync(
    directory: Path = typer.Argument(..., help="The mirror directory (created if missing).", show_default=False),
    versions: Optional[List[str]] = typer.Argument(
        None, help="Requests to mirror (3.12, 3.11.9, pypy@3.10, >=3.10 …).", show_default=False
    ),
    platforms: Optional[List[str]] = typer.Option(
        None,
        "--platform",
        help="A platform to mirror for, e.g. linux-x86_64-gnu, macos-aarch64-none, windows-x86_64-none "
        "(repeatable; default: this machine's).",
        show_default=False,
    ),
    from_pins: Optional[Path] = typer.Option(
        None,
        "--from-pins",
        help="Also mirror every version pinned under this directory (.python-version, .python-versions, "
        "pyproject.toml requires-python).",
        show_default=False,
    ),
    base_url: Optional[str] = typer.Option(
        None,
        "--base-url",
        help="Write absolute URLs under this URL in the mirror's python-downloads.json (default: upstream URLs, "
        "which --mirror / UV_PYTHON_INSTALL_MIRROR map onto the mirror).",
        show_default=False,
    ),
    prune: bool = typer.Option(False, "--prune", help="Delete archives that are no longer selected."),
    downloads_json: Optional[str] = DownloadsJsonOpt,
    mirror: Optional[str] = MirrorOpt,
    offline: Optional[bool] = OfflineOpt,
) -> None:
    """Download and verify archives for every platform asked, with SHA256SUMS and python-downloads.json.

    Only missing or changed archives are fetched.  The files are replaced atomically: a sync that is
    interrupted leaves a mirror whose python-downloads.json names only complete archives.
    """
    from .. import mirror as core  # loaded only when a mirror command runs
    from ..fetch import FetchOptions
    from ..manager import metadata_for

    requests = [parse_installable(v) for v in versions or []]
    if from_pins is not None:
        requests += core.requests_from_pins(from_pins, output.warn)
    if not requests:
        raise typer.BadParameter("name at least one version, or use --from-pins", param_hint="VERSIONS")
    triples = [core.parse_platform(p) for p in platforms or []] or [platform.host()]
    settings = settings_from(downloads_json=downloads_json, mirror=mirror, offline=offline)
    metadata = metadata_for(settings)
    selected = core.select(requests, triples, metadata)
    with output.CliReporter() as reporter:
        result = core.sync(
            directory,
            selected,
            base_url=base_url,
            prune=prune,
            source_mirror=settings.mirror,
            options=FetchOptions.from_env(offline=settings.offline),
            reporter=reporter,
        )
    for key in result.downloaded:
        output.out(f"downloaded {key}")
    for key in result.present:
        output.note(f"up to date {key}")
    for key in result.kept:
        output.note(f"kept {key} (not selected; --prune removes it)")
    for rel in result.pruned:
        output.out(f"pruned {rel}")
    for text in result.warnings:
        output.warn(text)
    for _key, error in result.failed:
        output.error(error.one_line())
    output.note(f"{directory}: {result.listed} archives listed in python-downloads.json")
    if result.failed:
        raise typer.Exit(max(e.exit_code for _k, e in result.failed))


@mirror_app.command()
def verify(
    directory: Path = typer.Argument(..., help="The mirror directory.", show_default=False),
) -> None:
    """Check every archive against SHA256SUMS and python-downloads.json; list missing and corrupt ones."""
    from .. import mirror as core

    report = core.verify(directory)
    for problem in report.problems:
        output.error(problem)
    report.raise_if_damaged()
    output.out(f"{directory}: {report.checked} archives verified")
