"""Builders of hostile archives: every way a member could reach outside the extraction directory.

:func:`hostile_archives` returns one :class:`HostileArchive` per attack.  Each is aimed at a real
directory, ``outside``, which must be a sibling of the extraction directory (``tmp/dest`` and
``tmp/sentinel``): an extractor that followed the archive would write, link or point into it, so a
test checks that ``outside`` is unchanged afterwards as well as that the error names the member.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import tarfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import zstandard

EPOCH = 1767225600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class HostileArchive:
    """One attack: the archive's bytes and the member whose name the error must give."""

    id: str
    filename: str  # its file name (the format comes from the ending)
    data: bytes
    member: str  # the member the error message must name


# --- building blocks (also used by the tests for well-formed archives) ---------------------------


@dataclass(frozen=True)
class Member:
    """A tar member: ``kind`` is a tarfile type constant; ``target`` is the link target."""

    name: str
    kind: bytes = tarfile.REGTYPE
    data: bytes = b""
    mode: int = 0o644
    target: str = ""
    pax: Optional[Tuple[Tuple[str, str], ...]] = None  # extra pax records (forces PAX format)


def file(name: str, data: bytes = b"x", mode: int = 0o644) -> Member:
    return Member(name, tarfile.REGTYPE, data, mode)


def directory(name: str) -> Member:
    return Member(name, tarfile.DIRTYPE, mode=0o755)


def symlink(name: str, target: str) -> Member:
    return Member(name, tarfile.SYMTYPE, mode=0o777, target=target)


def hardlink(name: str, target: str) -> Member:
    return Member(name, tarfile.LNKTYPE, target=target)


