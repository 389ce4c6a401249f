"""The refreshed download list: fetched by ``shimkit metadata refresh``, cached in the user cache dir.

A refresh reads python-build-standalone release data (see :mod:`shimkit.pbs_release`) through the
same mirror setting as downloads:

* without a mirror: ``latest-release.json`` from the PBS repository's ``latest-release`` branch,
  then ``https://github.com/astral-sh/python-build-standalone/releases/download/<tag>/SHA256SUMS``;
* with ``--mirror``/``SHIMKIT_PYTHON_INSTALL_MIRROR`` = M: ``M/latest-release.json`` and
  ``M/<tag>/SHA256SUMS`` (``--tag`` skips ``latest-release.json``).

The chosen archives of that release are merged over those of earlier refreshes and written
atomically to ``<user cache dir>/downloads-refreshed.json`` with where they came from, when, and
the ``ETag``/``Last-Modified`` validators that make the next unchanged refresh one request answered
``304 Not Modified``.  URLs are stored relative to the PBS release prefix, so ``--mirror`` keeps
working as a plain prefix swap at install time.

Which list is used (:func:`in_force`, also what ``shimkit metadata show`` reports): a
``--downloads-json`` override, else this cache when its newest build is newer than the embedded
list's (its entries then replace the embedded ones of the same key, and add new keys), else the
embedded list.  A cache that fails validation (schema, checksums, keys, its own digest) is
ignored with a warning, never trusted; a failed refresh never touches it.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from pathlib import Path

from . import pbs_release
from .download_list import Metadata, load_embedded
from .errors import DownloadError, OfflineError, ShimkitError, StoreError
from .record import Record, field
from .refreshed_list import (
    cache_file,
    cache_wins,
    default_warn,
    load_cache,
    merged,
    write_cache,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Iterable, Optional

    from _typeshed import StrPath

    from .fetch import FetchOptions
    from .refreshed_list import Row, Warn

STAMP_FILE = "downloads-refreshed.checked"  # mtime = the last refresh attempt (for auto refresh)
AUTO_REFRESH_INTERVAL = 24 * 3600.0
AUTO_REFRESH_TIMEOUT = 10.0  # seconds without progress; an automatic refresh must not stall a command
_REFRESH_FAILED = "cannot refresh the download list: "


# ---- refresh -------------------------------------------------------------------------------
class RefreshResult(Record):
    """What a refresh did, for the CLI to print."""

    status: str  # "updated", "unchanged" (nothing new upstream), "not-newer" (not newer than embedded)
    release: str  # the release tag the list now comes from
    source: str  # the URL that told us
    before: Metadata  # the list in force before
    after: Metadata  # the list in force now
    cache_path: Path
    added: list[str] = field(default_factory=list)  # keys the list in force did not have
    rebuilt: list[str] = field(default_factory=list)  # keys now served by a newer build
    entries: int = 0  # archives chosen from the release


def _merge_rows(base: Iterable[Row], newer: Iterable[Row]) -> dict[str, Row]:
    out = {r[0]: r for r in base}
    for r in newer:
        old = out.get(r[0])
        if old is None or r[1] >= old[1]:
            out[r[0]] = r
    return out


def _diff(before: Metadata, after: Metadata) -> tuple[list[str], list[str]]:
    old = {d.key_text: d for d in before.downloads}
    added = sorted(k for k in (d.key_text for d in after.downloads) if k not in old)
    rebuilt = sorted(d.key_text for d in after.downloads if d.key_text in old and old[d.key_text].build < d.build)
    return added, rebuilt


def _utc_now(now: Optional[float] = None) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(time.time() if now is None else now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def touch_stamp(cache_dir: StrPath, now: Optional[float] = None) -> None:
    """Record a refresh attempt (automatic refreshes happen at most once a day)."""
    stamp = Path(cache_dir) / STAMP_FILE
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    if now is not None:
        os.utime(stamp, (now, now))


def refresh(
    cache_dir: StrPath,
    *,
    mirror: Optional[str] = None,
    offline: bool = False,
    tag: Optional[str] = None,
    options: Optional[FetchOptions] = None,
    warn: Optional[Warn] = None,
    now: Optional[float] = None,
) -> RefreshResult:
    """Fetch the newest (or the ``tag``) release's checksums, verify them, and update the cache.

    Nothing is written unless everything verified; on any error the previous list stays in force.
    """
    if offline:
        raise OfflineError(
            "refreshing the download list needs the network but offline mode is on",
            "unset --offline/SHIMKIT_OFFLINE; the current list stays in force",
        )
    try:
        try:
            from .fetch import FetchOptions  # the HTTP layer only for a refresh: `metadata show` needs none

            return _refresh(cache_dir, mirror, tag, options or FetchOptions.from_env(), warn, now)
        except OSError as exc:
            raise StoreError(
                f"cannot write the download list cache in {cache_dir}: {exc.strerror or exc}",
                "check the permissions and free space of the user cache dir (XDG_CACHE_HOME)",
            ) from None
    except ShimkitError as exc:
        # say what failed and that nothing changed, whatever layer raised it
        exc.message = _REFRESH_FAILED + exc.message
        if "stays in force" not in (exc.hint or ""):
            exc.hint = (exc.hint + "; " if exc.hint else "") + "the previous download list stays in force"
        raise


def _refresh(
    cache_dir: StrPath,
    mirror: Optional[str],
    tag: Optional[str],
    opts: FetchOptions,
    warn: Optional[Warn],
    now: Optional[float],
) -> RefreshResult:
    embedded = load_embedded()
    previous = load_cache(cache_dir, warn)
    before = merged(embedded, previous) if previous is not None and cache_wins(previous, embedded) else embedded
    validators: dict[str, dict[str, str]] = {u: dict(v) for u, v in (previous.validators if previous else {}).items()}
    touch_stamp(cache_dir, now)
    stamp_time = _utc_now(now)

    def remember(url: str, etag: Optional[str], last_modified: Optional[str]) -> None:
        v = {k: x for k, x in (("etag", etag), ("last_modified", last_modified)) if x}
        if v:
            validators[url] = v
        else:
            validators.pop(url, None)

    from .fetch import fetch_if_changed

    def fetch(url: str, missing_hint: str) -> Optional[bytes]:
        v = validators.get(url, {}) if previous is not None else {}
        try:
            got = fetch_if_changed(url, opts, etag=v.get("etag"), last_modified=v.get("last_modified"))
        except DownloadError as exc:
            if not _is_missing(exc, url):
                raise
            # fetch's generic 404 hint names options `refresh` does not have; say what to do here
            raise DownloadError(exc.message, missing_hint) from None
        remember(url, got.etag, got.last_modified)
        return got.body

    def unchanged(source: str) -> RefreshResult:
        assert previous is not None
        kept = write_cache(
            cache_dir,
            release=previous.release,
            source=previous.source,
            rows=previous.rows,
            fetched_at=previous.fetched_at,
            checked_at=stamp_time,
            validators=validators,
        )
        return RefreshResult(
            "unchanged" if cache_wins(kept, embedded) else "not-newer",
            previous.release,
            source,
            before,
            before,
            kept.path,
        )

    if tag is None:
        latest_url = pbs_release.latest_release_url(mirror)
        where = f"the mirror {mirror}" if mirror else "python-build-standalone"
        body = fetch(
            latest_url,
            f"{where} has no {pbs_release.LATEST_RELEASE_NAME}; refresh from a named release instead with "
            "`shimkit metadata refresh --tag TAG` (TAG is a release date such as 20260814), "
            "or check --mirror/SHIMKIT_PYTHON_INSTALL_MIRROR",
        )
        if body is None:  # 304: the newest release is the one refreshed last time
            return unchanged(latest_url)
        tag = pbs_release.parse_latest_release(body, latest_url).tag
        if previous is not None and previous.release == tag:
            return unchanged(latest_url)
        named_by = f"{latest_url} names release {tag}, but "
    else:
        tag = pbs_release.check_tag(tag, "--tag")
        named_by = ""
    sums_url = pbs_release.sha256sums_url(tag, mirror)
    body = fetch(
        sums_url,
        (
            f"{named_by}release {tag} is not on the mirror {mirror} (it has no {tag}/{pbs_release.SHA256SUMS_NAME}); "
            "check the tag and that the mirror holds that release, or check --mirror/SHIMKIT_PYTHON_INSTALL_MIRROR"
        )
        if mirror
        else f"{named_by}python-build-standalone has no release {tag}; check the tag (a release date such as 20260814)",
    )
    if body is None:
        return unchanged(sums_url)
    selection = pbs_release.select_entries(pbs_release.parse_sha256sums(body, sums_url), tag)
    if not selection.entries:
        raise pbs_release.ReleaseDataError(
            f"{sums_url} lists no CPython archive shimkit can install",
            "check that the mirror holds a python-build-standalone release; the previous download list stays in force",
        )
    new_rows = [(e.key, e.build, e.url_path, e.sha256) for e in selection.entries.values()]
    rows = _merge_rows(previous.rows if previous else (), new_rows)
    written = write_cache(
        cache_dir,
        release=tag,
        source=sums_url,
        rows=rows.values(),
        fetched_at=stamp_time,
        checked_at=stamp_time,
        validators=validators,
    )
    after = merged(embedded, written) if cache_wins(written, embedded) else embedded
    added, rebuilt = _diff(before, after)
    status = "updated" if cache_wins(written, embedded) else "not-newer"
    return RefreshResult(status, tag, sums_url, before, after, written.path, added, rebuilt, len(new_rows))


def _is_missing(exc: DownloadError, url: str) -> bool:
    """Whether a fetch failed because the document is not there (HTTP 404, or a missing file)."""
    if type(exc) is not DownloadError:  # retried transient failures, checksum errors: something else
        return False
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file":
        return not Path(urllib.parse.unquote(parsed.path)).exists()
    return exc.message.startswith("HTTP 404 ")


# ---- automatic refresh ---------------------------------------------------------------------
def auto_refresh_due(cache_dir: StrPath, now: Optional[float] = None) -> bool:
    """True when no refresh was attempted in the last day (or the stamp is from the future)."""
    try:
        last = (Path(cache_dir) / STAMP_FILE).stat().st_mtime
    except OSError:
        return True
    age = (time.time() if now is None else now) - last
    return age >= AUTO_REFRESH_INTERVAL or age < -AUTO_REFRESH_INTERVAL


def auto_refresh(cache_dir: StrPath, *, mirror: Optional[str], warn: Optional[Warn] = None) -> Optional[RefreshResult]:
    """Refresh if due; a failure is a warning (the previous list stays in force), never an error.

    The attempt is recorded first, so a failing network costs one attempt a day, not one per
    command; the fetch has a short timeout and no retries.
    """
    if not auto_refresh_due(cache_dir):
        return None
    from .fetch import FetchOptions

    env = FetchOptions.from_env()
    opts = FetchOptions(timeout=min(env.timeout, AUTO_REFRESH_TIMEOUT), retries=0, backoff=env.backoff)
    try:
        touch_stamp(cache_dir)
        return refresh(cache_dir, mirror=mirror, options=opts, warn=warn)
    except (ShimkitError, OSError) as exc:
        text = exc.message.removeprefix(_REFRESH_FAILED) if isinstance(exc, ShimkitError) else str(exc)
        (warn or default_warn)(f"automatic download list refresh failed: {text}; the previous list stays in force")
        return None


# ---- status (`shimkit metadata show`) --------------------------------------------------------
def status(downloads_json: Optional[str], cache_dir: StrPath, warn: Optional[Warn] = None) -> dict[str, Any]:
    """Every source, whether it is used and why, as plain data (no network access)."""
    embedded = load_embedded()
    cached = load_cache(cache_dir, warn)
    path = cache_file(cache_dir)
    cache_info: dict[str, Any] = {"path": str(path), "present": path.exists(), "valid": cached is not None}
    if cached is not None:
        cache_info.update(
            release=cached.release,
            newest_build=cached.newest_build,
            source=cached.source,
            fetched_at=cached.fetched_at,
            checked_at=cached.checked_at,
            entries=len(cached.rows),
            newer_than_embedded=cache_wins(cached, embedded),
        )
    if downloads_json:
        used, why = "override", "--downloads-json / SHIMKIT_PYTHON_DOWNLOADS_JSON_URL is set"
    elif cached is not None and cache_wins(cached, embedded):
        used, why = "cache", f"the refreshed list ({cached.newest_build}) is newer than the embedded one"
    elif cached is not None:
        used, why = (
            "embedded",
            (
                f"the refreshed list ({cached.newest_build}) is not newer than the embedded one "
                f"({embedded.newest_build})"
            ),
        )
    elif path.exists():
        used, why = "embedded", "the refreshed list is damaged and ignored"
    else:
        used, why = "embedded", "no refreshed list (run `shimkit metadata refresh`)"
    stamp = Path(cache_dir) / STAMP_FILE
    last_attempt = _utc_now(stamp.stat().st_mtime) if stamp.exists() else None
    return {
        "in_force": used,
        "reason": why,
        "override": downloads_json,
        "cache": cache_info,
        "embedded": {
            "newest_build": embedded.newest_build,
            "entries": len(embedded.downloads),
            "source": embedded.description,
        },
        "last_refresh_attempt": last_attempt,
    }
