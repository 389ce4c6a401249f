"""Writing archive members below a destination, each checked first (part of :mod:`shimkit.archive`).

Nothing is written outside the destination directory, whatever the archive holds: every member
name and link target is checked here (tarfile's ``filter="data"`` does not exist on every Python we
support), and limits bound the number of members and the bytes written.  Which paths exist below
the destination is tracked in memory (the destination starts empty), so no member costs a
``stat`` or a ``realpath``.
"""

from __future__ import annotations

import collections
import contextlib
import os
import stat
import threading
import unicodedata
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Callable, Deque, Dict, List, Optional, Set, Tuple, Union

from . import interrupt
from .errors import ArchiveError, StoreError
from .record import Record

_MAX_LINK_HOPS = 40  # like the kernel's symlink limit
_O_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_UTIME_FD = os.utime in os.supports_fd
_WINDOWS = os.name == "nt"
_UNSAFE_HINT = "refusing to extract it: the archive is not a well-formed python-build-standalone archive"
# Small files (most of an interpreter's) are created by a few threads: creating a file can wait on
# the file system's journal for milliseconds when the disk is busy, and those waits overlap (1,000
# files: 3.2 s one at a time, 0.9 s with 4 threads, on this project's busy CI machines).  Checks
# and directories stay in the reading thread, in archive order; only the file's own open, write
# and close move.  The threads are shared by every extraction in the process: three concurrent
# installs with 4 threads each (plus 3 decoders) on 2 cores spent more time in the kernel contending
# for locks than writing.  Files go to them in batches, so a file costs no future or wakeup of its own.
POOL_FILE_MAX = 1024 * 1024  # larger files are written as they arrive, by the reading thread
_POOL_THREADS = 4  # for the whole process
_BATCH_FILES = 32  # files handed to a pool thread at once ...
_BATCH_BYTES = 1024 * 1024  # ... or fewer, once they hold this many bytes
_POOL_PENDING = 8  # batches an extraction has read but not yet written (each at most 2 MiB)
_pool: Optional[ThreadPoolExecutor] = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_POOL_THREADS, thread_name_prefix="shimkit-unpack-write")
        return _pool


_Small = Tuple[str, str, int, bytes, Optional[float]]  # name, rel, perm, data, mtime


class ExtractLimits(Record, frozen=True):
    """Upper bounds that stop a hostile or broken archive before it fills the disk."""

    max_total_bytes: int = 4 * 1024**3
    max_members: int = 200_000


def decode_name(raw: bytes) -> str:
    """A member name or link target from an archive's bytes (undecodable bytes kept)."""
    return raw.decode("utf-8", "surrogateescape")


def _same(path: str) -> str:
    return path


def _fold(path: str) -> str:
    """A path as a case-insensitive, normalisation-insensitive file system would compare it.

    Used to match symlinks, so ``python/LIB -> ..`` also guards ``python/lib/x`` on macOS/Windows.
    """
    return unicodedata.normalize("NFKC", path).casefold()


