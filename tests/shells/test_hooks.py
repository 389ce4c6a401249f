"""The hooks in real interactive shells: each shell evaluates the real `shimkit init` output on a
pseudo-terminal, cds through a tree of projects with different pins, and reports what
`command -v python` and `python -c 'import sys; print(sys.prefix)'` say at the next prompt.

Shells: bash, zsh, fish, dash and ksh (Debian packages), xonsh (PyPI), nushell (npm).  PowerShell
is not installable here (no package in these registries): its hook is only rendered and checked
statically in test_render.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import pytest
from shell_harness import (
    DIALECTS,
    FakeStore,
    Projects,
    Session,
    base_path,
    hook_env,
    shimkit_cmd,
    system_python,
    write,
)

ALL_SHELLS = ["bash", "zsh", "fish", "dash", "ksh", "xonsh", "nu"]
CMD = " ".join(__import__("shlex").quote(w) for w in shimkit_cmd())


def start(
    shell: str, tmp_path: Path, home: Path, store: FakeStore, cwd: Path, extra: Dict[str, str] | None = None
) -> tuple[Session, str]:
    path = base_path(tmp_path)
    s = Session(DIALECTS[shell], hook_env(home, store, path, extra), cwd, tmp_path)
    return s, path


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_python_follows_the_pin_of_each_project(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    store = fake_store
    session, path = start(shell, tmp_path, home, store, projects.root)
    with session as s:
        out = s.load(CMD, tmp_path)
        assert "error" not in out.lower(), out
        before = system_python(path)
        assert s.which()[0] == before  # nothing pinned in the projects' parent

        def at(name: str) -> tuple[str, str]:
            s.cd(projects[name])
            return s.which()

        def through(name: str) -> tuple[str, str]:
            return (str(store.bin(name) / "python"), str(store.prefix(name)))

        assert at("app") == through("3.11")  # minor pin: through the minor-version link
        assert at("app/sub") == through("3.11")  # subdirectories of a project
        assert at("other") == through("3.12")
        assert at("patch") == through("3.12.1")  # a patch pin names its own directory
        assert at("ranged") == through("3.13")  # >=3.13: one `shimkit hook-resolve`
        assert at("member") == through("3.13")  # workspace member: the root's pin
        assert at("req") == through("3.12")  # requires-python of the project
        assert at("none")[0] == before
        # leaving the projects restored PATH: the original entries, plus the bin dir once
        s.cd(projects.root)
        assert s.which()[0] == before


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_missing_pin_hints_once_and_hostile_pin_only_warns(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    session, path = start(shell, tmp_path, home, fake_store, projects.root)
    with session as s:
        s.load(CMD, tmp_path)
        out = s.cd(projects["missing"])
        assert out.count("shimkit install 3.10") == 1, out
        assert s.which()[0] == system_python(path)
        assert "shimkit install" not in s.sync()  # no hint at the next prompt
        assert "shimkit install" not in s.cd(projects["missing"])  # nor when nothing changed
        out = s.cd(projects["hostile"])
        assert "warning" in out and "invalid Python request" in out, out
        assert s.which()[0] == system_python(path)
        s.sync()
    for name in ("pwned", "pwned2", "pwned3"):
        for where in (projects["hostile"], projects.root, tmp_path, home):
            assert not (where / name).exists(), f"{where / name} was created"


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_shimkit_shell_overrides_for_the_session(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    session, _ = start(shell, tmp_path, home, fake_store, projects["app"])
    with session as s:
        s.load(CMD, tmp_path)
        assert s.which()[1] == str(fake_store.prefix("3.11"))
        s.type(s.d.run("shell 3.13"))
        assert s.which()[1] == str(fake_store.prefix("3.13"))
        s.cd(projects["other"])  # the override wins over every pin
        assert s.which()[1] == str(fake_store.prefix("3.13"))
        s.type(s.d.run("shell --unset"))
        assert s.which()[1] == str(fake_store.prefix("3.12"))


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "xonsh", "nu"])
def test_installing_the_missing_pin_is_picked_up_at_the_next_prompt(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """A hint for a missing pin, then the version appears (installed from another terminal):
    the next prompt uses it without a cd (the hook only checks that one directory)."""
    store = fake_store
    write(projects["missing"] / ".python-version", "3.12.1\n")
    own = store.root / f"cpython-3.12.1-{store.host}"
    # a store of our own where 3.12.1 is missing at first
    private = tmp_path / "private store"
    private.mkdir()
    moved = private / own.name
    session, _ = start(shell, tmp_path, home, FakeStore(private, store.host), projects["missing"])
    with session as s:
        out = s.load(CMD, tmp_path)
        assert "shimkit install 3.12.1" in out + s.sync()
        os.symlink(own, moved)  # "installed"
        s.sync()
        assert s.which()[0] == str(moved / "bin" / "python")
