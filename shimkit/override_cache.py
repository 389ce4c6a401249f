"""A download list given as an http(s) URL (``--downloads-json``), cached with its validators.

The first read of a URL is a plain GET; its body is kept in ``<cache dir>/downloads-override/``
with the ``ETag``/``Last-Modified`` the server sent.  Every later read is one conditional GET:
``304 Not Modified`` costs no body and the cached copy is used.  So a machine installing from a
mirror costs the mirror one metadata request per command, and after the first one an answer with
no body.

The cached body is stored with its sha256 and used only when it still matches (a damaged or
half-written cache is ignored: the next read is unconditional).  Writes are atomic (temp file,
rename); a cache that cannot be written costs a full download next time, never an error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

from .fetch import FetchOptions, fetch_if_changed
from .record import Record
from .safeio import write_atomic

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from _typeshed import StrPath

CACHE_SUBDIR = "downloads-override"


class _Cached(Record, frozen=True):
    body: bytes
    etag: Optional[str]
    last_modified: Optional[str]


def _paths(url: str, cache_dir: StrPath) -> tuple[Path, Path]:
    name = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
    base = Path(cache_dir) / CACHE_SUBDIR
    return base / f"{name}.json", base / f"{name}.body"


def _load(url: str, cache_dir: StrPath) -> Optional[_Cached]:
    meta_path, body_path = _paths(url, cache_dir)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        body = body_path.read_bytes()
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(meta, dict) or meta.get("url") != url or meta.get("sha256") != hashlib.sha256(body).hexdigest():
        return None
    etag, lm = meta.get("etag"), meta.get("last_modified")
    if not (isinstance(etag, str) or isinstance(lm, str)):
        return None
    return _Cached(body, etag if isinstance(etag, str) else None, lm if isinstance(lm, str) else None)


def _write_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, data, durable=True)  # the one atomic writer (shimkit.safeio)


def _store(url: str, cache_dir: StrPath, body: bytes, etag: Optional[str], last_modified: Optional[str]) -> None:
    meta_path, body_path = _paths(url, cache_dir)
    if not (etag or last_modified):
        # nothing to revalidate with: a cached copy would never be used
        meta_path.unlink(missing_ok=True)
        return
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    # the body first, then the record naming its digest: a reader never pairs old validators with a new body
    _write_atomic(body_path, body)
    record = {"url": url, "etag": etag, "last_modified": last_modified, "sha256": hashlib.sha256(body).hexdigest()}
    _write_atomic(meta_path, json.dumps(record).encode("utf-8"))


def cached_body(url: str, cache_dir: StrPath) -> Optional[bytes]:
    """The copy of ``url`` cached by an earlier :func:`read_url` (None without one); never the network."""
    cached = _load(url, cache_dir)
    return cached.body if cached is not None else None


def read_url(url: str, cache_dir: StrPath, options: Optional[FetchOptions] = None) -> bytes:
    """The document at ``url``: one conditional GET when a cached copy exists, else one GET.

    Errors are those of :func:`shimkit.fetch.fetch_if_changed` (a failed request never falls back
    to the cached copy: the caller asked for this URL's current content).
    """
    cached = _load(url, cache_dir)
    got = fetch_if_changed(
        url,
        options,
        etag=cached.etag if cached else None,
        last_modified=cached.last_modified if cached else None,
    )
    if got.body is None:
        assert cached is not None  # a 304 is only accepted for a conditional request
        return cached.body
    try:
        _store(url, cache_dir, got.body, got.etag, got.last_modified)
    except OSError:
        pass  # the cache is an optimisation; the next read is then unconditional
    return got.body
