"""Safe, streaming extraction of python-build-standalone archives.

Tar archives (``.tar.gz``, ``.tar.zst``, ``.tar.xz``, ``.tar.bz2``) are decompressed and unpacked in
one pass over a non-seekable stream, so a download is unpacked while it arrives; zip archives need
seeking and are read from a file.  Nothing is written outside the destination directory, whatever the
archive holds: every member name and link target is checked here (tarfile's ``filter="data"`` does not
exist on every Python we support), special files are refused, and limits bound the number of members
and the bytes written.

Speed matters (this is the install hot path): tar headers are parsed with
:meth:`tarfile.TarInfo.frombuf`, but the stream, the extended headers and the file bodies are handled
here, so bodies go from the decompressor to ``os.write`` in chunks of up to 1 MiB without further
copies; decompression runs in a helper thread (zlib, lzma, bz2 and zstd release the GIL) while this
thread parses and writes; gzip uses zlib-ng when it is installed.  Which paths exist below the
destination is tracked in memory (the destination starts empty), so no member costs a ``stat`` or a
``realpath``.
"""

from __future__ import annotations

import bz2
import contextlib
import importlib
import lzma
import os
import queue
import stat
import tarfile
import threading
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, Iterator, List, Literal, Optional, Set, Tuple, Union, cast

from . import interrupt
from .errors import ArchiveError, StoreError

ArchiveFormat = Literal["tar.gz", "tar.zst", "tar.xz", "tar.bz2", "zip"]

# File-name endings, longest first so ".tar.gz" wins over a bare ".gz" check.
_SUFFIXES: Tuple[Tuple[str, ArchiveFormat], ...] = (
    (".tar.gz", "tar.gz"),
    (".tgz", "tar.gz"),
    (".tar.zst", "tar.zst"),
    (".tar.zstd", "tar.zst"),
    (".tar.xz", "tar.xz"),
    (".txz", "tar.xz"),
    (".tar.bz2", "tar.bz2"),
    (".tbz2", "tar.bz2"),
    (".zip", "zip"),
)
_SUPPORTED = ".tar.gz, .tar.zst, .tar.xz, .tar.bz2, .zip"

_IN_CHUNK = 256 * 1024  # compressed bytes read from the source at a time
_OUT_CHUNK = 1024 * 1024  # most decompressed bytes produced (and held) at a time
_ZSTD_IN_SLICE = 16 * 1024  # zstd output per input byte is unbounded; feed it small slices
_ZSTD_OUT_BUFFER = 256 * 1024  # zstd's output buffer per call (1 MiB ones cost more to allocate)
_PREFETCH_DEPTH = 8  # decompressed chunks the helper thread may run ahead
_MAX_META = 1024 * 1024  # largest pax / GNU long-name header accepted
_MAX_TRAILER = 16 * 1024 * 1024  # data accepted after the end-of-archive block (record padding)
_MAX_LINK_HOPS = 40  # like the kernel's symlink limit
_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)

_O_CREATE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)
_UTIME_FD = os.utime in os.supports_fd
_WINDOWS = os.name == "nt"

_CORRUPT_HINT = "the file is damaged or incomplete; download it again"
_UNSAFE_HINT = "refusing to extract it: the archive is not a well-formed python-build-standalone archive"


@dataclass(frozen=True)
class ExtractLimits:
    """Upper bounds that stop a hostile or broken archive before it fills the disk."""

    max_total_bytes: int = 4 * 1024**3
    max_members: int = 200_000


def archive_format(filename: str) -> ArchiveFormat:
    """The archive format named by ``filename``'s ending (``.tar.gz``, ``.tar.zst``, ``.zip`` …)."""
    lower = filename.lower()
    for suffix, fmt in _SUFFIXES:
        if lower.endswith(suffix):
            return fmt
    raise ArchiveError(
        f"unsupported archive type: {filename!r}",
        f"shimkit can unpack {_SUPPORTED} archives",
    )


