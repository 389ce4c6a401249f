"""Build python-build-standalone (PBS) archives from the real CPython interpreters on this machine.

The archives have the shape of PBS ``install_only`` archives (one top directory ``python/``) or of
PBS ``full`` archives (``python/install/``): ``bin/python3.X`` plus ``python3``/``python`` links,
``lib/libpython*.so*`` for shared builds, the standard library without tests, bytecode, static
libraries or third-party packages, ``include/``.  They are relocatable: run paths that pointed into
the source installation become ``$ORIGIN``-relative (patchelf), and the build prefix in
``_sysconfigdata``, ``config-*/`` and ``pkgconfig`` files becomes ``/install`` as in real PBS builds.

Builds are reproducible (fixed mtimes and owners, sorted names, gzip mtime 0) and cached under
``$SHIMKIT_TEST_CACHE`` (default ``~/.cache/shimkit-tests``), keyed by the source, the format, the
layout and a hash of this file, so editing this module invalidates the cache by itself.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import filelock

FORMATS = ("tar.gz", "tar.zst", "zip")
LAYOUTS = ("python", "python/install")
DEFAULT_BUILD = "20990101"
# Fixed timestamp for every archive member: 2026-01-01T00:00:00Z.
EPOCH = 1767225600
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
# What the PBS build prefix is rewritten to in text files (real PBS archives say /install).
PBS_PREFIX = "/install"
CACHE_ENV = "SHIMKIT_TEST_CACHE"
_CACHE_SUBDIR = "pbs-v1"
_SYSTEM_PREFIXES = ("/", "/usr", "/usr/local")
_RELEASE_LEVELS = {"alpha": "a", "beta": "b", "candidate": "rc", "final": ""}

# Run with -I -S by each candidate interpreter; must stay valid Python 3.6 so that old pyenv
# versions answer (and are then filtered out) instead of crashing the probe.
_PROBE = r"""
import json, os, sys, sysconfig
v = sys.version_info
cv = sysconfig.get_config_var
print(json.dumps({
    "version_info": [v.major, v.minor, v.micro, v.releaselevel, v.serial],
    "implementation": sys.implementation.name,
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "stdlib": os.path.dirname(os.__file__),
    "dynload": [p for p in sys.path if os.path.basename(p) == "lib-dynload"],
    "include": sysconfig.get_paths().get("include"),
    "libdir": cv("LIBDIR"),
    "multiarch": cv("MULTIARCH"),
    "freethreaded": bool(cv("Py_GIL_DISABLED")),
    "debug": bool(cv("Py_DEBUG")),
}))
"""


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class InterpreterSource:
    """A real CPython installation on this machine that archives can be built from."""

    executable: Path  # real path of the interpreter binary
    origin: str  # "base" (runs the test suite), "pyenv" or "system"
    version: str  # "3.12.1", "3.13.0rc1"
    version_info: Tuple[int, int, int]
    prerelease: str  # "" or "a1", "b2", "rc1"
    implementation: str  # "cpython"
    prefix: Path
    stdlib: Path  # lib/python3.X
    dynload: Optional[Path]  # lib-dynload (usually inside stdlib)
    include: Optional[Path]  # include/python3.X, when headers are installed
    libpython: Optional[str]  # soname the binary links against, None for a static libpython
    libdir: Optional[Path]  # directory holding libpython
    freethreaded: bool = False
    debug: bool = False
    multiarch: Optional[str] = None  # e.g. x86_64-linux-gnu (Debian keeps pyconfig.h per arch)

    @property
    def major(self) -> int:
        return self.version_info[0]

    @property
    def minor(self) -> int:
        return self.version_info[1]

    @property
    def patch(self) -> int:
        return self.version_info[2]

    @property
    def variant(self) -> Optional[str]:
        """PBS variant name: None, "freethreaded", "debug" or "freethreaded+debug"."""
        parts = [p for p, on in (("freethreaded", self.freethreaded), ("debug", self.debug)) if on]
        return "+".join(parts) or None

    @property
    def label(self) -> str:
        """Short id for test names, e.g. ``3.11.2-system``."""
        return f"{self.version}-{self.origin}"


def _clean_env() -> Dict[str, str]:
    # Nothing from the caller's environment (PYTHONHOME, PYTHONPATH, ...) may steer a probe.
    return {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


def probe(executable: Path, origin: str) -> Optional[InterpreterSource]:
    """Ask ``executable`` what it is; None when it is not a usable CPython >= 3.9 base install."""
    real = Path(os.path.realpath(executable))
    try:
        proc = subprocess.run(
            [str(real), "-I", "-S", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            env=_clean_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    try:
        info = json.loads(proc.stdout)
    except ValueError:
        return None
    major, minor, micro, level, serial = info["version_info"]
    if info["implementation"] != "cpython" or (major, minor) < (3, 9):
        return None
    if info["prefix"] != info["base_prefix"]:
        return None  # a virtual environment; its base is found on its own
    prerelease = f"{_RELEASE_LEVELS[level]}{serial}" if level != "final" else ""
    prefix = Path(info["prefix"])
    stdlib = Path(os.path.realpath(info["stdlib"]))
    dynload = Path(os.path.realpath(info["dynload"][0])) if info["dynload"] else None
    include = Path(info["include"]) if info["include"] and os.path.isdir(info["include"]) else None
    libpython, libdir = _find_libpython(real, prefix, info["libdir"])
    return InterpreterSource(
        executable=real,
        origin=origin,
        version=f"{major}.{minor}.{micro}{prerelease}",
        version_info=(major, minor, micro),
        prerelease=prerelease,
        implementation="cpython",
        prefix=prefix,
        stdlib=stdlib,
        dynload=dynload,
        include=include,
        libpython=libpython,
        libdir=libdir,
        freethreaded=info["freethreaded"],
        debug=info["debug"],
        multiarch=info.get("multiarch") or None,
    )


def _find_libpython(exe: Path, prefix: Path, libdir: Optional[str]) -> Tuple[Optional[str], Optional[Path]]:
    """The libpython soname ``exe`` needs (None if linked statically) and where it lives."""
    elf = read_elf(exe)
    if elf is None:
        return None, None
    names = [n for n in elf.needed if n.startswith("libpython")]
    if not names:
        return None, None
    soname = names[0]
    # Search the way the dynamic loader would, then the usual install places.
    dirs = [p.replace("$ORIGIN", str(exe.parent)) for p in (*elf.rpath, *elf.runpath)]
    dirs += [str(prefix / "lib"), libdir or ""]
    for d in dirs:
        if d and os.path.exists(os.path.join(d, soname)):
            return soname, Path(os.path.realpath(d))
    raise RuntimeError(f"{exe} needs {soname} but it is in none of {dirs}")


@functools.cache
def _find_sources_cached(base_prefix: str, pyenv_root: str) -> Tuple[InterpreterSource, ...]:
    candidates: List[Tuple[Path, str]] = []
    mm = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for name in (f"python{mm}", "python3", "python"):
        exe = Path(base_prefix) / "bin" / name
        if exe.exists():
            candidates.append((exe, "base"))
            break
    versions = Path(pyenv_root) / "versions"
    if versions.is_dir():
        for d in sorted(versions.iterdir()):
            for name in ("python3", "python"):
                if (d / "bin" / name).exists():
                    candidates.append((d / "bin" / name, "pyenv"))
                    break
    for exe in sorted(Path("/usr/bin").glob("python3.*")):
        if re.fullmatch(r"python3\.\d+", exe.name):
            candidates.append((exe, "system"))

    seen: set[Path] = set()
    found: List[InterpreterSource] = []
    for exe, origin in candidates:
        real = Path(os.path.realpath(exe))
        if real in seen:
            continue
        seen.add(real)
        source = probe(real, origin)
        if source is not None:
            found.append(source)
    found.sort(key=lambda s: (s.version_info, s.prerelease == "", s.prerelease, s.origin))
    return tuple(found)


def find_sources() -> List[InterpreterSource]:
    """Real CPython >= 3.9 builds here: the test runner's base interpreter, every pyenv version
    under ``$PYENV_ROOT/versions`` (default ``~/.pyenv``) and ``/usr/bin/python3.X``.

    De-duplicated by the interpreter's real path; each source's version comes from running it.
    """
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    return list(_find_sources_cached(sys.base_prefix, pyenv_root))


# --------------------------------------------------------------------------- ELF


@dataclass(frozen=True)
class ElfInfo:
    """The parts of an ELF file's dynamic section that relocation cares about."""

    needed: Tuple[str, ...]
    rpath: Tuple[str, ...]
    runpath: Tuple[str, ...]
    has_debug: bool  # carries .debug_* sections that strip --strip-debug would remove


