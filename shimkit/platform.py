"""Host detection: which archives can run on this machine (os, arch, libc)."""

from __future__ import annotations

import os
import struct
import sys

from .model.key import ARCH_ALIASES, PlatformTriple

_HOST: list[PlatformTriple] = []  # the cached answer of host()


def normalize_arch(machine: str) -> str:
    """Map ``platform.machine()`` spellings onto PBS architecture families."""
    return ARCH_ALIASES.get(machine.lower(), machine.lower())


def normalize_os(name: str) -> str:
    """``linux``, ``darwin``, ``windows`` from ``sys.platform``-style names."""
    name = name.lower()
    if name.startswith("win"):
        return "windows"
    if name.startswith("linux"):
        return "linux"
    return name


def _elf_interpreter(path: str) -> str | None:
    """The PT_INTERP of an ELF executable (its dynamic loader), read from the headers only."""
    try:
        with open(path, "rb") as fh:
            ident = fh.read(64)
            if ident[:4] != b"\x7fELF":
                return None
            is64 = ident[4] == 2
            endian = "<" if ident[5] == 1 else ">"
            if is64:
                (phoff,) = struct.unpack_from(endian + "Q", ident, 32)
                phentsize, phnum = struct.unpack_from(endian + "HH", ident, 54)
            else:
                (phoff,) = struct.unpack_from(endian + "I", ident, 28)
                phentsize, phnum = struct.unpack_from(endian + "HH", ident, 42)
            fh.seek(phoff)
            table = fh.read(phentsize * phnum)
            for i in range(phnum):
                entry = table[i * phentsize : (i + 1) * phentsize]
                (p_type,) = struct.unpack_from(endian + "I", entry, 0)
                if p_type != 3:  # PT_INTERP
                    continue
                if is64:
                    (offset,) = struct.unpack_from(endian + "Q", entry, 8)
                    (size,) = struct.unpack_from(endian + "Q", entry, 32)
                else:
                    (offset,) = struct.unpack_from(endian + "I", entry, 4)
                    (size,) = struct.unpack_from(endian + "I", entry, 16)
                fh.seek(offset)
                return fh.read(size).rstrip(b"\0").decode("utf-8", "replace")
    except (OSError, struct.error):
        return None
    return None


def detect_libc(os_name: str, arch: str) -> str:
    """``gnu`` or ``musl`` on Linux (from the dynamic loader of /bin/sh), ``none`` elsewhere."""
    if os_name != "linux":
        return "none"
    for exe in ("/bin/sh", "/usr/bin/env", sys.executable):
        interp = _elf_interpreter(exe)
        if interp:
            libc = "musl" if "musl" in interp else "gnu"
            break
    else:
        libc = "musl" if any(n.startswith("ld-musl") for n in _listdir("/lib")) else "gnu"
    if arch == "armv7" and libc == "gnu":
        # Debian-style hard-float ABI; PBS names it gnueabihf.
        return "gnueabihf"
    return libc


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def machine() -> str:
    """``platform.machine()`` without importing :mod:`platform` (~5 ms) where ``os.uname`` exists."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform as _platform

    return _platform.machine()


def host() -> PlatformTriple:
    """The platform triple of this machine (``SHIMKIT_HOST_PLATFORM=os-arch-libc`` overrides, for
    tests); detected once per process."""
    override = os.environ.get("SHIMKIT_HOST_PLATFORM")
    if override:
        parts = override.split("-")
        if len(parts) == 3:
            return PlatformTriple(*parts)
    if not _HOST:
        os_name = normalize_os(sys.platform)
        arch = normalize_arch(machine())
        _HOST.append(PlatformTriple(os_name, arch, detect_libc(os_name, arch)))
    return _HOST[0]