def extract_stream(
    stream: BinaryIO, fmt: ArchiveFormat, dest: Path, limits: ExtractLimits = ExtractLimits()
) -> None:
    """Decompress and unpack the tar archive read from ``stream`` into ``dest``, in one pass.

    ``stream`` only needs ``read(n)``; it is read to its end (so a hashing wrapper has seen every
    byte when this returns).  ``dest`` must be an existing, empty directory.  Errors raised by
    ``stream`` itself propagate unchanged; a damaged archive raises :class:`ArchiveError`
    (``corrupted archive: …``), an unsafe member :class:`ArchiveError` naming it, and a failure to
    write :class:`StoreError`.  On any error extraction stops at once and ``dest`` is left partly
    filled: the caller deletes it.

    ``zip`` is not accepted (the format needs seeking): use :func:`extract_file`.
    """
    if fmt == "zip":
        raise ValueError("zip archives cannot be read from a stream; use extract_file()")
    if fmt not in ("tar.gz", "tar.zst", "tar.xz", "tar.bz2"):
        raise ValueError(f"unknown archive format {fmt!r}")
    writer = _Writer(dest, limits)
    with _Prefetch(_decoder(stream, fmt)) as data:
        _unpack_tar(data, writer)
    writer.finish()


def extract_file(path: Path, dest: Path, limits: ExtractLimits = ExtractLimits()) -> None:
    """Unpack the archive at ``path`` (any supported format, from its name) into ``dest``.

    Same contract as :func:`extract_stream`: ``dest`` is an existing empty directory, which the caller
    deletes if this raises.
    """
    fmt = archive_format(path.name)
    if fmt == "zip":
        writer = _Writer(dest, limits)
        _unpack_zip(path, writer)
        writer.finish()
        return
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; errors while reading are translated
    except OSError as e:
        raise ArchiveError(f"cannot read archive {path}: {e.strerror or e}", "check the path") from e
    with f:
        extract_stream(cast(BinaryIO, _FileSource(f, path)), fmt, dest, limits)


def find_install_root(dest: Path) -> Path:
    """The installation inside an unpacked PBS archive.

    ``dest/python/install`` for full archives, ``dest/python`` for ``install_only`` ones.
    """
    python = dest / "python"
    install = python / "install"
    if install.is_dir():
        return _links_stay_inside(install, dest)
    if python.is_dir():
        return _links_stay_inside(python, dest)
    raise ArchiveError(
        "archive has no top-level python/ directory: it is not a python-build-standalone archive",
        "use an install_only or full archive from python-build-standalone",
    )


def _links_stay_inside(root: Path, dest: Path) -> Path:
    """``root`` if it is a real directory and every symlink in it resolves inside it.

    Extraction only checked links against ``dest``; the installation is ``root`` alone (the
    archive's ``python/`` or ``python/install/`` prefix is stripped), so ``python/install -> ..``
    or ``lib/python3.12/site-packages -> ../../..`` would point outside it once installed.
    """
    for part in (root, root.parent) if root.parent != dest else (root,):
        if part.is_symlink():
            raise ArchiveError(
                f"unsafe archive member {part.relative_to(dest).as_posix()!r}: the installation's top "
                "directory is a symlink", "use an archive from python-build-standalone")
    real_root = os.path.realpath(root)
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_symlink():
                    resolved = os.path.realpath(entry.path)
                    if resolved != real_root and not resolved.startswith(real_root + os.sep):
                        member = Path(entry.path).relative_to(dest).as_posix()
                        raise ArchiveError(
                            f"unsafe archive member {member!r}: its symlink target {os.readlink(entry.path)!r} "
                            "leads outside the installation", "use an archive from python-build-standalone")
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return root


# --- decompression ------------------------------------------------------------------------------


def _corrupt(detail: str) -> ArchiveError:
    return ArchiveError(f"corrupted archive: {detail}", _CORRUPT_HINT)


