"""Safe, streaming extraction of python-build-standalone archives.

Tar archives (``.tar.gz``, ``.tar.zst``, ``.tar.xz``, ``.tar.bz2``) are decompressed and unpacked in
one pass over a non-seekable stream, so a download is unpacked while it arrives; zip archives need
seeking and are read from a file.  Nothing is written outside the destination directory, whatever the
archive holds (see :mod:`shimkit.archive_writer`), special files are refused, and limits bound the
number of members and the bytes written.

Speed matters (this is the install hot path): decompression (:mod:`shimkit.archive_decode`) runs
in a helper thread while the tar reader (:mod:`shimkit.archive_tar`) parses headers and writes
bodies without further copies.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Tuple, cast

from .archive_decode import ArchiveFormat, FileSource, Prefetch, decoder
from .archive_tar import unpack_tar
from .archive_writer import ExtractLimits, Writer
from .archive_zip import unpack_zip
from .errors import ArchiveError

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
_DEFAULT_LIMITS = ExtractLimits()


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


def extract_stream(stream: BinaryIO, fmt: ArchiveFormat, dest: Path, limits: ExtractLimits = _DEFAULT_LIMITS) -> None:
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
    writer = Writer(dest, limits)
    try:
        with Prefetch(decoder(stream, fmt)) as data:
            unpack_tar(data, writer)
        writer.finish()
    finally:
        writer.close()  # no thread writes into dest once this returns or raises


def extract_file(path: Path, dest: Path, limits: ExtractLimits = _DEFAULT_LIMITS) -> None:
    """Unpack the archive at ``path`` (any supported format, from its name) into ``dest``.

    Same contract as :func:`extract_stream`: ``dest`` is an existing empty directory, which the caller
    deletes if this raises.
    """
    fmt = archive_format(path.name)
    if fmt == "zip":
        writer = Writer(dest, limits)
        unpack_zip(path, writer)
        writer.finish()
        return
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; errors while reading are translated
    except OSError as e:
        raise ArchiveError(f"cannot read archive {path}: {e.strerror or e}", "check the path") from e
    with f:
        extract_stream(cast(BinaryIO, FileSource(f, path)), fmt, dest, limits)


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
                "directory is a symlink",
                "use an archive from python-build-standalone",
            )
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
                            "leads outside the installation",
                            "use an archive from python-build-standalone",
                        )
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return root


__all__ = [
    "ArchiveFormat",
    "ExtractLimits",
    "archive_format",
    "extract_file",
    "extract_stream",
    "find_install_root",
]