def read_elf(path: Path) -> Optional[ElfInfo]:
    """Parse ``path``'s dynamic section and section names; None when it is not an ELF file."""
    with open(path, "rb") as f:
        ident = f.read(16)
        if len(ident) < 16 or ident[:4] != b"\x7fELF":
            return None
        is64 = ident[4] == 2
        end = "<" if ident[5] == 1 else ">"
        if is64:
            hdr = struct.unpack(end + "HHIQQQIHHHHHH", f.read(48))
        else:
            hdr = struct.unpack(end + "HHIIIIIHHHHHH", f.read(36))
        phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx = (
            hdr[4],
            hdr[5],
            hdr[8],
            hdr[9],
            hdr[10],
            hdr[11],
            hdr[12],
        )

        loads: List[Tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        dynamic: Optional[Tuple[int, int]] = None  # (offset, size)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if is64:
                p_type, _flags, p_off, p_vaddr, _paddr, p_filesz = struct.unpack(end + "IIQQQQ", f.read(40))
            else:
                p_type, p_off, p_vaddr, _paddr, p_filesz = struct.unpack(end + "IIIII", f.read(20))
            if p_type == 1:  # PT_LOAD
                loads.append((p_vaddr, p_off, p_filesz))
            elif p_type == 2:  # PT_DYNAMIC
                dynamic = (p_off, p_filesz)

        def vaddr_to_offset(addr: int) -> int:
            for vaddr, off, size in loads:
                if vaddr <= addr < vaddr + size:
                    return addr - vaddr + off
            raise ValueError(f"{path}: address {addr:#x} is in no loadable segment")

        def read_cstr(offset: int) -> str:
            f.seek(offset)
            data = b""
            while b"\0" not in data:
                chunk = f.read(256)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")

        needed: List[int] = []
        rpath: List[int] = []
        runpath: List[int] = []
        strtab = None
        if dynamic is not None:
            f.seek(dynamic[0])
            raw = f.read(dynamic[1])
            fmt, size = (end + "qQ", 16) if is64 else (end + "iI", 8)
            for i in range(0, len(raw) - size + 1, size):
                tag, val = struct.unpack_from(fmt, raw, i)
                if tag == 0:  # DT_NULL
                    break
                {1: needed, 15: rpath, 29: runpath}.get(tag, []).append(val)
                if tag == 5:  # DT_STRTAB
                    strtab = val

        def strings(offsets: List[int]) -> Tuple[str, ...]:
            if strtab is None:
                return ()
            base = vaddr_to_offset(strtab)
            out: List[str] = []
            for off in offsets:
                out.extend(p for p in read_cstr(base + off).split(":") if p)
            return tuple(out)

        has_debug = False
        if shoff and shnum and shstrndx < shnum:
            sections = []
            for i in range(shnum):
                f.seek(shoff + i * shentsize)
                if is64:
                    sh_name, _t, _fl, _addr, sh_offset, sh_size = struct.unpack(end + "IIQQQQ", f.read(40))
                else:
                    sh_name, _t, _fl, _addr, sh_offset, sh_size = struct.unpack(end + "IIIIII", f.read(24))
                sections.append((sh_name, sh_offset, sh_size))
            names_off = sections[shstrndx][1]
            has_debug = any(read_cstr(names_off + name).startswith((".debug", ".zdebug")) for name, _o, _s in sections)
        return ElfInfo(needed=strings(needed), rpath=strings(rpath), runpath=strings(runpath), has_debug=has_debug)


# --------------------------------------------------------------------------- archive plan


@dataclass
class _Entry:
    """One archive member, relative to the archive's top directory."""

    arcname: str
    kind: str  # "dir", "file" or "symlink"
    source: Optional[Path] = None  # file contents, unless data is set
    data: Optional[bytes] = None
    target: str = ""  # symlink target
    mode: int = 0o644


def _file_mode(path: Path) -> int:
    return 0o755 if os.stat(path).st_mode & 0o111 else 0o644


def _skip(rel: Tuple[str, ...], is_dir: bool) -> bool:
    """Whether a stdlib path (relative to lib/python3.X) stays out of the archive."""
    name = rel[-1]
    if len(rel) == 1 and name in {
        "test",
        "site-packages",
        "dist-packages",
        "sitecustomize.py",
        "usercustomize.py",
        "EXTERNALLY-MANAGED",
    }:
        return True
    if is_dir:
        return name in {"__pycache__", "idle_test"} or (len(rel) > 1 and name in {"test", "tests"})
    if name.endswith((".pyc", ".pyo", ".a")):
        return True
    return rel[0].startswith("config-") and name == "python.o"


def _symlink_entry(path: Path, arcname: str, tree: Path) -> Optional[_Entry]:
    """Keep a symlink that stays inside ``tree``; drop absolute or escaping ones (they name host
    files, e.g. Debian's sitecustomize.py -> /etc/...)."""
    target = os.readlink(path)
    if os.path.isabs(target):
        return None
    resolved = Path(os.path.realpath(path.parent / target))
    try:
        resolved.relative_to(os.path.realpath(tree))
    except ValueError:
        return None
    return _Entry(arcname, "symlink", target=target) if resolved.exists() else None


def _walk_tree(tree: Path, arcbase: str, skip: bool) -> List[_Entry]:
    """Entries for everything under ``tree`` (without the stdlib exclusions unless ``skip``)."""
    out: List[_Entry] = [_Entry(arcbase, "dir", mode=0o755)]
    for dirpath, dirnames, filenames in os.walk(tree):
        here = Path(dirpath)
        rel_dir = here.relative_to(tree).parts
        keep_dirs = []
        for d in sorted(dirnames):
            rel = (*rel_dir, d)
            arc = "/".join((arcbase, *rel))
            if skip and _skip(rel, True):
                continue
            if os.path.islink(here / d):
                link = _symlink_entry(here / d, arc, tree)
                if link:
                    out.append(link)
                continue
            keep_dirs.append(d)
            out.append(_Entry(arc, "dir", mode=0o755))
        dirnames[:] = keep_dirs
        for name in sorted(filenames):
            rel = (*rel_dir, name)
            if skip and _skip(rel, False):
                continue
            arc = "/".join((arcbase, *rel))
            path = here / name
            if os.path.islink(path):
                link = _symlink_entry(path, arc, tree)
                if link:
                    out.append(link)
            elif path.is_file():
                out.append(_Entry(arc, "file", source=path, mode=_file_mode(path)))
    return out


def _plan(source: InterpreterSource) -> List[_Entry]:
    """Every member of the archive (relative to its top directory), before ELF fixes."""
    mm = f"{source.major}.{source.minor}"
    exe_name = f"python{mm}{'t' if source.freethreaded else ''}"
    libname = source.stdlib.name  # python3.12 (python3.13t for free-threaded builds)
    entries = [
        _Entry("bin", "dir", mode=0o755),
        _Entry(f"bin/{exe_name}", "file", source=source.executable, mode=0o755),
        _Entry("bin/python3", "symlink", target=exe_name),
        _Entry("bin/python", "symlink", target=exe_name),
        _Entry("lib", "dir", mode=0o755),
    ]
    if source.libpython:
        assert source.libdir is not None
        for p in sorted(source.libdir.iterdir()):
            wanted = p.name.startswith(f"libpython{mm}") or p.name == "libpython3.so"
            if not wanted or ".so" not in p.name or p.name.endswith(".py"):  # not the -gdb.py helpers
                continue
            if p.is_symlink():
                target = os.readlink(p)
                if "/" not in target:
                    entries.append(_Entry(f"lib/{p.name}", "symlink", target=target))
                    continue
            entries.append(_Entry(f"lib/{p.name}", "file", source=p, mode=0o755))
        pkgconfig = source.libdir / "pkgconfig"
        if source.libdir == Path(os.path.realpath(source.prefix / "lib")) and pkgconfig.is_dir():
            pcs = [p for p in sorted(pkgconfig.glob("python*.pc")) if p.is_file() and not p.is_symlink()]
            if pcs:
                entries.append(_Entry("lib/pkgconfig", "dir", mode=0o755))
                entries += [_Entry(f"lib/pkgconfig/{p.name}", "file", source=p) for p in pcs]
    entries += _walk_tree(source.stdlib, f"lib/{libname}", skip=True)
    if source.dynload is not None and source.stdlib not in source.dynload.parents:
        entries += _walk_tree(source.dynload, f"lib/{libname}/lib-dynload", skip=False)
    # An empty site-packages, as PBS install_only archives have (plus the upstream README).
    entries.append(_Entry(f"lib/{libname}/site-packages", "dir", mode=0o755))
    readme = source.stdlib / "site-packages" / "README.txt"
    if readme.is_file():
        entries.append(_Entry(f"lib/{libname}/site-packages/README.txt", "file", source=readme))
    if source.include is not None:
        entries.append(_Entry("include", "dir", mode=0o755))
        entries += _walk_tree(source.include, f"include/{source.include.name}", skip=False)
        # Debian's include/python3.X/pyconfig.h only #includes <MULTIARCH/python3.X/pyconfig.h>
        # from /usr/include; ship the real one so the headers stand alone.
        real_config = source.include.parent / (source.multiarch or "-") / source.include.name / "pyconfig.h"
        if real_config.is_file():
            for e in entries:
                if e.arcname == f"include/{source.include.name}/pyconfig.h":
                    e.data = real_config.read_bytes()
    _rewrite_prefix(source, entries, libname)
    return entries


def _rewrite_prefix(source: InterpreterSource, entries: List[_Entry], libname: str) -> None:
    """Replace the build prefix with /install in build-configuration text files, as PBS does.

    Skipped for system interpreters (prefix /usr): there the prefix is not build-private.
    """
    prefixes = {str(source.prefix), os.path.realpath(source.prefix)}
    if prefixes & set(_SYSTEM_PREFIXES):
        return
    olds = sorted((p.encode() for p in prefixes), key=len, reverse=True)
    for e in entries:
        if e.kind != "file" or e.source is None:
            continue
        parts = e.arcname.split("/")
        candidate = (
            (parts[:2] == ["lib", libname] and len(parts) == 3 and parts[2].startswith("_sysconfig"))
            or (parts[:2] == ["lib", libname] and len(parts) > 3 and parts[2].startswith("config-"))
            or (parts[:2] == ["lib", "pkgconfig"])
        )
        if not candidate:
            continue
        data = e.source.read_bytes()
        if b"\0" in data or not any(old in data for old in olds):
            continue
        for old in olds:
            data = data.replace(old, PBS_PREFIX.encode())
        e.data = data


def _is_elf_candidate(arcname: str) -> bool:
    name = arcname.rsplit("/", 1)[-1]
    return arcname.startswith("bin/") or name.endswith(".so") or ".so." in name


def _fix_elves(source: InterpreterSource, entries: List[_Entry], work: Path) -> None:
    """Strip debug info (cheap, shrinks archives ~3x) and make run paths that point into the
    source installation ``$ORIGIN``-relative, on copies under ``work``."""
    strip = shutil.which("strip")
    patchelf = shutil.which("patchelf")
    own_dirs = {Path(os.path.realpath(source.prefix)): "", Path(source.prefix): ""}
    if source.libdir is not None:
        own_dirs[source.libdir] = "lib"
    to_strip: List[Path] = []
    to_patch: List[Tuple[Path, str]] = []
    for e in entries:
        if e.kind != "file" or e.source is None or e.data is not None or not _is_elf_candidate(e.arcname):
            continue
        info = read_elf(e.source)
        if info is None:
            continue
        new_paths, changed = [], False
        for entry in (*info.rpath, *info.runpath):
            mapped = _map_run_path(entry, own_dirs)
            if mapped is None:
                new_paths.append(entry)
                continue
            rel = os.path.relpath(mapped or ".", os.path.dirname(e.arcname))
            new_paths.append("$ORIGIN" if rel == "." else f"$ORIGIN/{rel}")
            changed = True
        if not (changed or (info.has_debug and strip)):
            continue
        copy = work / e.arcname
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(e.source, copy)
        os.chmod(copy, 0o755)
        e.source = copy
        if info.has_debug and strip:
            to_strip.append(copy)
        if changed:
            if patchelf is None:
                raise RuntimeError(
                    f"{source.executable}: {e.arcname} has the run path "
                    f"{':'.join(info.runpath or info.rpath)}"
                    " into its own installation; relocating it needs patchelf (apt-get install patchelf)"
                )
            to_patch.append((copy, ":".join(dict.fromkeys(new_paths))))
    for i in range(0, len(to_strip), 200):
        subprocess.run([strip, "--strip-debug", *map(str, to_strip[i : i + 200])], check=True)  # type: ignore[list-item]
    for copy, runpath in to_patch:
        subprocess.run([patchelf, "--set-rpath", runpath, str(copy)], check=True)  # type: ignore[list-item]
        left = [p for p in _all_run_paths(copy) if _map_run_path(p, own_dirs) is not None]
        if left:
            raise RuntimeError(f"{copy}: run path still points into the source installation: {left}")


def _map_run_path(entry: str, own_dirs: Dict[Path, str]) -> Optional[str]:
    """Archive-relative directory for an absolute run path inside the source installation."""
    if not entry.startswith("/"):
        return None
    p = Path(os.path.normpath(entry))
    for base, arc in sorted(own_dirs.items(), key=lambda kv: len(str(kv[0])), reverse=True):
        if str(base) in _SYSTEM_PREFIXES:
            continue
        if p == base or base in p.parents:
            return "/".join(x for x in (arc, *p.relative_to(base).parts) if x)
    return None


def _all_run_paths(path: Path) -> Tuple[str, ...]:
    info = read_elf(path)
    return (*info.rpath, *info.runpath) if info else ()


# --------------------------------------------------------------------------- writers


def _full_entries(entries: Iterable[_Entry], top: str) -> List[Tuple[str, _Entry]]:
    """(member name, entry) pairs with the top directories, sorted so parents come first."""
    out: Dict[str, _Entry] = {}
    parts = top.split("/")
    for i in range(1, len(parts) + 1):
        name = "/".join(parts[:i])
        out[name] = _Entry(name, "dir", mode=0o755)
    for e in entries:
        out[f"{top}/{e.arcname}"] = e
    return sorted(out.items(), key=lambda kv: kv[0].split("/"))


def _write_tar(members: List[Tuple[str, _Entry]], fileobj: Any) -> None:  # GzipFile or a zstd writer
    with tarfile.open(fileobj=fileobj, mode="w", format=tarfile.GNU_FORMAT, copybufsize=1 << 20) as tar:  # type: ignore[call-overload]
        for name, e in members:
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "", ""
            if e.kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif e.kind == "symlink":
                info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, e.target
                tar.addfile(info)
            elif e.data is not None:
                info.size, info.mode = len(e.data), e.mode
                tar.addfile(info, _BytesReader(e.data))
            else:
                assert e.source is not None
                with open(e.source, "rb") as src:
                    info.size, info.mode = os.fstat(src.fileno()).st_size, e.mode
                    tar.addfile(info, src)


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else self._pos + n
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


def _write_zip(members: List[Tuple[str, _Entry]], dest: Path) -> None:
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, e in members:
            info = zipfile.ZipInfo(name + ("/" if e.kind == "dir" else ""), date_time=ZIP_DATE)
            info.create_system = 3  # unix: external_attr carries the mode, as `zip -y` writes it
            if e.kind == "dir":
                info.external_attr = ((stat.S_IFDIR | 0o755) << 16) | 0x10
                zf.writestr(info, b"")
            elif e.kind == "symlink":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, e.target.encode(), compress_type=zipfile.ZIP_STORED)
            else:
                info.external_attr = (stat.S_IFREG | e.mode) << 16
                data = e.data if e.data is not None else Path(e.source or "").read_bytes()
                zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)


