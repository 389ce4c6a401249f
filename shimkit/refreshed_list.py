"""The refreshed download list on disk: validated when read, written atomically, merged over the
embedded list when it is newer (part of :mod:`shimkit.metadata_cache`, which refreshes it).

Split from the refresh so that every install, which reads the list in force, does not import the
HTTP client or the release parser: only ``shimkit metadata refresh`` and the daily automatic
refresh need those.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path

from . import pbs_release
from .dirs import REFRESHED_DOWNLOADS
from .download_list import PBS_PREFIX, Download, Metadata
from .errors import ShimkitError, ShimkitWarning
from .model.key import parse_key
from .record import Record, field
from .safeio import write_text_atomic

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

    from _typeshed import StrPath

    Row = tuple[str, str, str, str]  # key, build, URL relative to PBS_PREFIX, sha256
    Warn = Callable[[str], None]

FORMAT = 1
KIND = "shimkit-refreshed-downloads"
CACHE_FILE = REFRESHED_DOWNLOADS

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_REL_URL_RE = re.compile(r"^[0-9]{8}/[A-Za-z0-9._%~+-]+$")


# A problem with the refreshed list that does not stop the command.  The same class as every core
# warning (the CLI shows subclasses of this name; see errors.ShimkitWarning).
MetadataWarning = ShimkitWarning


def default_warn(message: str) -> None:
    """How a damaged or unrefreshable download list is reported when the caller gives no ``warn``."""
    warnings.warn(message, MetadataWarning, stacklevel=3)


def cache_file(cache_dir: StrPath) -> Path:
    """Where the refreshed list lives."""
    return Path(cache_dir) / CACHE_FILE


def _rows_digest(rows: Sequence[Sequence[str]]) -> str:
    return hashlib.sha256(json.dumps([list(r) for r in rows], separators=(",", ":")).encode()).hexdigest()


class RefreshedList(Record, frozen=True):
    """A validated cache file."""

    path: Path
    release: str  # the tag of the release last refreshed from
    newest_build: str  # the newest build among the rows (what "newer than embedded" compares)
    source: str  # the URL the release data came from
    fetched_at: str  # when the content last changed (UTC, ISO 8601)
    checked_at: str  # the last successful check, "not modified" answers included
    rows: tuple[Row, ...]
    validators: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # url -> etag/last_modified

    def downloads(self) -> list[Download]:
        return [Download(k, PBS_PREFIX + url, sha, build) for k, build, url, sha in self.rows]

    def describe(self) -> str:
        return f"release {self.release} from {self.source}, fetched {self.fetched_at}"


class CacheInvalid(Exception):
    """The cache file exists but cannot be trusted."""


def _validate(doc: Any, path: Path) -> RefreshedList:
    def need(cond: bool, what: str) -> None:
        if not cond:
            raise CacheInvalid(what)

    need(isinstance(doc, dict), "not a JSON object")
    need(doc.get("kind") == KIND, "not a shimkit download list cache")
    need(doc.get("format") == FORMAT, f"unknown format {doc.get('format')!r}")
    for name in ("release", "newest_build", "source", "fetched_at", "checked_at", "rows_sha256"):
        need(isinstance(doc.get(name), str) and bool(doc[name]), f"missing or invalid {name!r}")
    need(bool(pbs_release.TAG_RE.match(doc["release"])), "invalid release tag")
    raw_rows = doc.get("rows")
    need(isinstance(raw_rows, list) and bool(raw_rows), "no entries")
    rows: list[Row] = []
    seen: set[str] = set()
    for i, row in enumerate(raw_rows):
        need(
            isinstance(row, list) and len(row) == 4 and all(isinstance(x, str) for x in row),
            f"entry {i} is not [key, build, url, sha256]",
        )
        key, build, url, sha = row
        need(bool(_SHA256_RE.match(sha)), f"entry {key!r} has no valid sha256 checksum")
        need(bool(pbs_release.TAG_RE.match(build)), f"entry {key!r} has an invalid build")
        need(bool(_REL_URL_RE.match(url)) and url.startswith(build + "/"), f"entry {key!r} has an invalid URL")
        try:
            need(str(parse_key(key)) == key, f"entry key {key!r} is not canonical")
        except ShimkitError:
            raise CacheInvalid(f"entry key {key!r} does not parse") from None
        need(key not in seen, f"entry {key!r} is listed twice")
        seen.add(key)
        rows.append((key, build, url, sha))
    need(doc["rows_sha256"] == _rows_digest(rows), "its entries do not match their digest (edited or damaged)")
    need(doc["newest_build"] == max(r[1] for r in rows), "newest_build does not match the entries")
    validators = doc.get("validators", {})
    need(
        isinstance(validators, dict)
        and all(
            isinstance(u, str) and isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
            for u, v in validators.items()
        ),
        "invalid validators",
    )
    return RefreshedList(
        path,
        doc["release"],
        doc["newest_build"],
        doc["source"],
        doc["fetched_at"],
        doc["checked_at"],
        tuple(rows),
        validators,
    )


def read_cache(cache_dir: StrPath) -> Optional[RefreshedList]:
    """The cached list; None if there is none; :class:`CacheInvalid` if it cannot be trusted."""
    path = cache_file(cache_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CacheInvalid(f"cannot read it ({exc.strerror})") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CacheInvalid("not valid JSON (damaged or partially written)") from None
    return _validate(doc, path)


def load_cache(cache_dir: StrPath, warn: Optional[Warn] = None) -> Optional[RefreshedList]:
    """:func:`read_cache`, but an untrustworthy cache is reported through ``warn`` and ignored."""
    try:
        return read_cache(cache_dir)
    except CacheInvalid as exc:
        (warn or default_warn)(
            f"ignoring the refreshed download list {cache_file(cache_dir)}: {exc}; "
            "`shimkit metadata refresh` replaces it"
        )
        return None


def write_cache(
    cache_dir: StrPath,
    *,
    release: str,
    source: str,
    rows: Iterable[Row],
    fetched_at: str,
    checked_at: str,
    validators: Mapping[str, Mapping[str, str]],
) -> RefreshedList:
    """Validate, then write the cache atomically (a temp file beside it, fsync, rename over): readers
    see the old file or the new one, never a mix; :class:`CacheInvalid` leaves the old file alone."""
    ordered = sorted(rows)
    doc = {
        "kind": KIND,
        "format": FORMAT,
        "release": release,
        "newest_build": max(r[1] for r in ordered),
        "source": source,
        "fetched_at": fetched_at,
        "checked_at": checked_at,
        "url_prefix": PBS_PREFIX,
        "validators": {u: dict(v) for u, v in sorted(validators.items())},
        "rows_sha256": _rows_digest(ordered),
        "rows": [list(r) for r in ordered],
    }
    path = cache_file(cache_dir)
    checked = _validate(doc, path)  # never write what would not be read back
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(doc, separators=(",", ":")) + "\n", durable=True)
    return checked


# ---- which list is in force ----------------------------------------------------------------
def cache_wins(cached: Optional[RefreshedList], embedded: Metadata) -> bool:
    """The refreshed list is used only when it is newer than the embedded one."""
    return cached is not None and cached.newest_build > embedded.newest_build


def merged(embedded: Metadata, cached: RefreshedList) -> Metadata:
    """The embedded list with the refreshed entries over it (a key's newer build wins)."""
    by_key = {d.key_text: d for d in embedded.downloads}
    for d in cached.downloads():
        old = by_key.get(d.key_text)
        if old is None or d.build >= old.build:
            by_key[d.key_text] = d
    return Metadata(tuple(by_key.values()), "cache", cached.describe(), cached.newest_build)


def in_force(embedded: Metadata, cache_dir: StrPath, warn: Optional[Warn] = None) -> Metadata:
    """The cache merged over the embedded list when it wins, else the embedded list."""
    cached = load_cache(cache_dir, warn)
    return merged(embedded, cached) if cached is not None and cache_wins(cached, embedded) else embedded
