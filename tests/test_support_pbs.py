"""The PBS archive builder: real interpreters in, relocatable PBS-shaped archives out."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from typing import Dict, List

import pytest
from support import pbs

SOURCES = pbs.find_sources()
VERSIONS = list(dict.fromkeys(s.version for s in SOURCES))
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}

# Run by each extracted interpreter: where it thinks it lives, what it loaded.
PROBE = r"""
import json, sys, ssl, sqlite3, venv, zlib, ctypes
maps = sorted({l.split()[-1] for l in open("/proc/self/maps") if "/" in l.split()[-1]})
print(json.dumps({"prefix": sys.prefix, "version": "%d.%d.%d" % sys.version_info[:3], "path": sys.path,
                  "maps": maps, "ssl": ssl.__file__, "sqlite3": sqlite3.__file__,
                  "openssl": ssl.OPENSSL_VERSION}))
"""


def _source(real_sources: List[pbs.InterpreterSource], version: str) -> pbs.InterpreterSource:
    return next(s for s in real_sources if s.version == version)


def _source_dirs(source: pbs.InterpreterSource) -> List[str]:
    """Directories the relocated interpreter must not reach back into."""
    if str(source.prefix) in ("/usr", "/usr/local"):
        return [str(source.stdlib)]  # a system python: its own stdlib, not the shared /usr
    return [str(source.prefix), os.path.realpath(source.prefix)]


def _under(path: str, dirs: List[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def _run(*cmd: object, **kwargs: object) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], env=CLEAN_ENV, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_sources_are_distinct_real_cpythons_of_the_versions_they_claim(real_sources):
    assert len({s.executable for s in real_sources}) == len(real_sources)
    for s in real_sources:
        assert s.executable == Path(os.path.realpath(s.executable))
        assert s.implementation == "cpython" and s.version_info >= (3, 9), s
        # Independent of the probe: ask the interpreter the plain way.
        out = _run(s.executable, "-I", "-c", "import platform; print(platform.python_version())").stdout
        assert out.strip() == s.version
        assert (s.stdlib / "os.py").is_file()
    by_version = {s.version: s for s in real_sources}
    # The upgrade tests need two patch releases of one minor from two different installations.
    assert by_version["3.11.2"].executable != by_version["3.11.7"].executable
    assert any(s.minor == 12 for s in real_sources)


def test_sources_include_the_runner_base_pyenv_versions_and_debian_python(real_sources):
    executables = {s.executable for s in real_sources}
    mm = f"{sys.version_info[0]}.{sys.version_info[1]}"
    base_exe = Path(os.path.realpath(Path(sys.base_prefix) / "bin" / f"python{mm}"))
    assert base_exe in executables
    pyenv_versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for d in sorted(pyenv_versions.glob("3.*")):
        parts = d.name.split(".")
        if len(parts) == 3 and all(p.isdigit() for p in parts) and (int(parts[0]), int(parts[1])) >= (3, 9):
            assert d.name in {s.version for s in real_sources}, f"pyenv {d.name} not found"
        elif len(parts) == 3 and all(p.isdigit() for p in parts):
            assert d.name not in {s.version for s in real_sources}, f"pyenv {d.name} < 3.9 was taken"
    for exe in Path("/usr/bin").glob("python3.*"):
        if exe.name[len("python3.") :].isdigit() and int(exe.name[len("python3.") :]) >= 9:
            assert Path(os.path.realpath(exe)) in executables, exe


def test_relocating_without_patchelf_fails_with_the_package_name(real_sources, tmp_path, monkeypatch):
    def absolute_run_path(s: pbs.InterpreterSource) -> bool:
        elf = pbs.read_elf(s.executable)
        return elf is not None and any(p.startswith(str(s.prefix)) for p in (*elf.runpath, *elf.rpath))

    shared = next((s for s in real_sources if absolute_run_path(s)), None)
    assert shared is not None, "expected pyenv --enable-shared builds (absolute RUNPATH) among the sources"
    monkeypatch.setenv("PATH", str(tmp_path))  # no patchelf (nor strip) on PATH
    with pytest.raises(RuntimeError, match="apt-get install patchelf"):
        pbs.build_archive(shared, tmp_path / "out", use_cache=False)
    assert not list((tmp_path / "out").iterdir())  # nothing half-written left behind


@pytest.mark.parametrize("version", VERSIONS)
def test_install_only_archive_has_the_pbs_shape(version, pbs_archives, real_sources):
    archive = pbs_archives[version]
    source = _source(real_sources, version)
    mm = f"{source.major}.{source.minor}"
    arch = pbs.host_arch()
    assert archive.filename == f"cpython-{version}+20990101-{arch}-unknown-linux-gnu-install_only.tar.gz"
    assert archive.path.name == archive.filename
    assert archive.sha256 == hashlib.sha256(archive.path.read_bytes()).hexdigest()
    assert (archive.version, archive.major, archive.minor, archive.patch) == (
        version,
        source.major,
        source.minor,
        source.patch,
    )
    facts = (archive.implementation, archive.os, archive.arch, archive.libc, archive.variant, archive.build)
    assert facts == ("cpython", "linux", arch, "gnu", None, "20990101")
    assert archive.key == f"cpython-{version}-linux-{arch}-gnu"

    with tarfile.open(archive.path) as tar:
        members = {m.name: m for m in tar.getmembers()}
        pyconfig = None
        if source.include is not None:
            f = tar.extractfile(f"python/include/{source.include.name}/pyconfig.h")
            pyconfig = f.read() if f else b""
    names = list(members)
    assert all(n == "python" or n.startswith("python/") for n in names)
    exe = members[f"python/bin/python{mm}"]
    assert exe.isfile() and exe.mode == 0o755
    for link in ("python/bin/python3", "python/bin/python"):
        assert members[link].issym() and members[link].linkname == f"python{mm}"
    lib = f"python/lib/python{mm}"
    for required in ("os.py", "ssl.py", "venv/__init__.py", "ensurepip/__init__.py", "lib-dynload"):
        assert f"{lib}/{required}" in members, required
    assert any(n.startswith(f"{lib}/lib-dynload/_ssl.") for n in names)
    assert members[f"{lib}/site-packages"].isdir()
    assert {n for n in names if n.startswith(f"{lib}/site-packages/")} <= {f"{lib}/site-packages/README.txt"}
    if source.libpython:
        assert f"python/lib/{source.libpython}" in members
    bundled = sorted(p.name for p in (source.stdlib / "ensurepip" / "_bundled").glob("*.whl"))
    wheels = [n.rsplit("/", 1)[1] for n in names if n.startswith(f"{lib}/ensurepip/_bundled/")]
    assert sorted(w for w in wheels if w.endswith(".whl")) == bundled
    if source.include is not None:
        assert f"python/include/{source.include.name}/Python.h" in members
        assert pyconfig is not None and b"#define SIZEOF_VOID_P" in pyconfig  # the real one, not a stub
    for n in names:
        parts = n.split("/")
        assert "__pycache__" not in parts and "idle_test" not in parts, n
        assert not n.endswith((".pyc", ".a")), n
        if n.startswith(f"{lib}/"):
            sub = parts[3:]
            assert sub[:1] != ["test"] and not ({"test", "tests"} & set(sub[1:])), n
            assert sub[:1] not in (["dist-packages"], ["sitecustomize.py"], ["EXTERNALLY-MANAGED"]), n
        assert (members[n].mtime, members[n].uid, members[n].gid) == (pbs.EPOCH, 0, 0), n


@pytest.mark.parametrize("version", VERSIONS)
def test_archive_runs_from_a_new_location(version, pbs_archives, real_sources, tmp_path):
    source = _source(real_sources, version)
    mm = f"{source.major}.{source.minor}"
    dest = tmp_path / "elsewhere with space"
    dest.mkdir()
    # The system tar, not our own extractor: the archive must be an ordinary tarball.
    _run("tar", "-C", dest, "-xzf", pbs_archives[version].path)
    root = dest / "python"
    info = json.loads(_run(root / "bin" / f"python{mm}", "-I", "-c", PROBE).stdout)
    assert info["prefix"] == str(root)
    assert info["version"] == f"{source.major}.{source.minor}.{source.patch}"
    assert all(p.startswith(str(root) + "/") for p in info["path"]), info["path"]
    for key in ("ssl", "sqlite3"):
        assert info[key].startswith(str(root) + "/"), info[key]
    forbidden = _source_dirs(source)
    leaked = [m for m in info["maps"] if _under(m, forbidden)]
    assert not leaked, f"relocated {version} still loads files from its source: {leaked}"

    # Through the python3 symlink too (getpath must resolve it to the same root).
    out = _run(root / "bin" / "python3", "-I", "-c", "import sys; print(sys.prefix)").stdout
    assert out.strip() == str(root)

    venv_dir = tmp_path / "venv"
    _run(root / "bin" / f"python{mm}", "-m", "venv", "--without-pip", venv_dir)
    out = _run(
        venv_dir / "bin" / "python", "-c", "import sys, ssl; print(sys.base_prefix); print(sys.prefix)"
    ).stdout.split("\n")
    assert out[:2] == [str(root), str(venv_dir)]
    cfg = (venv_dir / "pyvenv.cfg").read_text()
    assert f"home = {root / 'bin'}" in cfg

    # No ELF file may keep a run path into the source installation.
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and (".so" in path.name or path.parent.name == "bin"):
            elf = pbs.read_elf(path)
            if elf is not None:
                for entry in (*elf.rpath, *elf.runpath):
                    assert entry.startswith("$ORIGIN") or not _under(entry, forbidden), (path, entry)
                assert not elf.has_debug, f"{path} still carries debug sections"
    # Build configuration names /install (as PBS does), not the source's private prefix.
    if str(source.prefix) not in ("/usr", "/usr/local"):
        for f in (root / "lib" / f"python{mm}").glob("_sysconfigdata*.py"):
            text = f.read_text()
            assert str(source.prefix) not in text and "'/install" in text, f


def _python312(real_sources: List[pbs.InterpreterSource]) -> str:
    return next(s.version for s in real_sources if s.minor == 12)


MAGIC = {"tar.gz": b"\x1f\x8b", "tar.zst": b"\x28\xb5\x2f\xfd", "zip": b"PK\x03\x04"}


@pytest.mark.parametrize(
    ("fmt", "layout"),
    [
        ("tar.zst", "python/install"),
        ("tar.zst", "python"),
        ("zip", "python"),
        ("tar.gz", "python/install"),
    ],
)
def test_other_formats_and_layouts_extract_and_run(fmt, layout, make_pbs_archive, real_sources, tmp_path):
    version = _python312(real_sources)
    archive = make_pbs_archive(version, fmt=fmt, layout=layout)
    flavor = "install_only" if layout == "python" else "pgo+lto-full"
    triple = f"{pbs.host_arch()}-unknown-linux-gnu"
    assert archive.filename == f"cpython-{version}+20990101-{triple}-{flavor}.{fmt}"
    assert (archive.fmt, archive.layout) == (fmt, layout)
    assert archive.path.read_bytes()[:4].startswith(MAGIC[fmt])
    root = pbs.extract(archive.path, tmp_path / "x")
    assert root == tmp_path / "x" / layout
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["python"]
    assert (root / "bin" / "python3").is_symlink()  # zip keeps links (unix external attributes)
    out = _run(root / "bin" / "python3", "-I", "-c", "import sys, ssl, sqlite3; print(sys.prefix)").stdout
    assert out.strip() == str(root)


def test_name_and_build_tag(make_pbs_archive, pbs_archives, real_sources):
    version = _python312(real_sources)
    tagged = make_pbs_archive(version, build="20240101")
    assert tagged.build == "20240101" and "+20240101-" in tagged.filename
    # The tag is only a name: same bytes as the default-tag archive (and one cache entry).
    assert tagged.sha256 == pbs_archives[version].sha256
    named = make_pbs_archive(version, name="my-python.tar.gz")
    assert named.path.name == named.filename == "my-python.tar.gz"
    with pytest.raises(ValueError, match="fmt"):
        make_pbs_archive(version, fmt="tar.bz2")
    with pytest.raises(ValueError, match="layout"):
        make_pbs_archive(version, layout="install")


def test_archive_filenames_follow_pbs():
    f = pbs.archive_filename
    assert (
        f("3.12.1", "20990101", arch="x86_64") == "cpython-3.12.1+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz"
    )
    assert (
        f("3.12.1", "20990101", arch="x86_64", layout="python/install", fmt="tar.zst")
        == "cpython-3.12.1+20990101-x86_64-unknown-linux-gnu-pgo+lto-full.tar.zst"
    )
    # Shapes of real names in PBS release 20241016:
    assert (
        f("3.13.0", "20241016", arch="x86_64", variant="freethreaded")
        == "cpython-3.13.0+20241016-x86_64-unknown-linux-gnu-freethreaded-install_only.tar.gz"
    )
    full = {"layout": "python/install", "fmt": "tar.zst"}
    assert (
        f("3.13.0", "20241016", arch="x86_64", variant="freethreaded", **full)
        == "cpython-3.13.0+20241016-x86_64-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst"
    )
    assert (
        f("3.13.0", "20241016", arch="aarch64", variant="debug", **full)
        == "cpython-3.13.0+20241016-aarch64-unknown-linux-gnu-debug-full.tar.zst"
    )


def test_read_elf_agrees_with_readelf(real_sources):
    readelf = "/usr/bin/readelf"
    assert os.path.exists(readelf), "readelf missing: apt-get install binutils"
    for s in real_sources:
        out = _run(readelf, "-d", s.executable).stdout
        elf = pbs.read_elf(s.executable)
        assert elf is not None
        for tag, values in (("NEEDED", elf.needed), ("RUNPATH", elf.runpath), ("RPATH", elf.rpath)):
            want = [line.split("[", 1)[1].rstrip("]").split(":") for line in out.splitlines() if f"({tag})" in line]
            assert list(values) == [p for group in want for p in group], (s.executable, tag)
    assert pbs.read_elf(Path(pbs.__file__)) is None


@pytest.mark.slow
def test_builds_are_reproducible_and_match_the_cache(pbs_archives, real_sources, tmp_path):
    source = _source(real_sources, "3.11.2")  # the smallest tree: cheapest to build twice
    a = pbs.build_archive(source, tmp_path / "a", use_cache=False)
    b = pbs.build_archive(source, tmp_path / "b", use_cache=False)
    assert a.sha256 == b.sha256 == pbs_archives["3.11.2"].sha256
    head = a.path.read_bytes()[:10]
    assert head[4:8] == b"\0\0\0\0" and not head[3] & 0x08  # gzip: mtime 0, no file name
    with tarfile.open(a.path) as tar:
        names = tar.getnames()
    assert names == sorted(names, key=lambda n: n.split("/"))
    assert gzip.decompress(a.path.read_bytes())[:6] == b"python"


@pytest.mark.slow
def test_cache_is_reused_and_safe_under_concurrency(real_sources, tmp_path):
    source = _source(real_sources, "3.11.2")
    cache = tmp_path / "cache"
    first = pbs.build_archive(source, tmp_path / "o1", cache_dir=cache)
    entries = [p for p in (cache / "pbs-v1").iterdir() if p.is_dir()]
    assert len(entries) == 1 and (entries[0] / "meta.json").is_file()
    cached = entries[0] / "archive.tar.gz"
    before = cached.stat()

    second = pbs.build_archive(source, tmp_path / "o2", build="20300101", cache_dir=cache)
    after = cached.stat()
    assert second.sha256 == first.sha256
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), "cache entry was rebuilt"
    # A copy, not a link: damaging a test's archive leaves the cache intact.
    assert second.path.stat().st_ino != after.st_ino
    second.path.write_bytes(b"broken")
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == first.sha256

    # Three builders of one new entry at once: one builds, the others wait and reuse it.
    results: Dict[int, pbs.BuiltArchive] = {}
    errors: List[BaseException] = []

    def build(i: int) -> None:
        try:
            results[i] = pbs.build_archive(source, tmp_path / f"z{i}", fmt="zip", cache_dir=cache)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len({r.sha256 for r in results.values()}) == 1
    names = sorted(p.name for p in (cache / "pbs-v1").iterdir() if p.is_dir())
    assert len(names) == 2 and not [n for n in names if n.startswith(".tmp-")], names