def _write_archive(entries: List[_Entry], layout: str, fmt: str, dest: Path) -> None:
    members = _full_entries(entries, layout)
    if fmt == "zip":
        _write_zip(members, dest)
        return
    with open(dest, "wb") as raw:
        if fmt == "tar.gz":
            # filename="" and mtime=0 keep the gzip header free of anything run-specific
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as gz:
                _write_tar(members, gz)
        else:
            import zstandard

            with zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) as zw:
                _write_tar(members, zw)


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class BuiltArchive:
    """A PBS-format archive on disk and the metadata facts a downloads list states about it."""

    path: Path
    sha256: str
    version: str  # "3.12.1"
    major: int
    minor: int
    patch: int
    prerelease: str  # "" or "rc1"
    implementation: str  # "cpython"
    os: str  # "linux"
    arch: str  # "x86_64", "aarch64"
    libc: str  # "gnu"
    variant: Optional[str]  # None, "freethreaded", "debug"
    build: str  # "20990101"
    filename: str
    fmt: str = "tar.gz"
    layout: str = "python"
    size: int = field(default=0, compare=False)

    @property
    def key(self) -> str:
        """The download key, e.g. ``cpython-3.12.1-linux-x86_64-gnu``."""
        variant = f"+{self.variant}" if self.variant else ""
        return f"{self.implementation}-{self.version}{variant}-{self.os}-{self.arch}-{self.libc}"

    @property
    def url_path(self) -> str:
        """Where PBS releases put it: ``<build>/<filename>`` (unquoted)."""
        return f"{self.build}/{self.filename}"


