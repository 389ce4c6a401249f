"""User-level directories: data, config, cache and the bin dir, as plain ``str`` paths.

On Linux and other XDG systems the rules are a few lines, so they are computed here
directly: importing ``platformdirs`` costs ~30 ms on these machines, which hot commands
(``find``, ``pin``, the shims) cannot afford.  macOS and Windows go through
``platformdirs``, imported lazily (``tests/test_settings.py`` checks both agree on
Linux).  Strings, not ``pathlib.Path``: on Python 3.11 importing
pathlib brings ``re``, ``fnmatch``, ``urllib.parse`` and ``ipaddress`` (~10 ms), which ``find``,
``pin`` and ``dir`` never need otherwise.
"""

from __future__ import annotations

import os
import sys

APP = "shimkit"
# The files the download list in force is read from: named here, where the cheap readers
# (completion, on every Tab) and the full ones (download_list, metadata_cache) both find them.
EMBEDDED_DOWNLOADS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "downloads.json")
REFRESHED_DOWNLOADS = "downloads-refreshed.json"  # in the user cache dir


def home() -> str:
    """The user's home directory (``$HOME``; ``%USERPROFILE%`` on Windows), as ``Path.home()``."""
    return os.path.expanduser("~")


def _xdg(var: str, default: str) -> str:
    value = os.environ.get(var, "").strip()
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return value
    return os.path.join(home(), default)


def _use_xdg() -> bool:
    return sys.platform not in ("win32", "darwin")


def user_data_dir() -> str:
    """``$XDG_DATA_HOME/shimkit`` (``~/.local/share/shimkit``), or the platform's equivalent."""
    if _use_xdg():
        return os.path.join(_xdg("XDG_DATA_HOME", os.path.join(".local", "share")), APP)
    import platformdirs

    return platformdirs.user_data_dir(APP, appauthor=False)


def user_config_dir() -> str:
    """``$XDG_CONFIG_HOME/shimkit`` (``~/.config/shimkit``), or the platform's equivalent."""
    if _use_xdg():
        return os.path.join(_xdg("XDG_CONFIG_HOME", ".config"), APP)
    import platformdirs

    return platformdirs.user_config_dir(APP, appauthor=False, roaming=True)


def user_cache_dir() -> str:
    """``$XDG_CACHE_HOME/shimkit`` (``~/.cache/shimkit``), or the platform's equivalent."""
    if _use_xdg():
        return os.path.join(_xdg("XDG_CACHE_HOME", ".cache"), APP)
    import platformdirs

    return platformdirs.user_cache_dir(APP, appauthor=False)


def default_install_dir() -> str:
    """Where managed interpreters live unless configured otherwise."""
    return os.path.join(user_data_dir(), "python")


def default_bin_dir() -> str:
    """``$XDG_BIN_HOME``, else ``~/.local/bin`` (``%USERPROFILE%\\.local\\bin`` on Windows)."""
    value = os.environ.get("XDG_BIN_HOME", "").strip()
    if value and os.path.isabs(value):
        return value
    return os.path.join(home(), ".local", "bin")


def default_shims_dir() -> str:
    """Where ``shimkit shims enable`` writes the opt-in ``python`` shims."""
    return os.path.join(user_data_dir(), "shims")
