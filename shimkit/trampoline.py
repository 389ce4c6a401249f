"""Windows bin-dir trampolines: ``python3.12.exe`` that runs ``<install dir>\\cpython-3.12-…\\python.exe``.

A trampoline is the native launcher shipped in ``shimkit/launchers/`` (source: ``launcher/``)
with its target appended, followed by a fixed 16-byte footer, like a zip file's end record::

    [launcher exe][target path, UTF-16LE][u32 LE byte length][u32 LE format version][b"SHIMKITL"]

One self-contained file per entry: it is replaced atomically with a single rename, keeps working
when copied elsewhere, and never needs rewriting on a patch upgrade because the target goes
through the minor-version junction.  ``launcher/README.md`` gives the full reasoning.

Pure Python and importable on any OS, so entries can be written and inspected in tests on Linux.
Paths are handled with Windows semantics (``ntpath``) whatever the host.
"""

from __future__ import annotations

import ntpath
import os
import platform
import struct
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from _typeshed import StrPath

MAGIC = b"SHIMKITL"
FORMAT_VERSION = 1
FOOTER = struct.Struct("<II8s")  # byte length of the target, format version, magic
MAX_TARGET_BYTES = 32767 * 2  # the longest Windows path, in UTF-16 code units
ARCHES = ("x86_64", "aarch64")
_MACHINE_TO_ARCH = {
    "amd64": "x86_64",
    "x86_64": "x86_64",
    "x64": "x86_64",
    "arm64": "aarch64",
    "aarch64": "aarch64",
}


def host_launcher_arch(machine: Optional[str] = None) -> str:
    """``"x86_64"`` or ``"aarch64"``: the launcher that runs natively on this machine.

    ``platform.machine()`` says ``AMD64`` or ``ARM64`` on Windows.  ARM64 Windows also runs
    x64 programs under emulation, so should an emulated interpreter report ``AMD64`` there, the
    x64 launcher it picks still works (only slower to start).
    """
    name = (machine if machine is not None else platform.machine()).lower()
    try:
        return _MACHINE_TO_ARCH[name]
    except KeyError:
        raise ValueError(f"no shimkit launcher for machine type {name!r} (have: {', '.join(ARCHES)})") from None


def _launcher_path(arch: str) -> Path:
    if arch not in ARCHES:
        raise ValueError(f"unknown launcher arch {arch!r} (have: {', '.join(ARCHES)})")
    return Path(__file__).parent / "launchers" / f"shimkit-launcher-{arch}.exe"


def launcher_bytes(arch: str) -> bytes:
    """The shipped launcher executable for ``arch`` (``x86_64`` or ``aarch64``)."""
    return _launcher_path(arch).read_bytes()


def render_trampoline(target: StrPath, arch: str) -> bytes:
    """The complete trampoline that runs ``target`` (an absolute Windows path)."""
    text = os.fspath(target)
    if not ntpath.isabs(text):
        # The launcher does no resolution of its own: a relative target would depend on the
        # caller's working directory.
        raise ValueError(f"trampoline target must be an absolute Windows path, not {text!r}")
    if '"' in text or "\0" in text:
        raise ValueError(f"not a valid Windows path: {text!r}")
    payload = text.encode("utf-16-le", "surrogatepass")
    if len(payload) > MAX_TARGET_BYTES:
        raise ValueError(f"trampoline target is longer than Windows allows: {text[:60]!r}…")
    return launcher_bytes(arch) + payload + FOOTER.pack(len(payload), FORMAT_VERSION, MAGIC)


def read_trampoline_text(entry: StrPath) -> Optional[str]:
    """The target recorded in ``entry`` exactly as stored, or None if it is not a trampoline."""
    try:
        with open(entry, "rb") as f:
            if f.read(2) != b"MZ":  # every Windows executable starts so
                return None
            size = f.seek(0, os.SEEK_END)
            if size < 2 + FOOTER.size:
                return None
            f.seek(size - FOOTER.size)
            length, version, magic = FOOTER.unpack(f.read(FOOTER.size))
            if magic != MAGIC or version != FORMAT_VERSION:
                return None
            if length == 0 or length % 2 or length > MAX_TARGET_BYTES or length + FOOTER.size + 2 > size:
                return None
            f.seek(size - FOOTER.size - length)
            raw = f.read(length)
    except OSError:  # missing, a directory, unreadable: not ours
        return None
    try:
        text = raw.decode("utf-16-le", "surrogatepass")
    except UnicodeDecodeError:
        return None
    return None if "\0" in text or len(raw) != length else text


def read_trampoline(entry: Path) -> Optional[Path]:
    """The target if ``entry`` is a shimkit trampoline, else None (any other file, or none)."""
    text = read_trampoline_text(entry)
    return Path(text) if text is not None else None


def _norm(path: str) -> str:
    return ntpath.normcase(ntpath.normpath(path))


def is_managed(entry: Path, install_dir: StrPath) -> bool:
    """Whether ``entry`` is a shimkit trampoline whose target lies inside ``install_dir``.

    Compared with Windows rules (case-insensitive, either slash), lexically: shimkit writes
    targets under the install dir spelled as configured.  On Windows a differently spelled
    install dir (a junction, a subst drive) is also matched through its real path.
    """
    target = read_trampoline_text(entry)
    if target is None:
        return False
    root = os.fspath(install_dir)
    if _inside(target, root):
        return True
    if sys.platform == "win32":  # pragma: no cover - realpath of Windows paths needs Windows
        return _inside(os.path.realpath(target), os.path.realpath(root))
    return False


def _inside(path: str, root: str) -> bool:
    root_n = _norm(root).rstrip("\\")
    return _norm(path).startswith(root_n + "\\")


def _remove_stale(entry: Path) -> None:
    """Delete trampolines set aside by earlier replacements (see ``write_trampoline``)."""
    prefix = f".{entry.name}."
    try:
        names = os.listdir(entry.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".old"):
            try:
                os.unlink(entry.parent / name)
            except OSError:
                pass  # still running: next time


def write_trampoline(entry: Path, target: StrPath, arch: Optional[str] = None) -> None:
    """Create or replace the trampoline ``entry`` so it runs ``target``; atomic.

    The new file is written beside ``entry`` and renamed over it, so a process starting
    ``entry`` at any moment gets the old or the new trampoline, never a partial one.  An
    identical entry is left untouched.  A running executable cannot be replaced on Windows,
    but it can be renamed: when the rename over it is refused, the old entry is moved aside
    first (and deleted once it no longer runs, by a later call).
    """
    data = render_trampoline(target, arch or host_launcher_arch())
    try:
        if entry.read_bytes() == data:
            return
    except OSError:
        pass
    _remove_stale(entry)
    tmp = entry.with_name(f".{entry.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.replace(tmp, entry)
        except PermissionError:
            if not entry.exists():
                raise
            aside = entry.with_name(f".{entry.name}.{uuid.uuid4().hex[:12]}.old")
            os.replace(entry, aside)  # a running exe may be renamed, not overwritten
            os.replace(tmp, entry)
            try:
                os.unlink(aside)
            except OSError:
                pass  # still running; removed by a later write
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


__all__ = [
    "ARCHES",
    "FORMAT_VERSION",
    "MAGIC",
    "host_launcher_arch",
    "is_managed",
    "launcher_bytes",
    "read_trampoline",
    "read_trampoline_text",
    "render_trampoline",
    "write_trampoline",
]
