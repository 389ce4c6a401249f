"""What ``shimkit list`` prints (all but ``--outdated``).

Shared by the typer command and the fast lane (:mod:`shimkit.fastcmds.list`, which serves
``list --only-installed``), so it must not import typer.
"""

from __future__ import annotations

import json
from typing import Optional

from .. import manager
from .. import venv as venv_mod
from ..model.request import parse_request
from ..settings import Settings
from ..store import Store
from . import output


def show_rows(
    settings: Settings,
    request: Optional[str],
    *,
    only_installed: bool = False,
    only_downloads: bool = False,
    all_versions: bool = False,
    all_platforms: bool = False,
    output_format: str = "text",
) -> None:
    """Print the installed versions and available downloads (see :func:`shimkit.manager.list_rows`),
    after a warning for each recorded venv whose interpreter was removed."""
    req = parse_request(request, allow_paths=False) if request else None
    rows = manager.list_rows(
        settings,
        request=req,
        only_installed=only_installed,
        only_downloads=only_downloads,
        all_versions=all_versions,
        all_platforms=all_platforms,
    )
    store = Store(settings.install_dir)
    for v in venv_mod.recorded(store):
        if v.broken:
            output.warn(
                f"virtual environment {v.path} is broken: its interpreter dir {v.home} was removed; "
                f"recreate it with `{venv_mod.recreate_command(v.path, v.home)}`"
            )
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
        elif r.system is not None:
            where = f"{r.system.exe}  ({r.system.source})"
        else:
            where = "<download available>"
        output.out(f"{r.key!s:<{width}}{where}")
