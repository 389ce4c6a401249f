"""Minor-version links: ``cpython-3.12-linux-x86_64-gnu`` -> ``cpython-3.12.11-linux-x86_64-gnu``.

A relative directory symlink on POSIX, a junction on Windows (``dirlink_windows``).  Both
implementations expose the same three functions; this module picks one at import time.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path


def _posix_read_link(path: Path) -> str | None:
    """The target's directory name if ``path`` is a symlink, else None."""
    try:
        target = os.readlink(path)
    except OSError:
        return None
    return os.path.basename(target.rstrip("/"))


def _posix_replace_link(path: Path, target_name: str, temp_dir: Path) -> None:
    """Atomically point ``path`` at its sibling ``target_name`` (create beside, then rename over).

    A process resolving the link at any moment sees either the old or the new target, never
    nothing: rename(2) replaces the symlink in one step.
    """
    temp_dir.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir / f"link-{uuid.uuid4().hex[:12]}"
    # The target is a bare sibling name: relative to the directory the link ends up in, so the
    # install dir can be moved or mounted elsewhere (temp_dir must be on the same filesystem).
    os.symlink(target_name, tmp, target_is_directory=True)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _posix_remove_link(path: Path) -> None:
    """Remove the link itself (never what it points to); no error if it is already gone."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


if sys.platform == "win32":  # pragma: no cover - exercised with substituted APIs in tests/windows
    from .dirlink_windows import read_link, remove_link, replace_link
else:
    read_link = _posix_read_link
    replace_link = _posix_replace_link
    remove_link = _posix_remove_link

__all__ = ["read_link", "remove_link", "replace_link"]
