"""A repository someone else wrote, cloned and entered: its project files may be symlinks to
devices, FIFOs, huge, or declare workspace globs built to take exponential time, and it may
hold symlinks named like shimkit's temporary files.  ``find``, ``pin`` and ``hook-resolve``
(what every hook and shim calls) must answer promptly with one warning, and shimkit must never
write through a planted symlink.

The commands run as subprocesses under an address-space limit (a runaway read fails fast
instead of eating the machine's memory) with a generous timeout; ``/dev/tty`` is tested with
the command on a real pseudo-terminal as its controlling terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import subprocess
import sys
import termios
from pathlib import Path
from typing import Callable, Dict, List

import pytest
from support import cli

from shimkit import versionfile as vf

MEMORY_LIMIT = 2 << 30
BIG = 100 * 1024 * 1024
COMMANDS = (["find"], ["pin"], ["hook-resolve", "--install-dir", "{installs}", "--", "{cwd}"])


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _tree(root: Path, case: str) -> Path:
    """Build the hostile checkout ``case`` under ``root``; returns the directory to work in."""
    d = root / case
    d.mkdir(parents=True)
    if case == "zero":
        (d / "pyproject.toml").symlink_to("/dev/zero")
    elif case == "zero-parent":
        (d / "pyproject.toml").symlink_to("/dev/zero")
        d = write(d / "child" / "pyproject.toml", b'[project]\nname = "c"\n').parent
    elif case == "fifo":
        os.mkfifo(d / "pyproject.toml")
    elif case == "tty":
        (d / "pyproject.toml").symlink_to("/dev/tty")
    elif case == "big-pyproject":
        write(d / "pyproject.toml", b'[project]\nrequires-python = ">=3.9"\n')
        os.truncate(d / "pyproject.toml", BIG)
    elif case == "big-version":
        write(d / ".python-version", b"x" * 70000)
        os.truncate(d / ".python-version", BIG)
    elif case == "workspace":
        members = "/".join(["**"] * 30) + "/zzz"
        write(d / "pyproject.toml", f'[tool.uv.workspace]\nmembers = ["{members}"]\n'.encode())
        d = write(d.joinpath(*[f"d{i}" for i in range(16)], "yyy", "pyproject.toml"), b"").parent
    return d


# what the one warning says (the workspace case has nothing to warn about, only to survive)
WARNING = {
    "zero": "not a regular file",
    "zero-parent": "not a regular file",
    "fifo": "not a regular file",
    "tty": "not a regular file",
    "big-pyproject": "larger than 256 KiB",
    "big-version": "'xxxxxxxxxx",  # the line, shown truncated, once
    "workspace": None,
}


def _run(args: List[str], env: Dict[str, str], cwd: Path, *, tty: bool) -> subprocess.CompletedProcess[str]:
    master = slave = -1
    if tty:
        master, slave = os.openpty()

    def child() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if tty:  # the pty becomes the controlling terminal: /dev/tty is it
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    try:
        return subprocess.run(
            [sys.executable, "-m", "shimkit", *args],
            env=dict(env, PWD=str(cwd)),
            cwd=cwd,
            stdin=slave if tty else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=child,
        )
    finally:
        if tty:
            os.close(master)
            os.close(slave)


@pytest.mark.parametrize("case", list(WARNING))
def test_hostile_project_files_are_ignored_with_one_warning(case: str, tmp_path: Path) -> None:
    env = dict(cli.isolated_env(tmp_path), SHIMKIT_PYTHON_DOWNLOADS="never", SHIMKIT_PROBE_TIMEOUT="5")
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    d = _tree(tmp_path / "clone", case)
    before = sorted(p.name for p in d.iterdir())
    for template in COMMANDS:
        args = [a.format(installs=installs, cwd=d) for a in template]
        proc = _run(args, env, d, tty=case == "tty")
        text = proc.stdout + proc.stderr
        assert "Traceback" not in text, (args, text[-3000:])
        assert len(text) < 3000, (args, text[:500])
        if WARNING[case] is not None:
            assert WARNING[case] in text and text.count("warning") <= 1, (args, text)
        if args[0] == "hook-resolve":
            assert proc.returncode == 0 and proc.stdout.split("\n", 1)[0] == "", text  # nothing pinned
    assert sorted(p.name for p in d.iterdir()) == before


def test_workspace_globs_match_in_linear_time() -> None:
    # 40 `**` against 40 components: the old matcher made ~2.7^40 calls
    rel = "/".join(f"d{i}" for i in range(40))
    assert vf.glob_match(rel, "/".join(["**"] * 40) + "/zzz") is False
    assert vf.glob_match(rel, "/".join(["**"] * 40) + "/d39") is True
    assert vf.glob_match(rel, "/".join(["**", "d*"] * 40)) is True
    assert vf.glob_match(rel, "/".join(["**", "d*"] * 41)) is False


@pytest.mark.parametrize(
    ("rel", "pattern"),
    [
        ("a/b/c", "**/c"),
        ("a/b/c", "a/**/**/c"),
        ("c", "**/**/c"),
        ("a/b", "**/b/**"),
        ("a", "a/**"),
        ("a/b/c", "*/**/c"),
        ("a/b/c", "**/*/*/*/c"),
        ("x/a", "**/a/**/b"),
        ("", "**"),
        ("a", ""),
    ],
)
def test_workspace_glob_semantics_agree_with_a_reference(rel: str, pattern: str) -> None:
    """The old recursive definition (memoized here, so it cannot blow up) is the reference."""
    import functools
    from fnmatch import fnmatchcase

    parts = [p for p in rel.split("/") if p]
    pats = [p for p in pattern.split("/") if p]

    @functools.cache
    def match(i: int, j: int) -> bool:
        if j == len(pats):
            return i == len(parts)
        if pats[j] == "**":
            return any(match(k, j + 1) for k in range(i, len(parts) + 1))
        return i < len(parts) and fnmatchcase(parts[i], pats[j]) and match(i + 1, j + 1)

    assert vf.glob_match(rel, pattern) is match(0, 0)


# ---- writers: every file shimkit writes is created anew, never opened through what is there
Writer = Callable[[Path], Path]  # does the write in the given dir, returns the file written


def _pin(d: Path) -> Path:
    vf.write_version_file(d / ".python-version", ["3.12"])
    return d / ".python-version"


def _venv_record(d: Path) -> Path:
    from shimkit import venv
    from shimkit.store import Store

    venv.record(Store(d), d)
    return d / venv.VENV_RECORD


def _init_cache(d: Path) -> Path:
    from shimkit import shell
    from shimkit.settings import Settings

    shell.init_script("bash", Settings(install_dir=d / "installs", bin_dir=d / "bin"), cache_dir=d)
    (cache,) = [p for p in (d / "init").iterdir() if not p.name.endswith(".tmp")]
    return cache


def _nu_rc(d: Path) -> Path:
    from shimkit import shellrc as shell
    from shimkit.settings import Settings

    home = d / "home"
    rc = shell.rc_file("nu", home=home, environ={})
    rc.parent.mkdir(parents=True, exist_ok=True)
    shell.update_rc("nu", Settings(install_dir=d / "installs", bin_dir=d / "bin"), home=home, environ={})
    return rc


def _shims(d: Path) -> Path:
    from shimkit import shims
    from shimkit.settings import Settings

    shims.enable(Settings(install_dir=d / "installs", bin_dir=d / "bin"), shims_dir=d)
    return d / "python"


def _interpreter_cache(d: Path) -> Path:
    from shimkit import probecache

    probecache.interpreter_info(sys.executable, str(d))
    return Path(probecache._cache_file(str(d), sys.executable))


WRITERS: Dict[str, Writer] = {
    "pin": _pin,
    "venv record": _venv_record,
    "init cache": _init_cache,
    "nu rc": _nu_rc,
    "shims": _shims,
    "interpreter cache": _interpreter_cache,
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_writers_never_write_through_planted_symlinks(name: str, tmp_path: Path) -> None:
    """The checkout (or anyone who can write the directory) plants symlinks under every name
    the writer's temporary file could have had before (``NAME.<pid>.tmp``, ``.NAME.<pid>.tmp``)."""
    victim = write(tmp_path / "victim" / "bashrc", b"precious\n")
    target_dir = tmp_path / "dir"
    target_dir.mkdir()
    # a dry run tells where the file goes; then the directory is reset and mined
    dry = WRITERS[name](target_dir)
    directory, base = dry.parent, dry.name
    for p in list(directory.iterdir()):
        if p.is_file():
            p.unlink()
    planted = []
    for tmpl in (f".{base}.{os.getpid()}.tmp", f"{base}.{os.getpid()}.tmp"):
        link = directory / tmpl
        link.symlink_to(victim)
        planted.append(link)
    written = WRITERS[name](target_dir)
    assert victim.read_bytes() == b"precious\n"
    assert written.is_file() and not written.is_symlink() and written.stat().st_size > 0
    assert all(p.is_symlink() for p in planted)  # left alone
    assert [p.name for p in directory.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()] == []


def test_write_atomic_never_follows_and_keeps_the_umask_mode(tmp_path: Path) -> None:
    from shimkit import safeio

    target = tmp_path / "f"
    safeio.write_atomic(target, b"one")
    old = os.umask(0o027)
    try:
        safeio.write_atomic(target, b"two")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"two" and (target.stat().st_mode & 0o777) == 0o640
    safeio.write_atomic(target, b"x", mode=0o755)
    assert target.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_read_bounded_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    from shimkit import safeio

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    for path in (fifo, link, tmp_path):
        with pytest.raises(safeio.UnsafeFile, match="not a regular file"):
            safeio.read_bounded(path, 1024)
    big = write(tmp_path / "big", b"a" * 2000)
    with pytest.raises(safeio.UnsafeFile, match="larger than"):
        safeio.read_bounded(big, 1024)
    assert safeio.read_bounded(big, 1024, truncate=True) == b"a" * 1024
    assert safeio.read_bounded(big, 4096) == b"a" * 2000
    assert json.loads(safeio.read_bounded(write(tmp_path / "j", b"[1]"), 10)) == [1]
