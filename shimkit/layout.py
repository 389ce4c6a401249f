"""Reading a managed install dir without the lock: which installations it holds, where each
minor-version link points, and the path to reach an installation by.

Stdlib only and string-based: ``find``, the hooks' helper and :class:`shimkit.store.Store`
(which adds the lock and every change) all read the directory through here, and so does the
search of uv's install dir, which has the same layout.
"""

from __future__ import annotations

import os
import sys

from .model.key import PythonKey, is_minor_key

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

IS_WINDOWS = sys.platform == "win32"
# shimkit's record of the venvs it created (see :mod:`shimkit.venv`), in the install dir
VENV_RECORD = ".venvs.json"


def installations(root: str) -> list[PythonKey]:
    """The complete installations in ``root``, newest first (stable before pre-release; ties:
    CPython first, then by name).  A directory whose name is a canonical key *is* one."""
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or entry.is_symlink() or is_minor_key(name) or not entry.is_dir():
            continue  # (a Windows junction reads as a directory: is_minor_key skips it)
        key = PythonKey.try_parse(name)
        if key is not None and str(key) == name:
            found.append(key)
    found.sort(key=PythonKey.sort_key, reverse=True)
    return found


def read_link_name(link: str) -> Optional[str]:
    """The directory name a minor-version link points at (None if it is not a link)."""
    if IS_WINDOWS:  # junctions
        from pathlib import Path

        from .dirlink import read_link

        return read_link(Path(link))
    try:
        return os.path.basename(os.readlink(link).rstrip("/"))
    except OSError:
        return None


def managed_dir(root: str, key: PythonKey, *, through_link: bool = True) -> str:
    """The directory to reach ``key`` by: its minor-version link when asked and the link points
    at ``key`` (so what is built on it follows upgrades), else the patch directory."""
    name = str(key)
    if through_link and read_link_name(os.path.join(root, key.minor_key)) == name:
        return os.path.join(root, key.minor_key)
    return os.path.join(root, name)


def managed_executable(root: str, key: PythonKey, *, through_link: bool = True) -> Optional[str]:
    """The interpreter of ``key`` (see :func:`managed_dir`); None if the installation holds none."""
    base = managed_dir(root, key, through_link=through_link)
    for rel in key.executable_names():
        exe = os.path.join(base, rel)
        if os.path.exists(exe):
            return exe
    return None


def bin_dir(root: str, key: PythonKey, *, through_link: bool = True) -> str:
    """The directory holding ``key``'s executables (Windows installations keep python.exe at the top)."""
    base = managed_dir(root, key, through_link=through_link)
    return base if key.platform.os == "windows" else os.path.join(base, "bin")