class _FileSource:
    """A local archive file as a source: read errors become :class:`ArchiveError`."""

    def __init__(self, f: BinaryIO, path: Path) -> None:
        self._f = f
        self._path = path

    def read(self, n: int = -1) -> bytes:
        try:
            return self._f.read(n)
        except OSError as e:
            raise ArchiveError(f"cannot read archive {self._path}: {e.strerror or e}") from e


# A decoder yields the decompressed bytes of a source as chunks of at most _OUT_CHUNK bytes and
# raises ArchiveError if the data is invalid or ends early.  Exceptions from the source itself
# (a DownloadError from the network, say) pass through untouched.
Decoder = Iterator[bytes]

_DECODE_ERRORS: Tuple[type[Exception], ...] = (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError)


def _inflate_module() -> Any:
    """The zlib implementation for gzip: zlib-ng's drop-in module when it is installed.

    It inflates about twice as fast as the zlib CPython links (0.20 s against 0.41 s for a 137 MB
    interpreter tar here), and inflating is most of the CPU time of a ``.tar.gz`` install.
    """
    try:
        return importlib.import_module("zlib_ng.zlib_ng")
    except ImportError:
        return zlib


def _decoder(stream: BinaryIO, fmt: ArchiveFormat) -> Decoder:
    if fmt == "tar.gz":
        z = _inflate_module()
        return _bounded_decoder(stream, "gzip", lambda: z.decompressobj(16 + z.MAX_WBITS), z.error)
    if fmt == "tar.xz":
        return _bounded_decoder(stream, "xz", lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ))
    if fmt == "tar.bz2":
        return _bounded_decoder(stream, "bzip2", bz2.BZ2Decompressor)
    return _zstd_decoder(stream)


def _bounded_decoder(stream: BinaryIO, what: str, new: Callable[[], Any],
                     error: type[Exception] = zlib.error) -> Decoder:
    """Decompress with a zlib/lzma/bz2 object, never producing more than _OUT_CHUNK per call.

    Concatenated streams (``cat a.gz b.gz``) are decoded one after the other, as gzip does.
    """
    dec = new()
    is_zlib = what == "gzip"
    pending = b""  # zlib: input not consumed yet (lzma and bz2 keep theirs internally)
    started = False
    while True:
        if dec.eof:
            rest = dec.unused_data or stream.read(_IN_CHUNK)
            if not rest:
                return
            dec, pending = new(), rest
        elif not pending and (is_zlib or dec.needs_input):
            pending = stream.read(_IN_CHUNK)
            if not pending:
                if started:
                    raise _corrupt(f"the {what} data ends early (truncated file?)")
                raise _corrupt(f"no {what} data (empty file)")
        try:
            out = dec.decompress(pending, _OUT_CHUNK)
        except (error, *_DECODE_ERRORS) as e:
            raise _corrupt(f"invalid {what} data ({e})") from None
        pending = dec.unconsumed_tail if is_zlib else b""
        started = True
        if out:
            yield out


def _zstd_decoder(stream: BinaryIO) -> Decoder:
    """Decompress zstd frames (several in a row are allowed), detecting truncation.

    ``ZstdDecompressor().stream_reader`` bounds its output but silently accepts a truncated frame,
    so a decompression object is fed small input slices instead: the output of one call stays
    bounded (zstd can expand a few bytes into 128 KiB) and its ``eof`` flag tells whether the last
    frame was complete.
    """
    import zstandard  # only archives in this format need it

    dctx = zstandard.ZstdDecompressor()
    dec = dctx.decompressobj(write_size=_ZSTD_OUT_BUFFER)
    fed = False  # whether ``dec`` has been given input
    anything = False
    held: List[bytes] = []
    size = 0
    while True:
        data = stream.read(_IN_CHUNK)
        if not data:
            break
        anything = True
        view = memoryview(data)
        for start in range(0, len(view), _ZSTD_IN_SLICE):
            piece: Union[bytes, memoryview] = view[start:start + _ZSTD_IN_SLICE]
            while piece:
                try:
                    out = dec.decompress(piece)
                except zstandard.ZstdError as e:
                    raise _corrupt(f"invalid zstd data ({e})") from None
                fed = True
                piece = b""
                if dec.eof:  # a frame ended: what follows starts the next one
                    piece = dec.unused_data
                    dec, fed = dctx.decompressobj(write_size=_ZSTD_OUT_BUFFER), False
                if out:
                    held.append(out)
                    size += len(out)
            if size >= _OUT_CHUNK:
                yield b"".join(held) if len(held) > 1 else held[0]
                held, size = [], 0
    if held:
        yield b"".join(held)
    if not anything:
        raise _corrupt("no zstd data (empty file)")
    if fed:
        raise _corrupt("the zstd data ends early (truncated file?)")