def host_arch() -> str:
    """This machine's architecture as PBS spells it."""
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def archive_filename(
    version: str, build: str, *, arch: str, variant: Optional[str] = None, layout: str = "python", fmt: str = "tar.gz"
) -> str:
    """PBS's name for an archive,
    e.g. ``cpython-3.12.1+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz``."""
    if layout == "python":
        flavor = f"{variant}-install_only" if variant else "install_only"
    elif variant in (None, "freethreaded"):
        flavor = f"{variant}+pgo+lto-full" if variant else "pgo+lto-full"
    else:
        flavor = f"{variant}-full"
    return f"cpython-{version}+{build}-{arch}-unknown-linux-gnu-{flavor}.{fmt}"


def cache_root(cache_dir: Optional[Path] = None) -> Path:
    """Where cached builds live: ``cache_dir``, else ``$SHIMKIT_TEST_CACHE``, else ~/.cache/shimkit-tests."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "shimkit-tests"


# Hashed at import, i.e. the code this process runs: hashing lazily would let a process that
# imported an older pbs.py file its output under the hash of a newer one.
_TOOL_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def _tool_hash() -> str:
    return _TOOL_HASH


def _cache_key(source: InterpreterSource, fmt: str, layout: str) -> str:
    st = source.executable.stat()
    ident = json.dumps(
        [
            str(source.executable),
            source.version,
            fmt,
            layout,
            _tool_hash(),
            st.st_size,
            st.st_mtime_ns,
            bool(shutil.which("strip")),
            bool(shutil.which("patchelf")),
        ]
    )
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    shape = f"{fmt.replace('.', '')}-{layout.replace('/', '-')}"
    return f"{source.implementation}-{source.version}-{shape}-{digest}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _build_into(source: InterpreterSource, fmt: str, layout: str, dest: Path, work: Path) -> None:
    entries = _plan(source)
    _fix_elves(source, entries, work / "elf")
    _write_archive(entries, layout, fmt, dest)


def _cached(
    source: InterpreterSource, fmt: str, layout: str, root: Path, blocking: bool = True
) -> Optional[Tuple[Path, str]]:
    """(archive path, sha256) of the cache entry, building it first if needed; None when
    ``blocking`` is false and another process holds the entry's lock."""
    base = root / _CACHE_SUBDIR
    base.mkdir(parents=True, exist_ok=True)
    key = _cache_key(source, fmt, layout)
    entry = base / key
    lock = filelock.FileLock(str(base / f"{key}.lock"))
    try:
        lock.acquire(timeout=-1 if blocking else 0)
    except filelock.Timeout:
        return None
    try:
        archive, meta = entry / f"archive.{fmt}", entry / "meta.json"
        if meta.is_file() and archive.is_file():
            info = json.loads(meta.read_text())
            if info.get("size") == archive.stat().st_size:
                os.utime(meta)  # last use, for pruning
                return archive, str(info["sha256"])
        _prune(base)
        tmp = base / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            started = time.monotonic()
            _build_into(source, fmt, layout, tmp / f"archive.{fmt}", tmp / "work")
            shutil.rmtree(tmp / "work", ignore_errors=True)
            sha = _sha256(tmp / f"archive.{fmt}")
            (tmp / "meta.json").write_text(
                json.dumps(
                    {
                        "sha256": sha,
                        "size": (tmp / f"archive.{fmt}").stat().st_size,
                        "source": str(source.executable),
                        "version": source.version,
                        "fmt": fmt,
                        "layout": layout,
                        "tool": _tool_hash(),
                        "seconds": round(time.monotonic() - started, 2),
                    },
                    indent=1,
                )
            )
            if entry.exists():
                shutil.rmtree(entry)  # a damaged entry (size mismatch); we hold its lock
            os.rename(tmp, entry)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return archive, sha
    finally:
        lock.release()


