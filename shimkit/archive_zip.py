"""Reading zip archives (part of :mod:`shimkit.archive`): the format needs seeking, so from a file."""

from __future__ import annotations

import lzma
import os
import stat
import time
import zipfile
import zlib
from pathlib import Path
from typing import Optional, Tuple

from .archive_decode import OUT_CHUNK, corrupt
from .archive_writer import Writer, decode_name
from .errors import ArchiveError

_ZIP_ERRORS: Tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


def unpack_zip(path: Path, out: Writer) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except OSError as e:
        raise ArchiveError(f"cannot read archive {path}: {e.strerror or e}", "check the path") from e
    except _ZIP_ERRORS as e:
        raise corrupt(f"{path.name} is not a valid zip file ({e})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > out.limits.max_members:
            raise out.too_many(infos[out.limits.max_members].filename)
        for info in infos:
            _unpack_zip_member(zf, info, out)


def _unpack_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: Writer) -> None:
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
        out.symlink(name, decode_name(_zip_read_all(zf, info)))
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
                chunk = member.read(OUT_CHUNK)
                if not chunk:
                    break
                out.write(fd, name, rel, chunk)
    except _ZIP_ERRORS as e:
        os.close(fd)
        raise corrupt(f"member {name!r}: {e}") from None
    except BaseException:
        os.close(fd)
        raise
    out.close_file(fd, rel, mtime)


def _zip_read_all(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with zf.open(info) as member:
            return member.read(4097)
    except _ZIP_ERRORS as e:
        raise corrupt(f"member {info.filename!r}: {e}") from None
