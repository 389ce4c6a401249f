"""Values for Tab completion: installed versions, available downloads, shell names.

Called by the completion machinery for each Tab press, so it never touches the network (the
download list is the embedded or cached one; an override URL is read only from its cache) and
any failure means "no candidates", never an error in the middle of a command line.
"""

from __future__ import annotations

from .errors import ShimkitError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model.key import PythonKey


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

    return _requests(installations(str(load_settings().install_dir)))


def available() -> list[str]:
    from .downloads import load_metadata, parse_metadata
    from .model.key import PythonKey
    from .settings import load_settings

    settings = load_settings()
    location = settings.downloads_json
    if location and location.startswith(("http://", "https://")):  # an override URL: its cached copy only
        from .override_cache import cached_body

        body = cached_body(location, settings.cache_dir)
        downloads = parse_metadata(body, location)[0] if body is not None else []
    else:
        downloads = list(load_metadata(location, offline=True).downloads)
    host = str(settings.host)
    keys = [d.key for d in downloads if d.key_text.endswith(host)]
    keys.sort(key=PythonKey.sort_key, reverse=True)
    return _requests(keys)


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