def tar_bytes(members: Sequence[Member], tar_format: int = tarfile.GNU_FORMAT) -> bytes:
    """An uncompressed tar holding ``members`` exactly as given (no name cleaning)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tar_format) as tf:
        for m in members:
            info = tarfile.TarInfo(m.name)
            info.type = m.kind
            info.mode = m.mode
            info.mtime = EPOCH
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.linkname = m.target
            if m.kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                info.devmajor, info.devminor = 1, 3
            if m.pax:
                info.pax_headers = dict(m.pax)
            if m.kind == tarfile.REGTYPE:
                info.size = len(m.data)
                tf.addfile(info, io.BytesIO(m.data))
            else:
                tf.addfile(info)
    return out.getvalue()


def compress(tar: bytes, fmt: str) -> bytes:
    """``tar`` compressed for ``fmt`` (``tar.gz``, ``tar.zst``, ``tar.xz``, ``tar.bz2``)."""
    if fmt == "tar.gz":
        return gzip.compress(tar, mtime=0)
    if fmt == "tar.zst":
        return zstandard.ZstdCompressor(write_checksum=True).compress(tar)
    if fmt == "tar.xz":
        return lzma.compress(tar, format=lzma.FORMAT_XZ)
    if fmt == "tar.bz2":
        return bz2.compress(tar)
    raise ValueError(f"not a tar format: {fmt}")


@dataclass(frozen=True)
class ZipMember:
    name: str
    data: bytes = b"x"
    unix_mode: Optional[int] = None  # full st_mode (type and permission bits), or none at all


def zip_bytes(members: Sequence[ZipMember]) -> bytes:
    """A zip holding ``members`` exactly as named (zipfile does not clean names when writing)."""
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": wanted here
        for m in members:
            info = zipfile.ZipInfo(m.name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if m.unix_mode is not None:
                info.create_system = 3
                info.external_attr = m.unix_mode << 16
            else:
                info.create_system = 0  # MS-DOS: no Unix bits, like PBS's Windows zips
            zf.writestr(info, m.data)
    return out.getvalue()


# --- the attacks ---------------------------------------------------------------------------------


def hostile_archives(outside: Path) -> List[HostileArchive]:
    """Every attack, aimed at ``outside`` (absolute; a sibling of the extraction directory)."""
    out_abs = str(outside)
    up = f"../{outside.name}"  # from the extraction directory to ``outside``
    cases: List[HostileArchive] = []

    def tar(
        id: str, members: Sequence[Member], member: str, fmt: str = "tar.gz", tar_format: int = tarfile.GNU_FORMAT
    ) -> None:
        data = compress(tar_bytes(members, tar_format), fmt)
        cases.append(HostileArchive(id, f"{id}.{fmt}", data, member))

    def zip_(id: str, members: Sequence[ZipMember], member: str) -> None:
        cases.append(HostileArchive(id, f"{id}.zip", zip_bytes(members), member))

    ok = [directory("python/"), file("python/README", b"fine")]

    # names
    tar("absolute-path", [*ok, file(f"{out_abs}/evil")], f"{out_abs}/evil")
    tar("dotdot-leading", [*ok, file(f"{up}/evil")], f"{up}/evil", fmt="tar.zst")
    tar(
        "dotdot-inner",
        [*ok, file(f"python/../../{outside.name}/evil")],
        f"python/../../{outside.name}/evil",
        fmt="tar.xz",
    )
    tar("dotdot-backslash", [*ok, file(f"..\\{outside.name}\\evil")], f"..\\{outside.name}\\evil", fmt="tar.bz2")
    tar("backslash-rooted", [*ok, file("\\evil")], "\\evil")
    tar("drive-letter", [*ok, file("C:\\evil")], "C:\\evil")
    tar("drive-relative", [*ok, file("C:evil")], "C:evil")
    nul_name = f"python/a\0/../../{outside.name}/evil"
    tar(
        "nul-in-pax-path",
        [*ok, Member("python/placeholder", data=b"x", pax=(("path", nul_name),))],
        nul_name,
        tar_format=tarfile.PAX_FORMAT,
    )
    long_nul = "python/" + "x" * 120 + "\0/evil"
    tar("nul-in-gnu-longname", [*ok, file(long_nul)], long_nul)
    long_up = "python/" + "/".join(["d"] * 60) + "/" + "../" * 62 + f"{outside.name}/evil"
    tar("dotdot-in-long-name", [*ok, file(long_up)], long_up)

    # symlinks, and writing through them
    tar("symlink-absolute", [*ok, symlink("python/lib", out_abs), file("python/lib/evil")], "python/lib")
    tar("symlink-drive-target", [*ok, symlink("python/lib", "C:\\Windows")], "python/lib")
    tar("symlink-escape", [*ok, symlink("python/lib", f"../{up}"), file("python/lib/evil")], "python/lib")
    tar("symlink-escape-deep", [*ok, symlink("python/lib", "../../.."), file("python/lib/evil")], "python/lib")
    tar(
        "symlink-nul-target",
        [*ok, Member("python/lib", tarfile.SYMTYPE, mode=0o777, target="x", pax=(("linkpath", f"x\0/../../{up}"),))],
        "python/lib",
        tar_format=tarfile.PAX_FORMAT,
    )
    tar(
        "write-through-inner-symlink",
        [*ok, directory("python/real/"), symlink("python/lnk", "real"), file("python/lnk/evil")],
        "python/lnk/evil",
    )
    # Each link stays inside when it is made; together they leave: a -> b/../../X is inside while b
    # is a directory, and b -> c/d with c -> .. makes b/../.. the directory above the extraction dir.
    tar(
        "symlink-redefined-later",
        [
            *ok,
            directory("d/"),
            symlink("python/a", f"b/../../{outside.name}"),
            symlink("python/c", ".."),
            symlink("python/b", "c/d"),
        ],
        "python/a",
    )
    # On a case-sensitive file system python/a is the directory, not the link python/A: resolving
    # the target through python/A (as a case-insensitive one would) must not hide the escape.
    tar(
        "symlink-case-confusion",
        [*ok, directory("python/a/"), symlink("python/A", "q/r/s"), symlink("python/l", f"a/../../../{outside.name}")],
        "python/l",
    )
    tar("symlink-replaces-file", [*ok, symlink("python/README", f"../{up}/secret")], "python/README")
    tar(
        "file-replaces-symlink",
        [*ok, symlink("python/lnk", "README"), file("python/lnk", b"overwrite README through the link")],
        "python/lnk",
    )

    # hardlinks
    tar("hardlink-absolute", [*ok, hardlink("python/h", f"{out_abs}/secret")], "python/h")
    tar("hardlink-escape", [*ok, hardlink("python/h", f"{up}/secret")], "python/h")
    tar("hardlink-to-symlink", [*ok, symlink("python/s", "README"), hardlink("python/h", "python/s")], "python/h")
    tar("hardlink-to-directory", [*ok, hardlink("python/h", "python")], "python/h")
    tar("hardlink-forward", [*ok, hardlink("python/h", "python/later"), file("python/later")], "python/h")
    tar(
        "hardlink-then-rewrite",
        [*ok, hardlink("python/h", "python/README"), file("python/h", b"rewrites README's inode")],
        "python/h",
    )

    # special files
    tar("char-device", [*ok, Member("python/null", tarfile.CHRTYPE)], "python/null")
    tar("block-device", [*ok, Member("python/disk", tarfile.BLKTYPE)], "python/disk")
    tar("fifo", [*ok, Member("python/fifo", tarfile.FIFOTYPE)], "python/fifo")

    # zips
    zok = [ZipMember("python/README", b"fine")]
    zip_("zip-dotdot", [*zok, ZipMember(f"{up}/evil")], f"{up}/evil")
    zip_("zip-absolute", [*zok, ZipMember(f"{out_abs}/evil")], f"{out_abs}/evil")
    zip_(
        "zip-dotdot-backslash",
        [*zok, ZipMember(f"python\\..\\..\\{outside.name}\\evil")],
        f"python\\..\\..\\{outside.name}\\evil",
    )
    zip_("zip-backslash-rooted", [*zok, ZipMember("\\evil")], "\\evil")
    zip_("zip-drive-letter", [*zok, ZipMember("C:\\evil")], "C:\\evil")
    zip_("zip-drive-forward", [*zok, ZipMember("C:/evil")], "C:/evil")
    link = stat.S_IFLNK | 0o777
    zip_(
        "zip-symlink-escape",
        [*zok, ZipMember("python/lib", f"../{up}".encode(), link), ZipMember("python/lib/evil")],
        "python/lib",
    )
    zip_(
        "zip-symlink-absolute",
        [*zok, ZipMember("python/lib", out_abs.encode(), link), ZipMember("python/lib/evil")],
        "python/lib",
    )
    zip_("zip-fifo", [*zok, ZipMember("python/fifo", b"", stat.S_IFIFO | 0o644)], "python/fifo")
    zip_("zip-duplicate", [*zok, ZipMember("python/README", b"again")], "python/README")
    return cases