def _prune(base: Path, max_idle: float = 2 * 86400) -> None:
    """Drop cache entries made by another version of this file and unused for two days."""
    now = time.time()
    for meta in base.glob("*/meta.json"):
        try:
            info = json.loads(meta.read_text())
            if info.get("tool") != _tool_hash() and now - meta.stat().st_mtime > max_idle:
                shutil.rmtree(meta.parent, ignore_errors=True)
        except (OSError, ValueError):
            continue


def _check_args(fmt: str, layout: str, build: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    if not re.fullmatch(r"\d{8}(T\d{4})?", build):
        raise ValueError(f"build must look like a PBS release tag (YYYYMMDD), not {build!r}")
    if not sys.platform.startswith("linux"):
        raise RuntimeError("PBS test archives are built from Linux (ELF) interpreters only")


def _place(src: Path, dest: Path) -> None:
    """Copy atomically: a reader never sees a half-written archive.  A copy, not a hard link,
    so a test that damages its archive cannot damage the cache."""
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)


def _result(source: InterpreterSource, path: Path, sha: str, build: str, fmt: str, layout: str) -> BuiltArchive:
    return BuiltArchive(
        path=path,
        sha256=sha,
        version=source.version,
        major=source.major,
        minor=source.minor,
        patch=source.patch,
        prerelease=source.prerelease,
        implementation=source.implementation,
        os="linux",
        arch=host_arch(),
        libc="gnu",
        variant=source.variant,
        build=build,
        filename=path.name,
        fmt=fmt,
        layout=layout,
        size=path.stat().st_size,
    )


