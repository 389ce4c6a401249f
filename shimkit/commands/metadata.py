"""``shimkit metadata refresh`` and ``shimkit metadata show``: the refreshable download list."""

from __future__ import annotations

import json

from .. import downloads, metadata_cache, platform
from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli.parse import Args


def refresh(a: Args) -> int:
    settings = a.settings()
    output_format = a.output_format
    result = metadata_cache.refresh(
        settings.cache_dir, mirror=settings.mirror, offline=settings.offline, tag=a.tag, warn=output.warn
    )
    host = str(platform.host())
    mine = [k for k in result.added if k.endswith(f"-{host}")]
    override = settings.downloads_json
    if override:  # whatever the refresh did, install/list/upgrade read the override, not the refreshed list
        output.note(
            f"note: the download list override {override} (--downloads-json / SHIMKIT_PYTHON_DOWNLOADS_JSON_URL / "
            "downloads-json in shimkit.toml) is in force: install, list and upgrade use it, not the refreshed list"
        )
    if output_format == "json":
        output.out(
            json.dumps(
                {
                    "status": result.status,
                    "release": result.release,
                    "source": result.source,
                    "in_force": "override" if override else result.after.source,
                    "override": override,
                    "cache": str(result.cache_path),
                    "added": result.added,
                    "added_for_this_platform": mine,
                    "rebuilt": len(result.rebuilt),
                    "entries": result.entries,
                },
                indent=2,
            )
        )
        return 0
    if result.status == "unchanged":
        output.out(f"The download list is up to date: release {result.release} (checked {result.source})")
        return 0
    if result.status == "not-newer":
        output.out(
            f"Release {result.release} is not newer than the embedded download list "
            f"({result.after.newest_build}); the embedded list stays in force"
        )
        return 0
    was = f"{result.before.source} list, release {result.before.newest_build}"
    output.out(f"Refreshed the download list: release {result.release} ({result.entries} archives; was the {was})")
    if mine:
        output.out(f"New for this platform ({host}):")
        for key in mine:
            output.out(f"  {key}")
    else:
        output.out(f"Nothing new for this platform ({host})")
    others = len(result.added) - len(mine)
    if others:
        output.out(f"{others} new download{'s' if others != 1 else ''} for other platforms")
    if result.rebuilt:
        n = len(result.rebuilt)
        output.note(f"{n} download{' now comes' if n == 1 else 's now come'} from a newer build of the same version")
    if mine:
        output.note("`shimkit list --outdated` shows installed versions with a newer patch")
    return 0


def show(a: Args) -> int:
    settings = a.settings()
    output_format = a.output_format
    if settings.downloads_json:
        # an override is used whatever else is there, so an unreadable one must not look fine here:
        # fail with the error `shimkit list`/`install` would give
        downloads.load_metadata(settings.downloads_json, offline=settings.offline)
    info = metadata_cache.status(settings.downloads_json, settings.cache_dir, warn=output.warn)
    info["mirror"] = settings.mirror
    info["auto_refresh"] = settings.metadata_auto_refresh
    if output_format == "json":
        output.out(json.dumps(info, indent=2))
        return 0
    cache = info["cache"]
    emb = info["embedded"]
    output.out(f"in use:    {info['in_force']} ({info['reason']})")
    output.out(f"override:  {info['override'] or 'none'}")
    if cache["valid"]:
        output.out(f"cache:     {cache['path']}")
        output.out(
            f"           release {cache['release']} (newest build {cache['newest_build']}, {cache['entries']} archives)"
        )
        output.out(f"           from {cache['source']}")
        output.out(f"           fetched {cache['fetched_at']}, last checked {cache['checked_at']}")
    else:
        output.out(f"cache:     {'damaged, ignored' if cache['present'] else 'none'} ({cache['path']})")
    output.out(f"embedded:  newest build {emb['newest_build']} ({emb['entries']} archives)")
    output.out(f"mirror:    {info['mirror'] or 'none (github.com)'}")
    output.out(
        f"auto refresh: {'on (at most once a day)' if info['auto_refresh'] else 'off'}"
        + (f"; last attempt {info['last_refresh_attempt']}" if info["last_refresh_attempt"] else "")
    )
    return 0
