"""Values for Tab completion: installed versions, available downloads, shell names.

Called by the completion machinery for each Tab press, so it never touches the network (the
download list is the embedded or cached one; an override URL is read only from its cache) and
any failure means "no candidates", never an error in the middle of a command line.

Cheap on every press: installed versions come from the install dir's names; available ones from
a small per-platform list kept in the cache dir and rebuilt only when a file the download list
is made of changes (the embedded list, the refreshed cache, a local override), so a press
normally reads one small file and imports no download-list code (an override URL's cached copy
is read each time).

* ``installed`` -- ``uninstall``, ``upgrade``, ``shell``, ``venv -p``;
* ``available`` -- ``install``; ``pinnable`` (installed first, then available) -- ``pin``;
* ``shells`` -- ``init``, ``update-shell``.
"""

from __future__ import annotations

import os

from .dirs import EMBEDDED_DOWNLOADS, REFRESHED_DOWNLOADS
from .errors import ShimkitError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model.key import PythonKey
    from .settings import Settings

CACHE_NAME = "completion"


def _requests(keys: list[PythonKey]) -> list[str]:
    """``3.12`` then ``3.12.3`` style names (``pypy@3.10`` for other implementations), newest
    first; debug builds left out (nobody types them by Tab)."""
    seen: dict[str, None] = {}
    for key in keys:
        if key.debug:
            continue
        minor = key.minor_request
        full = minor.replace(key.minor_version, f"{key.version}{'t' if key.freethreaded else ''}")
        seen.setdefault(minor)
        seen.setdefault(full)
    return list(seen)


def installed() -> list[str]:
    from .layout import installations
    from .settings import load_settings

    return _requests(installations(load_settings().install_dir))


def _fingerprint(settings: Settings) -> str:
    """Size and time of every file the download list in force is read from."""
    location = settings.downloads_json or ""
    # the files the download list in force is made of (named in dirs: the modules that read them
    # cost ~100 ms to import)
    paths = [EMBEDDED_DOWNLOADS, os.path.join(settings.cache_dir, REFRESHED_DOWNLOADS)]
    if location:
        paths.append(location)
    parts = [location]
    for path in paths:
        try:
            st = os.stat(path)
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:-")
    return "|".join(parts)


def _read_available(settings: Settings) -> list[str]:
    from .downloads import load_offline
    from .model.key import PythonKey

    metadata = load_offline(settings.downloads_json, settings.cache_dir)
    host = str(settings.host)
    keys = [d.key for d in metadata.downloads if d.key_text.endswith(host)] if metadata else []
    keys.sort(key=PythonKey.sort_key, reverse=True)
    return _requests(keys)


def available() -> list[str]:
    from .settings import load_settings

    settings = load_settings()
    if settings.downloads_json and settings.downloads_json.startswith(("http://", "https://")):
        return _read_available(settings)  # its cached copy is the override cache's business
    cache = os.path.join(settings.cache_dir, CACHE_NAME, f"downloads-{settings.host}.txt")
    key = _fingerprint(settings)
    try:
        with open(cache, encoding="utf-8") as fh:
            stored, _, body = fh.read().partition("\n")
        if stored == key:
            return body.split()
    except (OSError, UnicodeError):
        pass
    words = _read_available(settings)
    try:
        from .safeio import write_text_atomic

        os.makedirs(os.path.dirname(cache), exist_ok=True)
        write_text_atomic(cache, key + "\n" + "\n".join(words) + "\n")
    except OSError:
        pass  # a read-only cache dir: every press reads the download list
    return words


def shells() -> list[str]:
    from .shell import SUPPORTED

    return list(SUPPORTED)


COMPLETERS = {
    "installed": installed,
    "available": available,
    "pinnable": lambda: list(dict.fromkeys(installed() + available())),
    "shells": shells,
}


def candidates(name: str) -> list[str]:
    """The candidates of one completer (see :mod:`shimkit.cli.spec`); [] when they cannot be read."""
    try:
        return COMPLETERS[name]()
    except (ShimkitError, OSError):
        return []
