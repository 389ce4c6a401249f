"""Minor-version links on Windows: directory junctions.

Same interface as the POSIX code in :mod:`shimkit.dirlink` (which imports this module on
Windows).  Junctions rather than directory symlinks because creating them needs no privilege
and no Developer Mode.  Two differences from a symlink shape the code:

* A junction stores an absolute target, so the link is made from ``path.parent / target_name``
  (moving the install dir means re-pointing its links).
* Windows cannot rename a directory over an existing one, so a replacement cannot be one
  atomic step.  ``replace_link`` keeps the time ``path`` is absent as short as it can be:

      1. create the new junction in ``temp_dir``            (path: old target)
      2. rename the old junction aside into ``temp_dir``    (path: ABSENT)
      3. rename the new junction to ``path``                (path: new target)
      4. remove the old junction                            (path: new target)

  Between 2 and 3 only a rename runs; everything slow (creating, deleting) happens outside that
  window.  A process that opens ``…\\cpython-3.12-…\\python.exe`` in it gets "not found"; the
  shimkit launcher retries briefly in that case, so bin-dir entries ride through an upgrade.

Windows-only APIs are reached through :data:`_ops`, so tests on Linux can substitute them
(tests/windows/test_dirlink_windows.py).
"""

from __future__ import annotations

import ntpath
import os
import stat
import uuid
from pathlib import Path
from typing import Optional

FILE_ATTRIBUTE_REPARSE_POINT = 0x400
IO_REPARSE_TAG_MOUNT_POINT = 0xA0000003  # a junction
IO_REPARSE_TAG_SYMLINK = 0xA000000C
_LINK_TAGS = (IO_REPARSE_TAG_MOUNT_POINT, IO_REPARSE_TAG_SYMLINK)


class _WindowsOps:
    """The file-system calls this module makes (real Windows implementations)."""

    def create_junction(self, target: str, link: str) -> None:
        import _winapi  # exists only in CPython on Windows

        _winapi.CreateJunction(target, link)  # type: ignore[attr-defined]

    def reparse_tag(self, path: str) -> Optional[int]:
        """None if nothing is at ``path``; 0 if it is no reparse point; else its tag."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        # st_file_attributes / st_reparse_tag exist on Windows only (3.8+).
        if not getattr(st, "st_file_attributes", 0) & FILE_ATTRIBUTE_REPARSE_POINT:
            return 0
        return int(getattr(st, "st_reparse_tag", 0))

    def is_dir(self, path: str) -> bool:
        try:
            return stat.S_ISDIR(os.lstat(path).st_mode)
        except OSError:
            return False

    def readlink(self, path: str) -> str:
        return os.readlink(path)  # junctions too, since 3.8

    def rename(self, src: str, dst: str) -> None:
        os.rename(src, dst)

    def rmdir(self, path: str) -> None:
        os.rmdir(path)  # on a junction: removes the junction, never the target's contents

    def unlink(self, path: str) -> None:
        os.unlink(path)


_ops = _WindowsOps()


def _is_link(path: str) -> bool:
    return _ops.reparse_tag(path) in _LINK_TAGS


def read_link(path: Path) -> Optional[str]:
    """The target directory's name if ``path`` is a junction (or directory symlink), else None."""
    p = os.fspath(path)
    if not _is_link(p):
        return None
    try:
        target = _ops.readlink(p)
    except OSError:
        return None
    return ntpath.basename(target.rstrip("\\/")) or None


def replace_link(path: Path, target_name: str, temp_dir: Path) -> None:
    """Point the junction ``path`` at its sibling directory ``target_name``.

    ``temp_dir`` must be on the same volume as ``path`` (renames between them).  See the module
    docstring for the order of operations and the moment ``path`` is briefly absent.
    """
    p = os.path.abspath(path)
    target = os.path.join(os.path.dirname(p), target_name)
    tag = _ops.reparse_tag(p)
    if tag is not None and tag not in _LINK_TAGS:
        raise FileExistsError(f"{p} exists and is not a junction; not replacing it")
    os.makedirs(temp_dir, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    new = os.path.join(os.path.abspath(temp_dir), f"link-{token}")
    old = os.path.join(os.path.abspath(temp_dir), f"old-link-{token}")

    _ops.create_junction(target, new)
    if tag is None:
        try:
            _ops.rename(new, p)
        except BaseException:
            _ops.rmdir(new)
            raise
        return
    try:
        _ops.rename(p, old)
    except BaseException:
        _ops.rmdir(new)
        raise
    try:
        _ops.rename(new, p)  # ends the window in which `p` is absent
    except BaseException:
        _ops.rename(old, p)  # put the old link back rather than leave nothing
        _ops.rmdir(new)
        raise
    _ops.rmdir(old)


def remove_link(path: Path) -> None:
    """Remove the junction itself (never the target's contents); no error if it is gone.

    A real directory is refused (``IsADirectoryError``), as POSIX ``unlink`` would.
    """
    p = os.fspath(path)
    tag = _ops.reparse_tag(p)
    if tag is None:
        return
    if tag in _LINK_TAGS:
        try:
            _ops.rmdir(p)
        except FileNotFoundError:
            pass
    elif _ops.is_dir(p):
        raise IsADirectoryError(f"{p} is a directory, not a junction; not removing it")
    else:
        _ops.unlink(p)


__all__ = ["read_link", "remove_link", "replace_link"]
