"""Reading tar archives from a decompressed stream (part of :mod:`shimkit.archive`).

Headers are parsed with :meth:`tarfile.TarInfo.frombuf`, but the stream, the extended headers and
the file bodies are handled here, so bodies go from the decompressor to ``os.write`` in chunks of
up to 1 MiB without further copies.
"""

from __future__ import annotations

import os
import tarfile
from typing import Dict, Optional

from .archive_decode import Prefetch, corrupt
from .archive_writer import POOL_FILE_MAX, Writer, decode_name

_MAX_META = 1024 * 1024  # largest pax / GNU long-name header accepted
_MAX_TRAILER = 16 * 1024 * 1024  # data accepted after the end-of-archive block (record padding)
_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)

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
            raise corrupt("malformed pax extended header") from None
        end = pos + length
        if space < 0 or length <= 0 or end > len(data) or data[end - 1 : end] != b"\n":
            raise corrupt("malformed pax extended header")
        key, sep, value = data[space + 1 : end - 1].partition(b"=")
        if not sep:
            raise corrupt("malformed pax extended header")
        records[key.decode("utf-8", "surrogateescape")] = value
        pos = end
    return records


def unpack_tar(data: Prefetch, out: Writer) -> None:
    long_name: Optional[str] = None
    long_link: Optional[str] = None
    pax: Dict[str, bytes] = {}
    metas = 0
    last = "(start of archive)"
    while True:
        block = data.read(_BLOCK)
        if not block:
            if long_name is not None or long_link is not None or pax:
                raise corrupt(f"the tar data ends inside the headers after member {last!r}")
            return  # no end-of-archive blocks: tolerated, like tar does
        if len(block) < _BLOCK:
            raise corrupt(f"the tar data ends inside the header after member {last!r}")
        if block == _ZERO_BLOCK:
            if data.skip(_MAX_TRAILER) == _MAX_TRAILER and data.skip(1):
                raise corrupt("unexpected data after the end of the tar archive")
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.TarError as e:
            raise corrupt(f"invalid tar header after member {last!r} ({e})") from None
        kind = info.type
        size = info.size
        if size < 0:
            raise corrupt(f"invalid tar header after member {last!r} (negative size)")

        if (
            kind in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
            or kind in _PAX
            or kind in (tarfile.XGLTYPE, b"V")
        ):
            metas += 1
            if metas > out.limits.max_members:
                raise corrupt("too many extended headers")
            if size > _MAX_META:
                raise corrupt(f"oversized extended header ({size} bytes) after member {last!r}")
            payload = data.read(size)
            padding = -size % _BLOCK
            if len(payload) < size or data.skip(padding) < padding:
                raise corrupt(f"the tar data ends inside a header after member {last!r}")
            if kind == tarfile.GNUTYPE_LONGNAME:
                long_name = decode_name(payload.rstrip(b"\0"))
            elif kind == tarfile.GNUTYPE_LONGLINK:
                long_link = decode_name(payload.rstrip(b"\0"))
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
                name = decode_name(pax["path"])
            if "linkpath" in pax:
                linkname = decode_name(pax["linkpath"])
            try:
                if "size" in pax:
                    size = int(pax["size"])
                if "mtime" in pax:
                    mtime = float(pax["mtime"])
            except ValueError:
                raise corrupt(f"invalid pax extended header for member {name!r}") from None
            if any(k.startswith("GNU.sparse.") for k in pax):
                raise out.unsafe(name, "it is a sparse file (not supported)")
            if size < 0:
                raise corrupt(f"invalid pax extended header for member {name!r}")
        long_name = long_link = None
        pax = {}
        last = name

        if kind in _REGULAR and not (kind == tarfile.AREGTYPE and name.endswith("/")) and size <= POOL_FILE_MAX:
            body = data.read(size)
            if len(body) < size:
                raise corrupt(f"the tar data ends inside member {name!r}")
            out.put_file(name, info.mode, body, mtime)
            padding = -size % _BLOCK
            if padding and data.skip(padding) < padding:
                raise corrupt(f"the tar data ends inside member {name!r}")
        elif kind in _REGULAR and not (kind == tarfile.AREGTYPE and name.endswith("/")):
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
                raise corrupt(f"the tar data ends inside member {name!r}")
            out.close_file(fd, rel, mtime)
            padding = -size % _BLOCK
            if padding and data.skip(padding) < padding:
                raise corrupt(f"the tar data ends inside member {name!r}")
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
