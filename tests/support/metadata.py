"""Download metadata for test archives, in the shape of the project's ``python-downloads.json``:

{"cpython-3.12.1-linux-x86_64-gnu": {"name": "cpython", "arch": {"family": "x86_64", "variant": null},
  "os": "linux", "libc": "gnu", "major": 3, "minor": 12, "patch": 1, "prerelease": "",
  "url": "<base>/20990101/cpython-3.12.1%2B20990101-x86_64-unknown-linux-gnu-install_only.tar.gz",
  "sha256": "...", "variant": null, "build": "20990101"}, ...}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple
from urllib.parse import quote

from .pbs import BuiltArchive

UPSTREAM_BASE_URL = "https://github.com/astral-sh/python-build-standalone/releases/download"
"""The release URL prefix a mirror replaces."""


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()
"""Use as an override value to remove a field from an entry (e.g. ``{"sha256": DELETE}``)."""


def key_for(entry: Mapping[str, Any]) -> str:
    """The key an entry is listed under, e.g. ``cpython-3.13.0rc1+freethreaded-linux-x86_64-gnu``."""
    arch = entry["arch"]
    arch_text = (
        arch["family"] + (f"_{arch['variant']}" if arch.get("variant") else "")
        if isinstance(arch, Mapping)
        else str(arch)
    )
    version = f"{entry['major']}.{entry['minor']}.{entry['patch']}{entry.get('prerelease') or ''}"
    variant = f"+{entry['variant']}" if entry.get("variant") else ""
    return f"{entry['name']}-{version}{variant}-{entry['os']}-{arch_text}-{entry['libc']}"


def archive_url(archive: BuiltArchive, base_url: str) -> str:
    """``<base_url>/<build>/<filename>`` with the file name percent-encoded (``+`` -> ``%2B``),
    the way PBS release URLs look."""
    return f"{base_url.rstrip('/')}/{archive.build}/{quote(archive.filename, safe='')}"


def entry_for(archive: BuiltArchive, base_url: str) -> Tuple[str, Dict[str, Any]]:
    """(key, entry) describing ``archive`` as served under ``base_url``."""
    entry: Dict[str, Any] = {
        "name": archive.implementation,
        "arch": {"family": archive.arch, "variant": None},
        "os": archive.os,
        "libc": archive.libc,
        "major": archive.major,
        "minor": archive.minor,
        "patch": archive.patch,
        "prerelease": archive.prerelease,
        "url": archive_url(archive, base_url),
        "sha256": archive.sha256,
        "variant": archive.variant,
        "build": archive.build,
    }
    return key_for(entry), entry


def _apply(entry: Dict[str, Any], override: Mapping[str, Any]) -> Dict[str, Any]:
    out = dict(entry)
    for k, v in override.items():
        if v is DELETE:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def downloads_document(
    archives: Iterable[BuiltArchive],
    base_url: str,
    overrides: Optional[Mapping[str, Mapping[str, Any]]] = None,
    extra: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> Dict[str, Dict[str, Any]]:
    """The downloads mapping for ``archives``, newest version first (as upstream lists it).

    ``overrides`` maps an archive's version (``"3.12.1"``), key or file name to fields to replace
    (``DELETE`` removes one); the key is recomputed from the result unless the override sets
    ``"key"`` itself (it is not written as a field).  ``extra`` adds entries verbatim.
    """
    overrides = dict(overrides or {})
    used = set()
    rows = []
    for archive in archives:
        key, entry = entry_for(archive, base_url)
        for name in (archive.version, key, archive.filename):
            if name in overrides:
                used.add(name)
                patch = dict(overrides[name])
                forced_key = patch.pop("key", None)
                entry = _apply(entry, patch)
                key = forced_key or (
                    key_for(entry)
                    if all(f in entry for f in ("name", "arch", "os", "libc", "major", "minor", "patch"))
                    else key
                )
        rows.append((key, entry))
    unknown = set(overrides) - used
    if unknown:
        raise KeyError(f"overrides for archives that are not listed: {sorted(unknown)}")
    rows.sort(
        key=lambda kv: (
            kv[1].get("major", 0),
            kv[1].get("minor", 0),
            kv[1].get("patch", 0),
            kv[1].get("prerelease") == "",
            kv[1].get("prerelease") or "",
            kv[0],
        ),
        reverse=True,
    )
    doc = dict(rows)
    for k, v in (extra or {}).items():
        doc[k] = dict(v)
    return doc


def write_downloads_json(
    path: Path,
    archives: Iterable[BuiltArchive],
    base_url: str,
    overrides: Optional[Mapping[str, Mapping[str, Any]]] = None,
    extra: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> Dict[str, Dict[str, Any]]:
    """Write :func:`downloads_document` to ``path`` atomically; returns the document."""
    doc = downloads_document(archives, base_url, overrides=overrides, extra=extra)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return doc
