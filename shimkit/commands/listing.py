"""``shimkit list`` and ``shimkit dir``.

``list --only-installed`` and ``dir`` run often from scripts: they read no download list (no
network, no httpx) and import nothing heavy.
"""

from __future__ import annotations

import os

from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .. import manager
    from ..cli.parse import Args
    from ..settings import Settings


def dir_(a: Args) -> int:
    settings = a.settings()
    output.out(os.path.abspath(settings.bin_dir if a.bin else settings.install_dir))
    return 0


def list_(a: Args) -> int:
    from ..errors import UsageError

    settings = a.settings()
    if a.outdated:
        from .. import manager

        if a.only_installed or a.only_downloads or a.all_versions or a.all_platforms:
            raise UsageError(
                "--outdated excludes --only-installed, --only-downloads, --all-versions and --all-platforms",
                "drop one of them",
            )
        _list_outdated(manager.plan_upgrade([a.request] if a.request else [], settings), settings, a.output_format)
        return 0
    _show_rows(settings, a)
    return 0


def _show_rows(settings: Settings, a: Args) -> None:
    """The installed versions and available downloads (see :func:`shimkit.inventory.list_rows`),
    after a warning for each recorded venv whose interpreter was removed."""
    from ..inventory import list_rows
    from ..layout import VENV_RECORD
    from ..model.request import parse_request

    req = parse_request(a.request, allow_paths=False) if a.request else None
    rows = list_rows(
        settings,
        request=req,
        only_installed=a.only_installed,
        only_downloads=a.only_downloads,
        all_versions=a.all_versions,
        all_platforms=a.all_platforms,
    )
    if os.path.exists(os.path.join(settings.install_dir, VENV_RECORD)):  # shimkit made venvs: check them
        from .. import venv as venv_mod
        from ..store import Store

        for v in venv_mod.recorded(Store(settings.install_dir)):
            if v.broken:
                output.warn(
                    f"virtual environment {v.path} is broken: its interpreter dir {v.home} was removed; "
                    f"recreate it with `{venv_mod.recreate_command(v.path, v.home)}`"
                )
    if a.output_format == "json":
        import json

        output.out(json.dumps([r.to_json() for r in rows], indent=2))
        return
    if not rows:
        output.note("No Python installations found" if a.only_installed else "Nothing matches")
        return
    width = max(len(str(r.key)) for r in rows) + 4
    for r in rows:
        if r.executable is not None:
            where = r.executable
            if r.minor_link is not None:
                where += f"  (via {r.key.minor_key})"
        elif r.system is not None:
            where = f"{r.system.exe}  ({r.system.source})"
        else:
            where = "<download available>"
        output.out(f"{r.key!s:<{width}}{where}")


def _list_outdated(items: list[manager.UpgradeItem], settings: Settings, output_format: str) -> None:
    # the same plan `upgrade --dry-run` prints, so both always read the same download list
    todo = [i for i in items if i.newest is not None]
    if output_format == "json":  # the rows of `list`, with "upgrade" filled in
        import json

        from ..inventory import managed_row

        output.out(json.dumps([managed_row(settings.install_dir, i.current).to_json(i.newest) for i in todo], indent=2))
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
