"""User-level directories: data, config, cache and the bin dir.

On Linux and other XDG systems the rules are a few lines, so they are computed here
directly: importing ``platformdirs`` costs ~30 ms on these machines, which hot commands
(``find``, ``pin``, the shims) cannot afford.  macOS and Windows go through
``platformdirs``, imported lazily.  ``tests/test_dirs.py`` checks that both agree on Linux.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "shimkit"
# The files the download list in force is read from: named here, where the cheap readers
# (completion, on every Tab) and the full ones (download_list, metadata_cache) both find them.
EMBEDDED_DOWNLOADS = Path(__file__).parent / "data" / "downloads.json"
REFRESHED_DOWNLOADS = "downloads-refreshed.json"  # in the user cache dir


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var, "").strip()
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / default


def _use_xdg() -> bool:
    return sys.platform not in ("win32", "darwin")


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/shimkit`` (``~/.local/share/shimkit``), or the platform's equivalent."""
    if _use_xdg():
        return _xdg("XDG_DATA_HOME", ".local/share") / APP
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME/shimkit`` (``~/.config/shimkit``), or the platform's equivalent."""
    if _use_xdg():
        return _xdg("XDG_CONFIG_HOME", ".config") / APP
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False, roaming=True))


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/shimkit`` (``~/.cache/shimkit``), or the platform's equivalent."""
    if _use_xdg():
        return _xdg("XDG_CACHE_HOME", ".cache") / APP
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def default_install_dir() -> Path:
    """Where managed interpreters live unless configured otherwise."""
    return user_data_dir() / "python"


def default_bin_dir() -> Path:
    """``$XDG_BIN_HOME``, else ``~/.local/bin`` (``%USERPROFILE%\\.local\\bin`` on Windows)."""
    value = os.environ.get("XDG_BIN_HOME", "").strip()
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "bin"


def default_shims_dir() -> Path:
    """Where ``shimkit shims enable`` writes the opt-in ``python`` shims."""
    return user_data_dir() / "shims"
