"""Value completion: the candidates a shell offers after ``shimkit install``, ``uninstall``,
``upgrade``, ``pin``, ``shell``, ``venv -p`` and ``init``.

Every function is cheap enough for a keystroke: no network, no interpreter started, and no
heavy import.  Installed versions come from the install dir's names; available downloads from
the download list in force (embedded, refreshed cache or a local override) through a small
per-platform list kept in the cache dir and rebuilt only when one of those files changes (the
first completion after a change pays for reading the download list once).

* :func:`installed` -- ``uninstall``, ``upgrade``, ``shell``, ``venv -p``, ``pin``;
* :func:`available` -- ``install``, ``pin`` (installed ones first: :func:`pin_values`);
* :func:`shells` -- ``init``, ``update-shell``.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional, Union

    from .model.key import PlatformTriple, PythonKey
    from .settings import Settings

CACHE_NAME = "completion"


def _request_names(key: PythonKey) -> list[str]:
    """How a user types ``key`` as a request: ``3.12.1`` and ``3.12`` (``3.13t``, ``pypy@3.10``)."""
    variant = "t" if key.freethreaded else ""
    debug = "+debug" if "debug" in str(key.variant or "") else ""
    prefix = "" if key.implementation == "cpython" else f"{key.implementation}@"
    full = f"{prefix}{key.version}{variant}{debug}"
    minor = f"{prefix}{key.version.major}.{key.version.minor}{variant}{debug}"
    return [full, minor]


def _unique(words: list[str], incomplete: str) -> list[str]:
    return [w for w in dict.fromkeys(words) if w.startswith(incomplete)]


def installed(install_dir: Union[str, os.PathLike[str]], host: Optional[PlatformTriple] = None, incomplete: str = "",
              *, keys: bool = False) -> list[str]:
    """Installed versions, newest first: ``3.12.1``, ``3.12`` … (``keys``: also the full
    installation names ``cpython-3.12.1-linux-x86_64-gnu``, which ``uninstall`` accepts).
    ``host``: only installations for that platform (a PlatformTriple)."""
    from . import layout

    try:
        found = layout.installations(os.fspath(install_dir))
    except OSError:
        return []
    words: list[str] = []
    for key in found:
        if host is not None and key.platform != host:
            continue
        words += _request_names(key)
        if keys:
            words.append(str(key))
    return _unique(words, incomplete)


# the files the download list in force is made of (shimkit.downloads.EMBEDDED and
# shimkit.metadata_cache.cache_file(), spelled out here: importing those modules costs ~100 ms;
# tests/test_completion.py checks that both agree)
EMBEDDED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "downloads.json")
REFRESHED = "downloads-refreshed.json"


def _sources_fingerprint(settings: Settings) -> str:
    parts = []
    local = settings.downloads_json if settings.downloads_json and "://" not in settings.downloads_json else None
    for path in (EMBEDDED, os.path.join(os.fspath(settings.cache_dir), REFRESHED), local):
        if not path:
            continue
        try:
            st = os.stat(path)
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:-")
    return "|".join(parts) + f"|{settings.downloads_json or ''}"


def available(settings: Settings, incomplete: str = "") -> list[str]:
    """Versions the download list in force offers for this platform, newest first (read offline;
    an override list at a URL counts only through its cached copy, else offers nothing)."""
    host = str(settings.host)
    cache = os.path.join(os.fspath(settings.cache_dir), CACHE_NAME, f"downloads-{host}.txt")
    key = _sources_fingerprint(settings)
    try:
        with open(cache, encoding="utf-8") as fh:
            stored, _, body = fh.read().partition("\n")
        if stored == key:
            return _unique(body.split(), incomplete)
    except (OSError, UnicodeError):
        pass
    words = _build_available(settings)
    try:
        from .safeio import write_text_atomic

        os.makedirs(os.path.dirname(cache), exist_ok=True)
        write_text_atomic(cache, key + "\n" + "\n".join(words) + "\n")
    except OSError:
        pass  # a read-only cache dir: every completion reads the list
    return _unique(words, incomplete)


def _build_available(settings: Settings) -> list[str]:
    from .downloads import load_metadata
    from .errors import ShimkitError

    try:
        metadata = load_metadata(settings.downloads_json, offline=True, warn=lambda _m: None)
    except ShimkitError:
        return []
    host = settings.host
    keys = sorted({d.key for d in metadata.downloads if d.key.platform == host},
                  key=lambda k: (k.implementation == "cpython", k.version, not k.variant), reverse=True)
    words: list[str] = []
    for key in keys:
        words += _request_names(key)
    return list(dict.fromkeys(words))


def pin_values(settings: Settings, incomplete: str = "") -> list[str]:
    """``pin``: installed versions first, then the other downloadable ones."""
    return _unique(installed(settings.install_dir, settings.host) + available(settings), incomplete)


def shells(incomplete: str = "") -> list[str]:
    """Shell names ``init`` and ``update-shell`` accept (aliases last)."""
    from .shell import ALIASES, SUPPORTED

    return _unique([*SUPPORTED, *ALIASES], incomplete)
