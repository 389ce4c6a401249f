"""A cloned repository controls its project files, not only their text: ``pyproject.toml`` can be
a symlink to ``/dev/zero`` or ``/dev/tty``, a FIFO, 100 MB long, or declare workspace globs that
take exponential time to match.  ``cd`` into any of them must bring the prompt back (with at
most a one-line warning), keep what the user types for the shell, and pin nothing.

Each shell is started on a pseudo-terminal and typed into, as a person would (see
shell_harness.py).  A hook that reads forever never answers the marker typed after the ``cd``;
the harness then fails after its (generous) timeout.  The shell and every child run in their
own process group, which the harness kills at the end, and under an address-space limit so
that a runaway read fails fast instead of eating the machine's memory.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shlex
import subprocess
from pathlib import Path
from typing import Dict, Iterator

import pytest
from shell_harness import DIALECTS, FakeStore, Projects, Session, base_path, find_shell, hook_env, shimkit_cmd

ALL_SHELLS = ["bash", "zsh", "fish", "dash", "ksh", "xonsh", "nu"]
CMD = " ".join(shlex.quote(w) for w in shimkit_cmd())
BIG = 100 * 1024 * 1024  # a sparse file: 100 MB without a line break, no disk space taken
MEMORY_LIMIT = 2 << 30  # address space for the shell and each of its children


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sparse(path: Path, head: bytes) -> Path:
    write(path, head)
    os.truncate(path, BIG)
    return path


def hostile_trees(root: Path) -> Dict[str, Path]:
    """name -> the directory to cd into."""
    t: Dict[str, Path] = {}
    t["zero"] = root / "zero"
    t["zero"].mkdir(parents=True)
    (t["zero"] / "pyproject.toml").symlink_to("/dev/zero")
    # a parent's pyproject.toml is read for workspace membership of the project below it
    parent = root / "zero-parent"
    parent.mkdir()
    (parent / "pyproject.toml").symlink_to("/dev/zero")
    t["zero-parent"] = write(parent / "child" / "pyproject.toml", b'[project]\nname = "c"\n').parent
    t["fifo"] = root / "fifo"
    t["fifo"].mkdir()
    os.mkfifo(t["fifo"] / "pyproject.toml")
    t["tty"] = root / "tty"
    t["tty"].mkdir()
    (t["tty"] / "pyproject.toml").symlink_to("/dev/tty")
    # x2.7 per `**` on the old matcher: 14 of them took ~400 s
    ws = root / "ws"
    members = "/".join(["**"] * 14) + "/zzz"
    write(ws / "pyproject.toml", f'[project]\nname = "ws"\n[tool.uv.workspace]\nmembers = ["{members}"]\n'.encode())
    deep = ws.joinpath(*[f"d{i}" for i in range(16)], "yyy")
    t["workspace"] = write(deep / "pyproject.toml", b'[project]\nname = "deep"\n').parent
    # 70 000 characters, then NUL bytes (dash drops those) up to 100 MB, no line break anywhere
    t["big-version"] = sparse(root / "big-version" / ".python-version", b"x" * 70000).parent
    t["big-pyproject"] = sparse(root / "big-pyproject" / "pyproject.toml", b'[project]\nname = "big"\n').parent
    return t


# the trees whose pyproject.toml is not a regular file: Python names it in one warning
NOT_REGULAR = ("zero", "zero-parent", "fifo", "tty")


@contextlib.contextmanager
def limited_memory() -> Iterator[None]:
    """Children started inside inherit an address-space limit (a runaway read fails fast)."""
    old = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_cd_into_hostile_project_files_returns_to_the_prompt(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    trees = hostile_trees(tmp_path / "clones")
    env = hook_env(home, fake_store, base_path(tmp_path))
    with limited_memory(), Session(DIALECTS[shell], env, projects.root, tmp_path) as s:
        s.load(CMD, tmp_path)
        original = s.path()
        for name, d in trees.items():
            out = s.cd(d)  # returns only once the shell ran the typed marker after the cd
            assert s.path() == original, (name, out)  # nothing pinned
            if name in NOT_REGULAR:
                assert "not a regular file" in out, (name, out)
                assert out.count("warning") == 1, (name, out)
            assert len(out) < 2000, (name, out[:300])
        s.cd(projects["other"])  # the shell still works as before
        assert s.which()[1] == str(fake_store.prefix("3.12"))


@pytest.mark.parametrize("sh", ["dash", "bash-as-sh"])
def test_shims_in_hostile_checkouts_run_the_next_python(
    sh: str, tmp_path: Path, fake_store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The POSIX shims (``#!/bin/sh``: dash on Debian) read the same files: each hostile tree
    gives the system's python (nothing pinned), promptly, with at most a warning."""
    from shimkit import shims
    from shimkit.settings import Settings

    if sh == "dash":
        sh_path = find_shell("dash")
    else:
        sh_path = str(tmp_path / "sh")
        os.symlink(find_shell("bash"), sh_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    report = shims.enable(
        Settings(install_dir=fake_store.root, bin_dir=tmp_path / "bin"), shims_dir=tmp_path / "shims", sh_path=sh_path
    )
    trees = hostile_trees(tmp_path / "clones")
    for name, d in trees.items():
        if name == "tty":
            continue  # no terminal here: the hook test above drives that one on a pty
        with limited_memory():
            proc = subprocess.run(
                [
                    "/usr/bin/env",
                    "-i",
                    f"PATH={report.shims_dir}:/usr/bin:/bin",
                    "python3",
                    "-c",
                    "import sys; print(sys.prefix)",
                ],
                cwd=d,
                capture_output=True,
                text=True,
                timeout=60,
            )
        assert proc.returncode == 0, (name, proc.stderr[-2000:])
        assert proc.stdout.strip() == "/usr", (name, proc.stdout, proc.stderr[-500:])
        assert len(proc.stderr) < 2000, (name, proc.stderr[:300])