_DATA, _END, _ERROR = 0, 1, 2


class _Prefetch:
    """Serves a decoder's output with ``read`` / ``take`` / ``skip``, decoding in a helper thread.

    Decompression releases the GIL, so it overlaps with header parsing and file writes in the
    calling thread.  Leaving the ``with`` block stops the helper and waits for it, so the source is
    never read by two threads, nor after :func:`extract_stream` has returned.
    """

    def __init__(self, decoder: Decoder, threaded: bool = True) -> None:
        self._decoder = decoder
        self._threaded = threaded
        self._queue: queue.Queue[Tuple[int, object]] = queue.Queue(_PREFETCH_DEPTH)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._buf = b""
        self._pos = 0
        self._done = False

    def __enter__(self) -> _Prefetch:
        if self._threaded:
            self._thread = threading.Thread(target=self._run, name="shimkit-unpack", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):  # make room for a helper blocked on a full queue
                self._queue.get(timeout=0.05)
        thread.join()

    def _put(self, item: Tuple[int, object]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for chunk in self._decoder:
                if not self._put((_DATA, chunk)):
                    return
            self._put((_END, None))
        except BaseException as e:  # handed to the reading thread, which re-raises it
            self._put((_ERROR, e))

    def _next(self) -> bytes:
        if self._done:
            return b""
        if not self._threaded:
            chunk = next(self._decoder, b"")
            self._done = not chunk
            return chunk
        kind, value = self._queue.get()
        if kind == _DATA:
            return cast(bytes, value)
        self._done = True
        if kind == _ERROR:
            raise cast(BaseException, value)
        return b""

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes, fewer only at the end of the data."""
        buf, pos = self._buf, self._pos
        end = pos + n
        if end <= len(buf):
            self._pos = end
            return buf[pos:end]
        parts = [buf[pos:]]
        have = len(buf) - pos
        self._buf, self._pos = b"", 0
        while have < n:
            chunk = self._next()
            if not chunk:
                break
            need = n - have
            if len(chunk) > need:
                parts.append(chunk[:need])
                self._buf, self._pos = chunk, need
                have = n
                break
            parts.append(chunk)
            have += len(chunk)
        return b"".join(parts)

    def take(self, n: int) -> Iterator[Union[bytes, memoryview]]:
        """The next ``n`` bytes as pieces (views into the decoder's chunks: no copies)."""
        while n > 0:
            if self._pos >= len(self._buf):
                self._buf, self._pos = self._next(), 0
                if not self._buf:
                    return
            pos = self._pos
            k = min(n, len(self._buf) - pos)
            self._pos = pos + k
            n -= k
            if pos == 0 and k == len(self._buf):
                yield self._buf
            else:
                yield memoryview(self._buf)[pos:pos + k]

    def skip(self, n: int) -> int:
        """Discard up to ``n`` bytes; returns how many were there."""
        got = 0
        for piece in self.take(n):
            got += len(piece)
        return got


# --- writing ------------------------------------------------------------------------------------


def _same(path: str) -> str:
    return path


def _fold(path: str) -> str:
    """A path as a case-insensitive, normalisation-insensitive file system would compare it.

    Used to match symlinks, so ``python/LIB -> ..`` also guards ``python/lib/x`` on macOS/Windows.
    """
    return unicodedata.normalize("NFKC", path).casefold()


class _Writer:
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
                f"archive member {name!r}: the archive has more than "
                f"{self.limits.max_members} members",
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
        perm = 0o755 if mode & 0o111 else 0o644
        try:
            fd = os.open(self._abs(rel), _O_CREATE, perm)
        except FileExistsError:
            raise self.unsafe(name, "it conflicts with an earlier member of the same name") from None
        except OSError as e:
            raise self._fs_error(rel, e) from e
        return fd, rel

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

    def _resolve(self, name: str, rel: str, target: str, links: Dict[str, str],
                 key: Callable[[str], str]) -> None:
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
        if source not in self._files:
            raise self.unsafe(
                name, f"its hardlink target {target!r} is not a regular file extracted before it"
            )
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
        later link on its path (``a -> b/../..`` and then ``b -> c/d``).
        """
        for rel, target in self._links.items():
            self._check_link(self._link_names[rel], rel, target)


# --- tar ----------------------------------------------------------------------------------------

_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE)
_PAX = (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE)
_SPECIAL = {
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a FIFO",
    tarfile.GNUTYPE_SPARSE: "a sparse file",
    b"M": "a multi-volume continuation",
    b"D": "a GNU dump directory",
    b"N": "an old GNU long-name entry",
}


def _parse_pax(data: bytes) -> Dict[str, bytes]:
    """The records of a pax extended header (``"%d %s=%s\\n"``)."""
    records: Dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # some writers pad the block with NULs
            break
        space = data.find(b" ", pos)
        try:
            length = int(data[pos:space])
        except ValueError:
            raise _corrupt("malformed pax extended header") from None
        end = pos + length
        if space < 0 or length <= 0 or end > len(data) or data[end - 1:end] != b"\n":
            raise _corrupt("malformed pax extended header")
        key, sep, value = data[space + 1:end - 1].partition(b"=")
        if not sep:
            raise _corrupt("malformed pax extended header")
        records[key.decode("utf-8", "surrogateescape")] = value
        pos = end
    return records


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _unpack_tar(data: _Prefetch, out: _Writer) -> None:
    long_name: Optional[str] = None
    long_link: Optional[str] = None
    pax: Dict[str, bytes] = {}
    metas = 0
    last = "(start of archive)"
    while True:
        block = data.read(_BLOCK)
        if not block:
            if long_name is not None or long_link is not None or pax:
                raise _corrupt(f"the tar data ends inside the headers after member {last!r}")
            return  # no end-of-archive blocks: tolerated, like tar does
        if len(block) < _BLOCK:
            raise _corrupt(f"the tar data ends inside the header after member {last!r}")
        if block == _ZERO_BLOCK:
            if data.skip(_MAX_TRAILER) == _MAX_TRAILER and data.skip(1):
                raise _corrupt("unexpected data after the end of the tar archive")
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.TarError as e:
            raise _corrupt(f"invalid tar header after member {last!r} ({e})") from None
        kind = info.type
        size = info.size
        if size < 0:
            raise _corrupt(f"invalid tar header after member {last!r} (negative size)")

        if kind in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK) or kind in _PAX or kind in (
            tarfile.XGLTYPE, b"V"
        ):
            metas += 1
            if metas > out.limits.max_members:
                raise _corrupt("too many extended headers")
            if size > _MAX_META:
                raise _corrupt(f"oversized extended header ({size} bytes) after member {last!r}")
            payload = data.read(size)
            padding = -size % _BLOCK
            if len(payload) < size or data.skip(padding) < padding:
                raise _corrupt(f"the tar data ends inside a header after member {last!r}")
            if kind == tarfile.GNUTYPE_LONGNAME:
                long_name = _text(payload.rstrip(b"\0"))
            elif kind == tarfile.GNUTYPE_LONGLINK:
                long_link = _text(payload.rstrip(b"\0"))
            elif kind in _PAX:
                pax.update(_parse_pax(payload))
            # Global headers (git archive's commit id) and volume labels carry nothing we use.
            continue

        name = info.name
        linkname = info.linkname
        mtime: Optional[float] = info.mtime
        if long_name is not None:
            name = long_name
        if long_link is not None:
            linkname = long_link
        if pax:
            if "path" in pax:
                name = _text(pax["path"])
            if "linkpath" in pax:
                linkname = _text(pax["linkpath"])
            try:
                if "size" in pax:
                    size = int(pax["size"])
                if "mtime" in pax:
                    mtime = float(pax["mtime"])
            except ValueError:
                raise _corrupt(f"invalid pax extended header for member {name!r}") from None
            if any(k.startswith("GNU.sparse.") for k in pax):
                raise out.unsafe(name, "it is a sparse file (not supported)")
            if size < 0:
                raise _corrupt(f"invalid pax extended header for member {name!r}")
        long_name = long_link = None
        pax = {}
        last = name

        if kind in _REGULAR and not (kind == tarfile.AREGTYPE and name.endswith("/")):
            fd, rel = out.open_file(name, info.mode, size)
            try:
                got = 0
                for piece in data.take(size):
                    out.write(fd, name, rel, piece)
                    got += len(piece)
            except BaseException:
                os.close(fd)
                raise
            if got < size:
                os.close(fd)
                raise _corrupt(f"the tar data ends inside member {name!r}")
            out.close_file(fd, rel, mtime)
            padding = -size % _BLOCK
            if padding and data.skip(padding) < padding:
                raise _corrupt(f"the tar data ends inside member {name!r}")
        elif kind == tarfile.DIRTYPE or kind == tarfile.AREGTYPE:
            out.directory(name)
        elif kind == tarfile.SYMTYPE:
            out.symlink(name, linkname)
        elif kind == tarfile.LNKTYPE:
            out.hardlink(name, linkname)
        elif kind in _SPECIAL:
            raise out.unsafe(name, f"it is {_SPECIAL[kind]}")
        else:
            raise out.unsafe(name, f"it has an unsupported type {kind!r}")


# --- zip ----------------------------------------------------------------------------------------

_ZIP_ERRORS: Tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, RuntimeError,
    ValueError,
)


def _unpack_zip(path: Path, out: _Writer) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except OSError as e:
        raise ArchiveError(f"cannot read archive {path}: {e.strerror or e}", "check the path") from e
    except _ZIP_ERRORS as e:
        raise _corrupt(f"{path.name} is not a valid zip file ({e})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > out.limits.max_members:
            raise out.too_many(infos[out.limits.max_members].filename)
        for info in infos:
            _unpack_zip_member(zf, info, out)


def _unpack_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: _Writer) -> None:
    name = info.filename
    # Unix permission bits live in the high 16 bits of external_attr (create_system 3 = Unix).
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    kind = stat.S_IFMT(mode)
    if name.endswith(("/", "\\")) or kind == stat.S_IFDIR:
        out.directory(name)
        return
    if kind == stat.S_IFLNK:
        if info.file_size > 4096:
            raise out.unsafe(name, "its symlink target is too long")
        out.symlink(name, _text(_zip_read_all(zf, info)))
        return
    if kind not in (0, stat.S_IFREG):
        raise out.unsafe(name, "it is a special file (device, FIFO or socket)")
    try:
        mtime: Optional[float] = time.mktime((*info.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        mtime = None
    fd, rel = out.open_file(name, mode, info.file_size)
    try:
        with zf.open(info) as member:
            while True:
                chunk = member.read(_OUT_CHUNK)
                if not chunk:
                    break
                out.write(fd, name, rel, chunk)
    except _ZIP_ERRORS as e:
        os.close(fd)
        raise _corrupt(f"member {name!r}: {e}") from None
    except BaseException:
        os.close(fd)
        raise
    out.close_file(fd, rel, mtime)


def _zip_read_all(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with zf.open(info) as member:
            return member.read(4097)
    except _ZIP_ERRORS as e:
        raise _corrupt(f"member {info.filename!r}: {e}") from None


__all__ = [
    "ArchiveFormat",
    "ExtractLimits",
    "archive_format",
    "extract_file",
    "extract_stream",
    "find_install_root",
]