def build_archive(
    source: InterpreterSource,
    out_dir: Path,
    *,
    build: str = DEFAULT_BUILD,
    fmt: str = "tar.gz",
    layout: str = "python",
    name: Optional[str] = None,
    cache_dir: Optional[Path] = None,
    use_cache: bool = True,
) -> BuiltArchive:
    """Build (or take from the cache) a PBS-format archive of ``source`` and copy it into ``out_dir``.

    ``fmt``: "tar.gz", "tar.zst" or "zip"; ``layout``: "python" (install_only) or
    "python/install" (full).  ``name`` overrides the PBS file name.  The build tag only appears in
    the name, so archives differing only in ``build`` share one cache entry.
    """
    _check_args(fmt, layout, build)
    filename = name or archive_filename(
        source.version, build, arch=host_arch(), variant=source.variant, layout=layout, fmt=fmt
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / filename
    if use_cache:
        cached = _cached(source, fmt, layout, cache_root(cache_dir))
        assert cached is not None
        _place(cached[0], dest)
        return _result(source, dest, cached[1], build, fmt, layout)
    work = out_dir / f".work-{uuid.uuid4().hex[:8]}"
    try:
        tmp = work / f"archive.{fmt}"
        work.mkdir()
        _build_into(source, fmt, layout, tmp, work / "elf")
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _result(source, dest, _sha256(dest), build, fmt, layout)


def build_archives(
    sources: Sequence[InterpreterSource],
    out_dir: Path,
    *,
    build: str = DEFAULT_BUILD,
    fmt: str = "tar.gz",
    layout: str = "python",
    cache_dir: Optional[Path] = None,
) -> List[BuiltArchive]:
    """``build_archive`` for many sources at once, in the order given.

    Cold builds run in threads, and each process first claims the cache entries nobody else is
    building, so parallel pytest-xdist workers build different archives instead of queueing.
    """
    _check_args(fmt, layout, build)
    root = cache_root(cache_dir)
    found: Dict[int, Tuple[Path, str]] = {}

    def claim(i: int) -> None:
        got = _cached(sources[i], fmt, layout, root, blocking=False)
        if got is not None:
            found[i] = got

    with ThreadPoolExecutor(max_workers=max(1, min(len(sources), os.cpu_count() or 1))) as pool:
        list(pool.map(claim, range(len(sources))))
    for i in range(len(sources)):  # the rest are being built elsewhere: wait for them
        if i not in found:
            got = _cached(sources[i], fmt, layout, root)
            assert got is not None
            found[i] = got
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for i, source in enumerate(sources):
        filename = archive_filename(
            source.version, build, arch=host_arch(), variant=source.variant, layout=layout, fmt=fmt
        )
        _place(found[i][0], out_dir / filename)
        results.append(_result(source, out_dir / filename, found[i][1], build, fmt, layout))
    return results


def extract(archive: Path, dest: Path) -> Path:
    """Extract a PBS-format archive into ``dest``; returns the installation root
    (``dest/python`` or ``dest/python/install``).  Zip members keep their modes and symlinks."""
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    name = archive.name
    if name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                mode = info.external_attr >> 16
                target = dest / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                elif stat.S_ISLNK(mode):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.symlink(zf.read(info).decode(), target)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
                    os.chmod(target, stat.S_IMODE(mode) or 0o644)
    elif name.endswith(".tar.zst"):
        import zstandard

        with (
            open(archive, "rb") as raw,
            zstandard.ZstdDecompressor().stream_reader(raw) as zr,
            tarfile.open(fileobj=zr, mode="r|") as tar,
        ):
            _extractall(tar, dest)
    else:
        with tarfile.open(archive, "r:*") as tar:
            _extractall(tar, dest)
    return dest / "python" / "install" if (dest / "python" / "install").is_dir() else dest / "python"


def _extractall(tar: tarfile.TarFile, dest: Path) -> None:
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="tar")  # our own archives; "tar" keeps modes and links
    else:  # Python < 3.9.17/3.10.12/3.11.4 (no filters): these archives are built by us
        tar.extractall(dest)
