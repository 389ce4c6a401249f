"""Interpreter discovery: resolution order, preferences, probing and its cache, broken candidates.

Real interpreters (pyenv builds and Debian's python3.11, via the ``real_sources`` fixture) are
linked into temporary PATH directories, a managed install dir, a fake pyenv root and a uv dir;
"fake" interpreters are shell scripts that print a probe report, to stage what this machine has
no real build of (pre-releases, PyPy) — they are probed exactly like real ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from support import pbs

from shimkit import discovery as d
from shimkit import platform as shimkit_platform
from shimkit import probecache, provision
from shimkit.errors import NotFoundError, UsageError
from shimkit.model.key import PythonKey
from shimkit.model.request import parse_request
from shimkit.model.version import Version
from shimkit.settings import load_settings
from shimkit.store import Installation, Store

HOST = str(shimkit_platform.host())


class World:
    """An isolated machine: HOME, XDG dirs, install dir, PATH, pyenv root and uv dir under tmp."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch, sources: List[pbs.InterpreterSource]) -> None:
        self.tmp = tmp
        self.mp = monkeypatch
        self.sources = {s.version: s for s in sources}
        self.home = tmp / "home"
        self.installs = tmp / "installs"
        self.pyenv = tmp / "pyenv"
        self.uv = tmp / "uv"
        self.path_dirs: List[Path] = []
        self.log = tmp / "probes.log"
        for var in list(os.environ):
            if var.startswith(("SHIMKIT_", "PYTHON", "VIRTUAL_ENV", "PYENV", "UV_", "MISE_", "XDG_")):
                monkeypatch.delenv(var)
        monkeypatch.delenv("PWD", raising=False)
        env = {
            "HOME": self.home,
            "XDG_DATA_HOME": self.home / "data",
            "XDG_CONFIG_HOME": self.home / "config",
            "XDG_CACHE_HOME": self.home / "cache",
            "SHIMKIT_PYTHON_INSTALL_DIR": self.installs,
            "PYENV_ROOT": self.pyenv,
            "UV_PYTHON_INSTALL_DIR": self.uv,
        }
        for k, v in env.items():
            monkeypatch.setenv(k, str(v))
        monkeypatch.setenv("SHIMKIT_PYTHON_DOWNLOADS", "never")
        monkeypatch.setenv("SHIMKIT_PROBE_TIMEOUT", "1")
        self.home.mkdir()
        self.set_path()

    # ---- building the machine
    def real(self, version: str) -> Path:
        if version not in self.sources:
            pytest.fail(f"real interpreter {version} missing (have {sorted(self.sources)}); see conftest.real_sources")
        return self.sources[version].executable

    def set_path(self, *dirs: Path) -> None:
        self.path_dirs = list(dirs)
        self.mp.setenv("PATH", os.pathsep.join(str(p) for p in self.path_dirs) or str(self.tmp / "empty"))

    def bindir(self, name: str) -> Path:
        p = self.tmp / name
        p.mkdir(exist_ok=True)
        return p

    def link(self, dirname: str, name: str, version: str) -> Path:
        exe = self.bindir(dirname) / name
        exe.symlink_to(self.real(version))
        return exe

    def script(self, dirname: str, name: str, body: str, mode: int = 0o755) -> Path:
        exe = self.bindir(dirname) / name
        exe.write_text("#!/bin/sh\n" + f'echo "$0" >> "{self.log}"\n' + body)
        exe.chmod(mode)
        return exe

    def fake(
        self,
        dirname: str,
        name: str,
        version: str,
        implementation: str = "cpython",
        prefix: str = "/fake",
        base_prefix: Optional[str] = None,
    ) -> Path:
        report = {
            "version": version,
            "implementation": implementation,
            "freethreaded": False,
            "debug": False,
            "machine": "x86_64",
            "pointer_bits": 64,
            "prefix": prefix,
            "base_prefix": prefix if base_prefix is None else base_prefix,
            "executable": f"{prefix}/python",
        }
        return self.script(dirname, name, f"echo 'shimkit-probe: {json.dumps(report)}'\n")

    def probes(self) -> List[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def managed(
        self, version: str, *, name_version: Optional[str] = None, implementation: str = "cpython", link: bool = True
    ) -> Installation:
        """An installation whose interpreter is a real one (linked), named ``name_version`` if given."""
        key_text = f"{implementation}-{name_version or version}-{HOST}"
        root = self.installs / key_text
        mm = ".".join((name_version or version).split(".")[:2])
        (root / "bin").mkdir(parents=True)
        (root / "bin" / f"python{mm}").symlink_to(self.real(version))
        inst = Installation(
            PythonKey(implementation, Version.parse(name_version or version), "", shimkit_platform.host()), root
        )
        if link:
            minor = self.installs / inst.key.minor_key
            if minor.is_symlink():
                minor.unlink()
            minor.symlink_to(key_text)
        return inst

    def venv(self, path: Path, version: str = "3.12.1", python: Optional[Path] = None) -> Path:
        exe = python or self.real(version)
        subprocess.run([str(exe), "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True)
        return path

    # ---- asking
    def find(self, request: Optional[str] = None, cwd: Optional[Path] = None, **kw: object) -> d.FoundInterpreter:
        req = parse_request(request) if request is not None else None
        return provision.find_interpreter(req, load_settings(), cwd or self.tmp, **kw)  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_sources: List[pbs.InterpreterSource]) -> World:
    return World(tmp_path, monkeypatch, real_sources)


# ---- resolution order ------------------------------------------------------------------------
def test_resolution_order_venv_dotvenv_managed_path_pyenv_uv(world: World) -> None:
    # everything present, each layer removed in turn
    proj = world.tmp / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "pyproject.toml").write_text('[project]\nname = "p"\n')
    active = world.venv(world.tmp / "active", "3.10.13")
    world.venv(proj / ".venv", "3.13.0")
    world.managed("3.12.1")
    world.set_path(world.bindir("p1"))
    world.link("p1", "python3", "3.11.2")
    pyenv_bin = world.pyenv / "versions" / "3.9.18" / "bin"
    pyenv_bin.mkdir(parents=True)
    (pyenv_bin / "python3").symlink_to(world.real("3.9.18"))
    uv_bin = world.uv / f"cpython-3.11.7-{HOST}" / "bin"
    uv_bin.mkdir(parents=True)
    (uv_bin / "python3.11").symlink_to(world.real("3.11.7"))
    world.mp.setenv("VIRTUAL_ENV", str(active))

    f = world.find(cwd=proj / "src")
    assert (f.source, f.info.version, f.path) == ("venv", "3.10.13", active / "bin" / "python")
    assert f.info.is_venv and f.key is None
    f = world.find(cwd=proj / "src", system=True)
    assert (f.source, f.info.version) == ("managed", "3.12.1")  # --system: no venvs at all
    world.mp.delenv("VIRTUAL_ENV")
    f = world.find(cwd=proj / "src")
    assert (f.source, f.info.version, f.path) == ("venv", "3.13.0", proj / ".venv" / "bin" / "python")
    # a .venv above the project boundary is not the project's
    f = world.find(cwd=world.tmp)
    assert (f.source, f.info.version) == ("managed", "3.12.1")
    assert world.find("3.11.2", cwd=proj).source == "path"
    assert (world.find("3.9", cwd=proj).source, world.find("3.9", cwd=proj).path) == ("pyenv", pyenv_bin / "python3")
    f = world.find("3.11.7", cwd=proj)
    assert (f.source, f.path) == ("uv", uv_bin / "python3.11")


def test_venv_must_satisfy_the_request(world: World) -> None:
    world.mp.setenv("VIRTUAL_ENV", str(world.venv(world.tmp / "v", "3.10.13")))
    world.managed("3.12.1")
    assert world.find("3.12").source == "managed"
    assert world.find("3.10").source == "venv"


def test_pin_of_the_directory_is_the_default_request(world: World) -> None:
    world.managed("3.12.1")
    world.managed("3.11.7")
    (world.tmp / "p").mkdir()
    (world.tmp / "p" / ".python-version").write_text("3.11\n")
    f = world.find(cwd=world.tmp / "p")
    assert f.info.version == "3.11.7" and f.key is not None and str(f.key) == f"cpython-3.11.7-{HOST}"
    # no pin: the newest
    assert world.find(cwd=world.tmp).info.version == "3.12.1"
    # --no-config: version files are ignored
    world.mp.setenv("SHIMKIT_NO_CONFIG", "1")
    assert world.find(cwd=world.tmp / "p").info.version == "3.12.1"


def test_managed_paths_go_through_the_minor_link_unless_a_patch_is_named(world: World) -> None:
    old = world.managed("3.11.2")
    new = world.managed("3.11.7")  # the link now points here
    store = Store(world.installs)
    f = world.find("3.11")
    assert f.path == store.executable_through_link(new)
    assert f.path == world.installs / f"cpython-3.11-{HOST}" / "bin" / "python3.11"
    assert f.info.version == "3.11.7" and f.source == "managed"
    f = world.find("3.11.7")
    assert f.path == new.executable
    # the link goes to 3.11.7: a request only 3.11.2 satisfies gets the patch directory
    f = world.find("==3.11.2")
    assert f.path == old.executable and f.info.version == "3.11.2"


def test_managed_newest_first_stable_before_prerelease(world: World) -> None:
    world.managed("3.13.0", name_version="3.13.1rc1")
    world.managed("3.12.1")
    world.managed("3.12.1", name_version="3.12.0")

    def key(text: Optional[str]) -> Optional[str]:
        c = d.locate(None if text is None else parse_request(text), load_settings(), str(world.tmp)).candidate
        return None if c is None or c.key is None else str(c.key)

    assert key(None) == f"cpython-3.12.1-{HOST}"  # a pre-release only when nothing else matches
    assert key("3.13") == f"cpython-3.13.1rc1-{HOST}"
    assert key("3.12.0") == f"cpython-3.12.0-{HOST}"
    assert key(">=3.12") == f"cpython-3.12.1-{HOST}"


def test_path_search_order_and_names(world: World) -> None:
    a, b = world.bindir("a"), world.bindir("b")
    world.set_path(a, b)
    world.link("a", "python3.12", "3.12.1")
    world.link("b", "python", "3.11.2")
    world.link("b", "python3.13", "3.13.0")
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-system")
    assert world.find().path == b / "python"  # what `python`/`python3` run comes first
    assert world.find("3").path == b / "python"
    assert world.find("3.12").path == a / "python3.12"
    assert world.find(">=3.12").path == a / "python3.12"  # then python3.X, first compatible in PATH order
    assert world.find(">=3.13").path == b / "python3.13"
    c = world.bindir("c")
    world.set_path(c)
    world.link("c", "python3.10", "3.10.13")
    world.link("c", "python3.13", "3.13.0")
    assert world.find(">=3.10").path == c / "python3.13"  # newest first within one directory


def test_relative_path_entries_and_shim_dirs_are_skipped(world: World) -> None:
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-system")
    (world.tmp / "rel").mkdir()
    (world.tmp / "rel" / "python3").symlink_to(world.real("3.10.13"))
    shims = world.home / "data" / "shimkit" / "shims"
    shims.mkdir(parents=True)
    world.fake(str(shims.relative_to(world.tmp)), "python3", "3.12.99")
    pyenv_shims = world.pyenv / "shims"
    pyenv_shims.mkdir(parents=True)
    world.fake(str(pyenv_shims.relative_to(world.tmp)), "python", "3.12.98")
    good = world.bindir("good")
    world.link("good", "python3", "3.11.2")
    world.mp.setenv("PATH", os.pathsep.join(["rel", "", str(shims), str(pyenv_shims), str(good)]))
    f = world.find(cwd=world.tmp)
    assert f.path == good / "python3"
    assert world.probes() == []  # the shims were never run


def test_path_entries_into_the_install_dir_count_as_managed(world: World) -> None:
    inst = world.managed("3.12.1")
    world.bindir("bin")
    (world.tmp / "bin" / "python3.12").symlink_to(Store(world.installs).executable_through_link(inst))
    world.set_path(world.tmp / "bin")
    assert world.find("3.12").source == "managed"
    with pytest.raises(NotFoundError):
        world.find("3.12", no_managed=True)


def test_broken_candidates_are_skipped_and_cached(world: World) -> None:
    world.set_path(world.bindir("a"), world.bindir("b"), world.bindir("c"), world.bindir("d"), world.bindir("e"))
    world.script("a", "python", "exit 3\n")  # exits non-zero
    world.script("a", "python3", "echo shimkit-probe: not-json\n")  # garbage
    world.script("b", "python", "exec /bin/sleep 30\n")  # hangs
    world.script("c", "python", "echo nope\n", mode=0o644)  # not executable
    (world.tmp / "d" / "python").mkdir()  # not a file
    world.link("e", "python3", "3.11.2")
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-system")
    started = time.monotonic()
    f = world.find()
    assert f.path == world.tmp / "e" / "python3" and f.info.version == "3.11.2"
    assert 0.9 < time.monotonic() - started < 10  # waited for the hanging one once (timeout 1 s)
    assert sorted(Path(p).parent.name + "/" + Path(p).name for p in world.probes()) == [
        "a/python",
        "a/python3",
        "b/python",
    ]
    started = time.monotonic()
    assert world.find().path == f.path
    assert time.monotonic() - started < 0.9  # failures are cached: no second timeout
    assert len(world.probes()) == 3
    # the error names the broken candidates when nothing else matches
    with pytest.raises(NotFoundError) as exc:
        world.find("3.9")
    assert exc.value.exit_code == 2
    line = exc.value.one_line()
    assert "skipped unusable candidates" in line and "failed to start: exit code 3" in line


def test_probe_cache_is_keyed_by_path_mtime_and_size(world: World) -> None:
    world.set_path(world.bindir("a"))
    fake = world.fake("a", "python3", "3.12.7")
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-system")
    assert world.find().info.version == "3.12.7"
    assert world.find().info.version == "3.12.7"
    assert len(world.probes()) == 1
    cached = list((world.home / "cache" / "shimkit" / "interpreters").iterdir())
    assert len(cached) == 1 and probecache._decode(cached[0].read_text())["path"] == str(fake)
    # the executable changed (an upgrade in place): probed again
    world.fake("a", "python3-new", "3.12.8").rename(fake)
    assert world.find().info.version == "3.12.8"
    assert len(world.probes()) == 2
    # a corrupt cache file is ignored and rewritten
    for damaged in ("{not ours", cached[0].read_text()[:-5], cached[0].read_text().replace("\0s\0", "\0x\0", 1)):
        cached[0].write_text(damaged)
        assert world.find().info.version == "3.12.8"
    assert len(world.probes()) == 5 and probecache._decode(cached[0].read_text())["info"]["version"] == "3.12.8"


def test_cpython_preferred_and_prereleases_last(world: World) -> None:
    world.set_path(world.bindir("a"), world.bindir("b"), world.bindir("c"))
    world.fake("a", "python", "3.12.4", implementation="pypy")
    world.fake("b", "python3", "3.14.0a1")
    world.link("c", "python3", "3.11.2")
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-system")
    assert world.find().path == world.tmp / "c" / "python3"
    assert world.find("pypy").path == world.tmp / "a" / "python"
    assert world.find("3.14").path == world.tmp / "b" / "python3"
    assert world.find("3.12").path == world.tmp / "a" / "python"  # only PyPy has 3.12 here
    assert world.find(">=3.12,<3.14").path == world.tmp / "a" / "python"


def test_venv_interpreters_on_path_are_not_system_interpreters(world: World) -> None:
    v = world.venv(world.tmp / "v", "3.13.0")
    world.set_path(v / "bin", world.bindir("sys"))
    world.link("sys", "python3", "3.11.2")
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-system")
    assert world.find().path == world.tmp / "sys" / "python3"


@pytest.mark.parametrize(
    ("preference", "flags", "expected"),
    [
        ("managed", {}, "managed"),
        ("system", {}, "path"),
        ("only-managed", {}, "managed"),
        ("only-system", {}, "path"),
        ("managed", {"managed_only": True}, "managed"),
        ("managed", {"no_managed": True}, "path"),
    ],
)
def test_python_preference(world: World, preference: str, flags: Dict[str, bool], expected: str) -> None:
    world.managed("3.12.1")
    world.set_path(world.bindir("a"))
    world.link("a", "python3.12", "3.12.1")
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", preference)
    assert world.find("3.12", **flags).source == expected
    if preference == "only-managed" or flags.get("managed_only"):
        with pytest.raises(NotFoundError) as exc:
            world.find("3.11", **flags)
        assert "only managed installations were considered" in exc.value.one_line()
    if preference == "only-system" or flags.get("no_managed"):
        world.set_path()
        with pytest.raises(NotFoundError) as exc:
            world.find("3.12", **flags)
        assert "managed installations were not considered" in exc.value.one_line()


def test_contradicting_flags(world: World) -> None:
    with pytest.raises(UsageError):
        world.find(managed_only=True, no_managed=True)


def test_only_managed_accepts_venvs_based_on_managed_installations(world: World) -> None:
    inst = world.managed("3.12.1")
    through = Store(world.installs).executable_through_link(inst)
    managed_venv = world.venv(world.tmp / "mv", python=through)
    system_venv = world.venv(world.tmp / "sv", "3.12.1")
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-managed")
    world.mp.setenv("VIRTUAL_ENV", str(system_venv))
    assert world.find().source == "managed"
    world.mp.setenv("VIRTUAL_ENV", str(managed_venv))
    assert world.find().path == managed_venv / "bin" / "python"
    world.mp.setenv("SHIMKIT_PYTHON_PREFERENCE", "only-system")
    world.set_path(world.bindir("a"))
    world.link("a", "python3", "3.11.2")
    assert world.find().path == world.tmp / "a" / "python3"
    world.mp.setenv("VIRTUAL_ENV", str(system_venv))
    assert world.find().path == system_venv / "bin" / "python"


def test_explicit_paths_and_names(world: World) -> None:
    v = world.venv(world.tmp / "v", "3.10.13")
    f = world.find(str(v))
    assert (f.source, f.info.version, f.info.is_venv) == ("explicit", "3.10.13", True)
    world.set_path(world.bindir("a"))
    world.link("a", "mypython", "3.13.0")
    assert world.find("mypython").info.version == "3.13.0"
    with pytest.raises(NotFoundError):
        world.find("./missing/python")
    broken = world.script("a", "brokenpy", "exit 1\n")
    with pytest.raises(Exception, match="cannot be used"):
        world.find(str(broken))


def test_nothing_found_is_a_one_line_not_found_error(world: World) -> None:
    (world.tmp / "p").mkdir()
    (world.tmp / "p" / ".python-version").write_text("3.8\n")
    with pytest.raises(NotFoundError) as exc:
        world.find(cwd=world.tmp / "p")
    line = exc.value.one_line()
    assert line.startswith(f"no Python interpreter satisfies 3.8 (requested by {world.tmp / 'p' / '.python-version'})")
    assert "install it with `shimkit install 3.8` (python-downloads is never)" in line and "\n" not in line


def test_an_unusable_pin_is_an_error_not_some_other_python(world: World) -> None:
    # answering with the newest interpreter would hide the broken pin from `"$(shimkit find)" -m pytest`
    world.managed("3.12.1")
    (world.tmp / ".python-version").write_text("../../bin/evil\n")
    warnings: List[str] = []
    with pytest.raises(NotFoundError) as exc:
        world.find(warn=warnings.append)
    assert exc.value.message == f"{world.tmp / '.python-version'} holds no valid Python request"
    assert exc.value.exit_code == 2 and "shimkit pin 3.12" in (exc.value.hint or "")
    assert warnings == [
        f"ignoring '../../bin/evil' in {world.tmp / '.python-version'}: invalid Python request "
        "'../../bin/evil' (paths are not accepted here)"
    ]
    # a later valid line of .python-versions is used; an unusable requires-python is only a constraint
    (world.tmp / ".python-version").unlink()
    (world.tmp / ".python-versions").write_text("bogus!\n3.12\n")
    assert world.find(warn=warnings.append).info.version == "3.12.1"


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        (f"cpython-3.12.1-{HOST}", ("managed", "3.12.1", "patch")),
        ("cpython-3.12-any-any-any", ("managed", "3.12.1", "link")),
        ("cp311", ("managed", "3.11.7", "link")),
        ("python3.11", ("managed", "3.11.7", "link")),
        ("cpython@3.11", ("managed", "3.11.7", "link")),
        ("==3.11.*", ("managed", "3.11.7", "link")),
        ("~=3.11.0", ("managed", "3.11.7", "link")),
        (">=3.11,<3.12", ("managed", "3.11.7", "link")),
        ("3.11.2", ("path", "3.11.2", None)),
        ("3", ("managed", "3.12.1", "link")),
        ("any", ("managed", "3.12.1", "link")),
        ("default", ("managed", "3.12.1", "link")),
        ("cpython", ("managed", "3.12.1", "link")),
        ("pypy", None),
        ("3.12+debug", None),
        ("<3", None),
    ],
)
def test_requests_of_every_form(world: World, request_text: str, expected: Optional[tuple]) -> None:
    world.managed("3.11.7")
    world.managed("3.12.1")
    world.set_path(world.bindir("p"))
    world.link("p", "python3.11", "3.11.2")
    if expected is None:
        with pytest.raises(NotFoundError):
            world.find(request_text)
        return
    f = world.find(request_text)
    source, version, via = expected
    assert (f.source, f.info.version) == (source, version)
    if via is not None:
        assert f.key is not None
        link = world.installs / f.key.minor_key
        assert (link in f.path.parents) == (via == "link"), f.path
