"""A mirror directory's layout and how to read it (shared by ``mirror sync`` and ``mirror verify``):
where each archive goes, the URLs and entries of its ``python-downloads.json``, and its
``SHA256SUMS``.  See :mod:`shimkit.mirror` for the whole layout and the order of writes."""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from pathlib import Path
from typing import Any, Optional

from . import fetch
from .downloads import PBS_PREFIX, Download, parse_archive_filename, parse_metadata
from .errors import ShimkitError

METADATA_NAME = "python-downloads.json"
SUMS_NAME = "SHA256SUMS"
_SUMS_LINE_RE = re.compile(r"^(?P<sha>[0-9a-f]{64}) [ *](?P<path>\S(?:.*\S)?)$")
_ARCH_VARIANT_RE = re.compile(r"^(?P<family>.+)_(?P<variant>v[0-9])$")
_BUILD_RE = re.compile(r"^[0-9A-Za-z_-][0-9A-Za-z._-]*$")  # a directory name: no separators, not . or ..


class MirrorError(ShimkitError):
    """A mirror cannot be synced or read as asked."""


class MirrorDamaged(MirrorError):
    """``verify`` found missing, corrupt or unlisted archives."""


def is_pbs(d: Download) -> bool:
    try:
        parse_archive_filename(d.filename)
    except ShimkitError:
        return False
    return True


def archive_path(d: Download) -> str:
    """Where ``d`` lives in a mirror, relative to its root (``/``-separated)."""
    name = d.filename
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise MirrorError(f"unsafe archive name {name!r} for {d.key_text}", "the download list is damaged or hostile")
    if is_pbs(d):
        build = d.build or parse_archive_filename(name)[1]
        if not _BUILD_RE.match(build):
            raise MirrorError(f"unsafe build {build!r} for {d.key_text}", "the download list is damaged or hostile")
        return f"{build}/{name}"
    return f"{d.key.implementation}/{name}"


def _quoted(rel: str) -> str:
    return "/".join(urllib.parse.quote(part, safe="") for part in rel.split("/"))


def entry_url(d: Download, rel: str, base_url: Optional[str]) -> str:
    """The URL the mirror's list gives for ``d``: under ``base_url``, else the upstream URL
    (which ``--mirror``/``UV_PYTHON_INSTALL_MIRROR`` maps onto the mirror for PBS archives)."""
    if base_url:
        return base_url.rstrip("/") + "/" + _quoted(rel)
    if is_pbs(d):
        return PBS_PREFIX + _quoted(rel)
    return d.url


def metadata_entry(d: Download, url: str) -> dict[str, Any]:
    """``d`` in the python-downloads.json shape (what shimkit and uv read)."""
    key = d.key
    arch: dict[str, Optional[str]] = {"family": key.platform.arch, "variant": None}
    m = _ARCH_VARIANT_RE.match(key.platform.arch)
    if m:
        arch = {"family": m["family"], "variant": m["variant"]}
    pre = key.version.pre
    return {
        "name": key.implementation,
        "arch": arch,
        "os": key.platform.os,
        "libc": key.platform.libc,
        "major": key.version.major,
        "minor": key.version.minor,
        "patch": key.version.micro,
        "prerelease": f"{pre[0]}{pre[1]}" if pre else "",
        "url": url,
        "sha256": d.sha256,
        "variant": key.variant or None,
        "build": d.build,
    }


# ---- reading ----------------------------------------------------------------------
def read_sums(text: str, origin: str) -> dict[str, str]:
    """Path -> sha256 from a mirror's ``SHA256SUMS``; :class:`MirrorError` on a bad line."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _SUMS_LINE_RE.match(line)
        if m is None or ".." in m["path"].split("/") or m["path"].startswith("/"):
            raise MirrorError(f"{origin} line {number} is not '<sha256>  <path>'", "re-run `shimkit mirror sync`")
        sums[m["path"]] = m["sha"]
    return sums


def read_listed(dest: Path) -> Optional[list[Download]]:
    path = dest / METADATA_NAME
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MirrorError(f"cannot read {path}: {exc.strerror}", "check the mirror directory's permissions") from None
    downloads, _newest = parse_metadata(text, str(path))
    return downloads


def read_sums_file(dest: Path) -> Optional[dict[str, str]]:
    path = dest / SUMS_NAME
    try:
        return read_sums(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise MirrorError(f"cannot read {path}: {exc}", "re-run `shimkit mirror sync`") from None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(fetch.CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def matches(path: Path, sha256: str) -> bool:
    try:
        return path.is_file() and file_sha256(path) == sha256.lower()
    except OSError:
        return False
