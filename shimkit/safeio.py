"""The file-reading and file-writing rules (see ``docs/design.md``, "Reading and writing files").

Reading a file that came with a checkout (``pyproject.toml``, ``.python-version``) or any other
place shimkit does not own: :func:`read_bounded` opens it without blocking (a FIFO or a terminal
never stalls the caller), reads it only if it is a regular file once links are followed, and
never more than a limit; anything else raises :class:`UnsafeFile` (an ``OSError``, so callers that
already skip unreadable files skip these too).

Writing: :func:`write_atomic` creates the new content under a random name in the target's
directory with ``O_CREAT|O_EXCL|O_NOFOLLOW`` (:func:`tempfile.mkstemp`), so a planted file or
symlink of any name is never written through, then renames it over the target.

Hot path (``find``, ``pin``, the hooks' helper): imports only ``os`` and ``stat`` at load time.
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from _typeshed import StrPath


_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO or a device must not wait
    | getattr(os, "O_NOCTTY", 0)  # nor make a terminal ours
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class UnsafeFile(OSError):
    """A file that is not read: not a regular file, or larger than the limit."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(errno.EINVAL, why, path)
        self.why = why


def read_bounded(path: StrPath, limit: int, *, truncate: bool = False) -> bytes:
    """The bytes of ``path`` if it is a regular file (after following links) of at most ``limit``
    bytes; with ``truncate``, the first ``limit`` bytes of a larger one.

    Raises :class:`UnsafeFile` for anything else (a FIFO, a device, ``/dev/zero``, a directory, a
    file over the limit) and ``OSError`` when it cannot be opened.  Never blocks on the open.
    """
    name = os.fspath(path)
    fd = os.open(name, _READ_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(name, "not a regular file")
        if st.st_size > limit and not truncate:
            raise UnsafeFile(name, f"larger than {limit // 1024} KiB")
        chunks = []
        left = limit + 1  # one byte more tells a file that grew since the fstat
        while left > 0:
            try:
                chunk = os.read(fd, min(left, 1 << 16))
            except BlockingIOError:  # pragma: no cover - a regular file never says so
                break
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        if not truncate:
            raise UnsafeFile(name, f"larger than {limit // 1024} KiB")
        data = data[:limit]
    return data


def describe_refusal(path: StrPath, exc: OSError) -> str:
    """The one warning for a project file that is not read."""
    why = exc.why if isinstance(exc, UnsafeFile) else (exc.strerror or str(exc))
    return f"ignoring {os.fspath(path)} ({why})"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: StrPath, data: bytes, *, mode: Optional[int] = None, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically: a new file under a random name beside it
    (``O_EXCL|O_NOFOLLOW``: nothing already there is ever opened), then one rename.

    ``mode`` defaults to what a plain ``open(path, "w")`` would give (0o666 less the umask);
    ``durable`` flushes the data to disk before the rename.
    Raises ``OSError``; no temporary file is left behind.
    """
    import tempfile

    name = os.fspath(path)
    directory, base = os.path.split(name)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory or ".")
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if os.name != "nt":
                os.fchmod(fd, (0o666 & ~_umask()) if mode is None else mode)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text_atomic(path: StrPath, text: str, *, mode: Optional[int] = None, durable: bool = False) -> None:
    """:func:`write_atomic` for text (UTF-8, undecodable file names' surrogates kept as bytes)."""
    write_atomic(path, text.encode("utf-8", "surrogateescape"), mode=mode, durable=durable)