class Writer:
    """Creates members below ``dest`` after checking that each one is safe.

    Every path below ``dest`` was created here (``dest`` starts empty), so the sets below describe
    the tree exactly: a member is written only through directories this writer made itself, never
    through a symlink, and ``O_EXCL``/``O_NOFOLLOW`` guarantee that nothing existing is reused.
    """

    def __init__(self, dest: Path, limits: ExtractLimits) -> None:
        root = os.fspath(dest)
        try:
            with os.scandir(root) as entries:
                if next(entries, None) is not None:
                    raise ValueError(f"extraction directory {root} is not empty")
        except FileNotFoundError:
            raise ValueError(f"extraction directory {root} does not exist") from None
        self._root = root
        self.limits = limits
        self._dirs: Set[str] = {""}  # real directories made here ("" is dest itself)
        self._files: Set[str] = set()  # regular files written here (hardlink targets)
        self._links: Dict[str, str] = {}  # path -> target
        self._link_names: Dict[str, str] = {}  # path -> member name
        self._folded: Dict[str, str] = {}  # _fold(path) -> target
        self.members = 0
        self.written = 0
        self._batch: List[_Small] = []  # small files checked, not yet handed to the pool
        self._batch_bytes = 0
        self._pending: Deque[Future[None]] = collections.deque()  # batches handed to the pool
        self._closed = False  # set by close(): batches still queued or running stop at their next file

    # names and paths

    def _abs(self, rel: str) -> str:
        if _WINDOWS:
            rel = rel.replace("/", os.sep)
        return self._root + os.sep + rel if rel else self._root

    @staticmethod
    def unsafe(name: str, reason: str) -> ArchiveError:
        return ArchiveError(f"unsafe archive member {name!r}: {reason}", _UNSAFE_HINT)

    def clean(self, path: str, what: str = "path", member: Optional[str] = None) -> str:
        """``path`` as a relative ``/``-separated path below dest, or ArchiveError naming ``member``."""
        name = path if member is None else member
        its = f"its {what}" if member is None else f"its {what} {path!r}"
        if "\0" in path:
            raise self.unsafe(name, f"{its} contains a NUL byte")
        # Backslashes separate paths on Windows; treat them so everywhere, so that an archive
        # unpacks to the same tree on every system and ``..\\x`` is caught on all of them.
        norm = path.replace("\\", "/")
        if norm.startswith("/"):
            raise self.unsafe(name, f"{its} is absolute")
        if len(norm) >= 2 and norm[1] == ":" and norm[0].isalpha():
            raise self.unsafe(name, f"{its} starts with a drive letter")
        parts = [p for p in norm.split("/") if p and p != "."]
        if ".." in parts:
            raise self.unsafe(name, f"{its} has a '..' component")
        if _WINDOWS and any(":" in p for p in parts):
            raise self.unsafe(name, f"{its} has a ':' (alternate data stream)")
        return "/".join(parts)

    def _count(self, name: str) -> None:
        interrupt.check()  # Ctrl+C stops extraction at the next member (worker threads too)
        self.members += 1
        if self.members > self.limits.max_members:
            raise self.too_many(name)

    def too_many(self, name: str) -> ArchiveError:
        return ArchiveError(
            f"archive member {name!r}: the archive has more than {self.limits.max_members} members",
            "refusing to extract it: this is not a python-build-standalone archive",
        )

    def _fs_error(self, rel: str, e: OSError) -> StoreError:
        return StoreError(
            f"cannot write {self._abs(rel)}: {e.strerror or e}",
            "check free disk space and the permissions of the install directory",
        )

    def _mkdir(self, rel: str, name: str) -> None:
        """Create directory ``rel`` whose parent is known to be a real directory made here."""
        if _fold(rel) in self._folded:
            raise self.unsafe(name, f"{rel!r} is a symlink")
        try:
            os.mkdir(self._abs(rel), 0o755)
        except FileExistsError:
            # Only a case-insensitive file system gets here for a path not in _dirs: accept the
            # entry if it is a real directory (everything below dest was made here), never a link.
            try:
                is_dir = stat.S_ISDIR(os.lstat(self._abs(rel)).st_mode)
            except OSError:
                is_dir = False
            if not is_dir:
                raise self.unsafe(name, f"{rel!r} already exists and is not a directory") from None
        except OSError as e:
            raise self._fs_error(rel, e) from e
        self._dirs.add(rel)

    def _parent(self, rel: str, name: str) -> None:
        """Make sure the parent of ``rel`` is a real directory made here, creating it if needed."""
        parent = rel.rpartition("/")[0]
        if parent in self._dirs:
            return
        current = ""
        for part in parent.split("/"):
            current = f"{current}/{part}" if current else part
            if current not in self._dirs:
                self._mkdir(current, name)

    # members

    def directory(self, name: str) -> None:
        self._count(name)
        rel = self.clean(name)
        if rel in self._dirs:
            return
        self._parent(rel, name)
        self._mkdir(rel, name)

    def open_file(self, name: str, mode: int, size: int) -> Tuple[int, str]:
        """Create regular file ``name``; returns its descriptor and relative path."""
        self._count(name)
        rel = self.clean(name)
        if not rel:
            raise self.unsafe(name, "it is not a directory but names the extraction directory")
        if size > self.limits.max_total_bytes - self.written:
            raise self._too_big(name)
        self._parent(rel, name)
        # Keep only the executable bits: no setuid/setgid/sticky, no group/other write.
        return self._create(name, rel, 0o755 if mode & 0o111 else 0o644), rel

    def _create(self, name: str, rel: str, perm: int) -> int:
        """A new file, never an existing one (a repeated member name is refused, not followed)."""
        try:
            return os.open(self._abs(rel), _O_CREATE, perm)
        except FileExistsError:
            raise self.unsafe(name, "it conflicts with an earlier member of the same name") from None
        except OSError as e:
            raise self._fs_error(rel, e) from e

    def put_file(self, name: str, mode: int, data: bytes, mtime: Optional[float]) -> None:
        """Create regular file ``name`` holding ``data`` (at most :data:`POOL_FILE_MAX` bytes), in a
        pool thread: checked here, written later; :meth:`finish` (or the next hardlink) waits for it
        and raises what writing it raised."""
        self._count(name)
        rel = self.clean(name)
        if not rel:
            raise self.unsafe(name, "it is not a directory but names the extraction directory")
        if len(data) > self.limits.max_total_bytes - self.written:
            raise self._too_big(name)
        self.written += len(data)
        self._parent(rel, name)
        self._batch.append((name, rel, 0o755 if mode & 0o111 else 0o644, data, mtime))
        self._batch_bytes += len(data)
        self._files.add(rel)
        if len(self._batch) >= _BATCH_FILES or self._batch_bytes >= _BATCH_BYTES:
            self._submit()

    def _submit(self) -> None:
        """Hand the current batch to the pool, first waiting (and raising its error) if too many of
        this extraction's batches are still waiting to be written."""
        if not self._batch:
            return
        while len(self._pending) >= _POOL_PENDING or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()  # its error, if any, now
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        self._pending.append(_shared_pool().submit(self._write_batch, batch))

    def _write_batch(self, batch: List[_Small]) -> None:
        for name, rel, perm, data, mtime in batch:
            interrupt.check()
            if self._closed:
                return
            fd = self._create(name, rel, perm)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError as e:
                os.close(fd)
                raise self._fs_error(rel, e) from e
            self.close_file(fd, rel, mtime)

    def _wait_written(self) -> None:
        """Write every small file read so far; raise the first error."""
        self._submit()
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Drop the files not written yet (after an error) and wait for the batches being written:
        no thread writes into dest after this."""
        self._closed = True
        self._batch = []
        wait_futures([f for f in self._pending if not f.cancel()])
        self._pending.clear()

    def _too_big(self, name: str) -> ArchiveError:
        return ArchiveError(
            f"archive member {name!r}: the archive holds more than "
            f"{self.limits.max_total_bytes} bytes of uncompressed data",
            "refusing to extract it: this is not a python-build-standalone archive",
        )

    def write(self, fd: int, name: str, rel: str, data: Union[bytes, memoryview]) -> None:
        """Append ``data`` to the file, counting it against the size limit before writing."""
        interrupt.check()
        n = len(data)
        if self.written + n > self.limits.max_total_bytes:
            raise self._too_big(name)
        self.written += n
        try:
            done = os.write(fd, data)
            while done < n:  # short writes are rare (signals, pipes) but legal
                done += os.write(fd, memoryview(data)[done:])
        except OSError as e:
            raise self._fs_error(rel, e) from e

    def close_file(self, fd: int, rel: str, mtime: Optional[float]) -> None:
        try:
            if mtime is not None and _UTIME_FD:
                with contextlib.suppress(OverflowError, ValueError, OSError):
                    os.utime(fd, (mtime, mtime))  # a time out of range is not worth failing for
        finally:
            try:
                os.close(fd)
            except OSError as e:
                raise self._fs_error(rel, e) from e
        self._files.add(rel)
        if mtime is not None and not _UTIME_FD:
            with contextlib.suppress(OverflowError, ValueError, OSError):
                os.utime(self._abs(rel), (mtime, mtime))

    def symlink(self, name: str, target: str) -> None:
        self._count(name)
        rel = self.clean(name)
        if not rel:
            raise self.unsafe(name, "it is a symlink but names the extraction directory")
        if not target:
            raise self.unsafe(name, "its symlink target is empty")
        if _WINDOWS:
            # PBS's Windows archives have none, and Windows resolves other spellings of a name
            # (8.3 short names, trailing dots) to the same entry, which the checks here cannot see.
            raise self.unsafe(name, "symlinks are not extracted on Windows")
        if "\0" in target:
            raise self.unsafe(name, "its symlink target contains a NUL byte")
        link_target = target.replace("\\", "/")
        if link_target.startswith("/") or (
            len(link_target) >= 2 and link_target[1] == ":" and link_target[0].isalpha()
        ):
            raise self.unsafe(name, f"its symlink target {target!r} is absolute")
        # Resolved through the symlinks made so far, the target must stay below dest (checked
        # again by finish(), once later links are known too).
        self._check_link(name, rel, link_target)
        self._parent(rel, name)
        try:
            os.symlink(link_target, self._abs(rel))
        except FileExistsError:
            raise self.unsafe(name, "it conflicts with an earlier member of the same name") from None
        except OSError as e:
            raise self._fs_error(rel, e) from e
        self._links[rel] = link_target
        self._link_names[rel] = name
        self._folded[_fold(rel)] = link_target

    def _check_link(self, name: str, rel: str, target: str) -> None:
        """Resolve ``target`` (relative to ``rel``'s directory) through the known symlinks.

        Resolved twice: with exact names (a case-sensitive file system) and with folded names
        (a case-insensitive one), since either may be the truth; both must stay below dest.
        """
        for links, key in ((self._links, _same), (self._folded, _fold)):
            self._resolve(name, rel, target, links, key)

    def _resolve(self, name: str, rel: str, target: str, links: Dict[str, str], key: Callable[[str], str]) -> None:
        stack = rel.split("/")[:-1]
        todo = list(reversed(target.split("/")))
        hops = 0
        while todo:
            part = todo.pop()
            if not part or part == ".":
                continue
            if part == "..":
                if not stack:
                    raise self.unsafe(name, f"its symlink target {target!r} leads outside the destination")
                stack.pop()
                continue
            link = links.get(key("/".join([*stack, part])))
            if link is None:
                stack.append(part)
                continue
            hops += 1
            if hops > _MAX_LINK_HOPS:
                raise self.unsafe(name, f"its symlink target {target!r} loops")
            todo.extend(reversed(link.split("/")))

    def hardlink(self, name: str, target: str) -> None:
        self._count(name)
        rel = self.clean(name)
        source = self.clean(target, "hardlink target", member=name)
        if not rel:
            raise self.unsafe(name, "it is a hardlink but names the extraction directory")
        self._wait_written()  # the target may still be on its way to the disk
        if source not in self._files:
            raise self.unsafe(name, f"its hardlink target {target!r} is not a regular file extracted before it")
        self._parent(rel, name)
        try:
            os.link(self._abs(source), self._abs(rel))
        except FileExistsError:
            raise self.unsafe(name, "it conflicts with an earlier member of the same name") from None
        except OSError as e:
            raise self._fs_error(rel, e) from e
        self._files.add(rel)

    def finish(self) -> None:
        """Check every symlink again now that all are known.

        A link checked when it was made may since have been given a meaning that leaves dest by a
        later link on its path (``a -> b/../..`` and then ``b -> c/d``).  Waits for the files still
        being written first (raising what writing them raised).
        """
        self._wait_written()
        for rel, target in self._links.items():
            self._check_link(self._link_names[rel], rel, target)
