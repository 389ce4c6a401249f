"""Swap two directory entries in one step, where the operating system can.

``--reinstall`` replaces an installation that running programs and venvs may be using. Two
renames (old aside, new in) leave a moment in which the installation does not exist; an exchange
(Linux ``renameat2(RENAME_EXCHANGE)``, macOS ``renamex_np(RENAME_SWAP)``) has no such moment.
Where neither exists (Windows, old kernels, some filesystems) :func:`exchange` says so and the
caller falls back to the two renames.
"""

from __future__ import annotations

import os
import sys

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # sys/stdio.h on macOS


def exchange(a: os.PathLike[str] | str, b: os.PathLike[str] | str) -> bool:
    """Atomically swap the entries ``a`` and ``b`` (both must exist, on one filesystem).

    Returns False, with nothing changed, when this platform or filesystem cannot swap; raises
    OSError for any other failure.
    """
    if sys.platform not in ("linux", "darwin"):
        return False
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if sys.platform == "linux":
            func = libc.renameat2
            func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            args: tuple[object, ...] = (_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        else:
            func = libc.renamex_np
            func.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
            args = (os.fsencode(a), os.fsencode(b), _RENAME_SWAP)
    except (OSError, AttributeError):  # no such symbol (musl before 1.2.?, glibc before 2.28)
        return False
    func.restype = ctypes.c_int
    if func(*args) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(a), None, os.fspath(b))
