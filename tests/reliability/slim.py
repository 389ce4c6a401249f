"""Slim PBS-format archives: a real interpreter with only the files it needs to start, be probed,
run ``-m venv`` and import ``site`` (about 3 MB instead of 10 to 15 MB).

The reliability tier runs hundreds of installs (kill trials, concurrency); with full archives each
costs seconds of decompression.  A slim archive keeps what these tests observe — a real
interpreter that shimkit's verification runs and that venvs start — and drops the rest of the
standard library.  Which files are needed is not guessed: the full interpreter is extracted once,
runs everything the tests will run, and every file it imported is kept (plus ``encodings`` and
``venv`` whole, for their data files and locale-dependent imports).

Builds are cached next to the full archives (``support.pbs.cache_root()/slim-v1``), keyed by
the full archive's sha256 and a hash of this file.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

import filelock
from support import pbs

EPOCH = 1767225600

# Run by the full interpreter (-I, so nothing from the environment steers it): everything the
# tier will ask of a slim installation, then the list of files it imported.
_COLLECT = r"""
import atexit, json, os, sys
out, venv_dir = sys.argv[1], sys.argv[2]
def dump():
    files = set()
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None)
        if f:
            files.add(os.path.realpath(f))
    with open(out, "w") as fh:
        json.dump(sorted(files), fh)
atexit.register(dump)
import json, sysconfig, platform, site, encodings.idna  # shimkit's probe, `site`, common codecs
sysconfig.get_config_var("Py_GIL_DISABLED"); platform.machine()
import compileall, runpy
sys.argv = ["venv", "--without-pip", venv_dir]
try:
    runpy.run_module("venv", run_name="__main__", alter_sys=True)
except SystemExit as e:
    if e.code:
        raise
"""


@dataclasses.dataclass(frozen=True)
class Manifest:
    """What a complete installation of an archive holds: relative path -> ("d"|"l"|size)."""

    entries: Dict[str, str]

    def problems(self, root: Path) -> List[str]:
        """Differences between the manifest and the tree at ``root`` (missing or changed entries;
        ``__pycache__`` files are extra files Python may write and are ignored)."""
        out = []
        for rel, what in self.entries.items():
            p = root / rel
            try:
                st = os.lstat(p)
            except OSError:
                out.append(f"{rel} is missing")
                continue
            if what == "d" and not os.path.isdir(p):
                out.append(f"{rel} is not a directory")
            elif what == "l" and not os.path.islink(p):
                out.append(f"{rel} is not a symlink")
            elif what not in ("d", "l") and os.path.islink(p):
                out.append(f"{rel} is a symlink, expected a file")
            elif what not in ("d", "l") and st.st_size != int(what) and not _rewritten(rel):
                out.append(f"{rel} has size {st.st_size}, expected {what}")
            if len(out) > 5:
                break
        return out


def _rewritten(rel: str) -> bool:
    """Build-configuration files in which an install replaces PBS's ``/install`` prefix with the
    installation's path (their size changes; they must still be there)."""
    name = rel.rsplit("/", 1)[-1]
    return (
        name.startswith("_sysconfigdata_")
        or (name == "Makefile" and "/config-" in rel)
        or rel.startswith("lib/pkgconfig/")
        or (rel.startswith("bin/") and name.endswith("-config"))
    )


def _tool_hash() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def _collect(root: Path, mm: str, work: Path) -> List[Path]:
    exe = root / "bin" / f"python{mm}"
    out = work / "files.json"
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    subprocess.run(
        [str(exe), "-I", "-B", "-c", _COLLECT, str(out), str(work / "venv")],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    real_root = os.path.realpath(root)
    return [Path(f) for f in json.loads(out.read_text()) if f.startswith(real_root + os.sep)]


def _select(root: Path, mm: str, imported: List[Path]) -> List[str]:
    """Relative paths (files and symlinks) kept in the slim archive."""
    real_root = Path(os.path.realpath(root))
    lib = f"lib/python{mm}"
    keep = set()
    for f in imported:
        keep.add(str(f.relative_to(real_root)))
    for sub in ("encodings", "venv"):  # whole: data files, and codecs chosen by the locale
        for p in (root / lib / sub).rglob("*"):
            if (p.is_file() or p.is_symlink()) and "__pycache__" not in p.parts:
                keep.add(str(p.relative_to(root)))
    for p in (root / "bin").iterdir():
        keep.add(str(p.relative_to(root)))
    for p in (root / "lib").iterdir():
        if p.name.startswith("libpython"):
            keep.add(str(p.relative_to(root)))
    for p in (root / lib).glob("_sysconfigdata*.py"):
        keep.add(str(p.relative_to(root)))
    keep.add(f"{lib}/os.py")  # the landmark getpath looks for
    return sorted(k for k in keep if "__pycache__" not in k.split("/"))


def _write(root: Path, rels: List[str], dest: Path) -> Manifest:
    dirs = {"."}
    for rel in rels:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    dirs.add(f"lib/python{_mm(root)}/site-packages")
    entries: Dict[str, str] = {}
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for rel in sorted(dirs | set(rels), key=lambda r: r.split("/")):
            p = root / rel
            name = "python" if rel == "." else f"python/{rel}"
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid = EPOCH, 0, 0
            if rel in dirs:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                if rel != ".":
                    entries[rel] = "d"
            elif p.is_symlink():
                info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, os.readlink(p)
                tar.addfile(info)
                entries[rel] = "l"
            else:
                info.size = p.stat().st_size
                info.mode = 0o755 if os.access(p, os.X_OK) else 0o644
                with open(p, "rb") as fh:
                    tar.addfile(info, fh)
                entries[rel] = str(info.size)
    os.replace(tmp, dest)
    return Manifest(entries)


def _mm(root: Path) -> str:
    libs = [p.name for p in (root / "lib").glob("python3.*") if p.is_dir()]
    return libs[0][len("python") :]


def build_slim(full: pbs.BuiltArchive, out_dir: Path) -> Tuple[pbs.BuiltArchive, Manifest]:
    """A slim copy of ``full`` (same file name, so the same key) in ``out_dir``, and its manifest."""
    base = pbs.cache_root() / "slim-v1"
    base.mkdir(parents=True, exist_ok=True)
    entry = base / f"{full.version}-{full.sha256[:16]}-{_tool_hash()}"
    with filelock.FileLock(str(entry) + ".lock"):
        if not (entry / "meta.json").is_file():
            work = base / f".work-{uuid.uuid4().hex[:8]}"
            try:
                root = pbs.extract(full.path, work / "x")
                mm = f"{full.major}.{full.minor}"
                rels = _select(root, mm, _collect(root, mm, work))
                (work / "out").mkdir()
                manifest = _write(root, rels, work / "out" / "archive.tar.gz")
                sha = hashlib.sha256((work / "out" / "archive.tar.gz").read_bytes()).hexdigest()
                (work / "out" / "meta.json").write_text(json.dumps({"sha256": sha, "manifest": manifest.entries}))
                if entry.exists():
                    shutil.rmtree(entry)
                os.rename(work / "out", entry)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        meta = json.loads((entry / "meta.json").read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / full.filename
    shutil.copyfile(entry / "archive.tar.gz", dest)
    slim = dataclasses.replace(full, path=dest, sha256=meta["sha256"], size=dest.stat().st_size)
    return slim, Manifest(meta["manifest"])
