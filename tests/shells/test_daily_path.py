"""The daily path of issue 16, typed into real interactive shells on a pseudo-terminal:
`deactivate` in another project, pyenv's interpreters, several versions in a pin, the lines pyenv
and mise accept, `shimkit shell` of a version that is not there, `shimkit venv`'s activate line,
and `shimkit doctor` telling what `python` really runs.

Each test fails on the code before the fix (named in its docstring)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from shell_harness import (
    DIALECTS,
    FakeStore,
    Projects,
    Session,
    base_path,
    fish_quote,
    hook_env,
    nu_quote,
    shimkit_cmd,
    write,
)

CMD = " ".join(shlex.quote(w) for w in shimkit_cmd())
ALL_SHELLS = ["bash", "zsh", "fish", "dash", "ksh", "xonsh", "nu"]
PROMPT_SHELLS = ["bash", "zsh", "fish"]  # shells with a prompt hook and a venv `deactivate`


def start(
    shell: str, tmp_path: Path, home: Path, store: FakeStore, cwd: Path, extra: Optional[Dict[str, str]] = None
) -> Session:
    s = Session(DIALECTS[shell], hook_env(home, store, base_path(tmp_path), extra), cwd, tmp_path)
    out = s.load(CMD, tmp_path)
    assert "error" not in out.lower(), out
    return s


def first_on(path: List[str], name: str) -> str:
    """What the shell runs for ``name``: the first executable ``name`` on its PATH."""
    for d in path:
        candidate = os.path.join(d, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return ""


def runs_from(path: List[str], name: str) -> str:
    """The interpreter ``name`` leads to: its link target when a link directory provides it."""
    exe = first_on(path, name)
    return os.readlink(exe) if exe and os.path.islink(exe) and "hook-bin" in exe else exe


def in_installation(exe: str, store: FakeStore, name: str) -> bool:
    """Whether ``exe`` is an interpreter of the fake installation ``name`` (``3.12``, ``3.12.1``)."""
    return exe.startswith(str(store.prefix(name)) + os.sep)


def activate_line(shell: str, venv: Path) -> str:
    if shell == "fish":
        return f"source {fish_quote(str(venv / 'bin' / 'activate.fish'))}"
    return f". {shlex.quote(str(venv / 'bin' / 'activate'))}"


# ---- defect 1: `deactivate` leaves the previous project's Python -------------------------------
@pytest.mark.parametrize("shell", PROMPT_SHELLS)
def test_deactivate_in_another_project_gives_that_projects_python(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: the hook looked again only when $PWD changed; `deactivate` restored the PATH saved at
    activation (3.12 first) and `python` stayed 3.12 in the 3.11 project."""
    store = fake_store
    venv = tmp_path / "venvs" / "other"  # (venv's activate scripts cannot take every directory name)
    subprocess.run(
        [str(store.bin("3.12") / "python"), "-m", "venv", "--without-pip", str(venv)],
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    with start(shell, tmp_path, home, store, projects.root) as s:
        s.cd(projects["other"])
        assert s.which()[0] == str(store.bin("3.12") / "python")
        s.type(activate_line(shell, venv))
        assert s.which()[1] == str(venv)
        s.cd(projects["app"])  # pinned to 3.11; the venv stays active and in front
        assert s.which()[1] == str(venv)
        s.type("deactivate")
        assert s.which() == (str(store.bin("3.11") / "python"), str(store.prefix("3.11")))


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_doctor_says_when_python_is_not_what_the_pin_resolves_to(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: doctor had no `python` check and said nothing about a wrong `python`."""
    store = fake_store
    report = tmp_path / "doctor.json"
    with start(shell, tmp_path, home, store, projects["app"]) as s:
        # the same line changes PATH and runs doctor: no prompt (and so no hook) in between
        s.type(
            f"PATH={shlex.quote(str(store.bin('3.12')))}:$PATH; shimkit doctor --output-format json "
            f"--shell {shell} > {shlex.quote(str(report))}"
        )
        findings = [f for f in json.loads(report.read_text()) if f["check"] == "python"]
        assert [f["status"] for f in findings] == ["warn"], findings
        assert str(store.bin("3.12")) in findings[0]["message"] and "3.11" in findings[0]["message"]
        s.type(f"shimkit doctor --output-format json --shell {shell} > {shlex.quote(str(report))}")
        findings = [f for f in json.loads(report.read_text()) if f["check"] == "python"]
        assert [f["status"] for f in findings] == ["ok"], findings  # the hook caught up at the prompt


# ---- defect 3: the hook ignored interpreters that `find` uses -----------------------------------
def fake_pyenv(root: Path) -> tuple[str, str]:
    """A pyenv root whose only version is a real interpreter this machine has and the fake store
    does not (3.9 or 3.10): (version, its bin dir)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from support import pbs

    for src in pbs.find_sources():
        if (src.major, src.minor) in ((3, 9), (3, 10)) and not src.freethreaded and not src.debug:
            version = src.version
            bin_dir = root / "versions" / version / "bin"
            bin_dir.mkdir(parents=True)
            for name in ("python", "python3", f"python{src.major}.{src.minor}"):
                os.symlink(src.executable, bin_dir / name)
            return version, str(bin_dir)
    pytest.fail("this machine has no Python 3.9 or 3.10 (pyenv builds of them are expected)", pytrace=False)


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_hook_and_find_agree_on_a_pyenv_interpreter(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: the hook said "not installed; run: shimkit install 3.10.13" (no such download) and
    left `python` alone, while `shimkit find` answered pyenv's interpreter."""
    version, bin_dir = fake_pyenv(tmp_path / "pyenv root")
    project = write(projects.root / "old" / ".python-version", f"{version}\n").parent
    env_extra = {"PYENV_ROOT": str(tmp_path / "pyenv root")}
    with start(shell, tmp_path, home, fake_store, projects.root, env_extra) as s:
        out = s.cd(project)
        assert "shimkit install" not in out, out
        assert first_on(s.path(), "python") == os.path.join(bin_dir, "python")
    env = hook_env(home, fake_store, base_path(tmp_path), env_extra)
    found = subprocess.run([*shimkit_cmd(), "find"], cwd=project, env=env, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert os.path.dirname(found.stdout.strip()) == bin_dir


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_no_install_hint_for_a_version_without_a_download(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: "run: shimkit install 3.7.1" although no download of 3.7.1 exists."""
    project = write(projects.root / "ancient" / ".python-version", "3.7.1\n").parent
    with start(shell, tmp_path, home, fake_store, projects.root) as s:
        out = s.cd(project)
        assert "no download of it exists" in out and "run: shimkit install" not in out, out


# ---- defects 4 and 5: several versions, and the lines pyenv and mise accept ---------------------
@pytest.mark.parametrize("text", ["3.12\n3.11\n", "3.12 3.11\n", "3.12 3.11 # for tox\n"])
@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_every_listed_version_is_on_path_the_first_as_python(
    shell: str, text: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: only the first line's request counted (and `3.12 3.11` was refused as one bad
    request): no python3.11 in the project."""
    store = fake_store
    project = write(projects.root / "multi" / ".python-version", text).parent
    # the links live in the cache dir; xonsh expands `$HOME` inside PATH entries, so the nasty
    # home directory (which holds that text) cannot hold them there
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    with start(shell, tmp_path, home, store, projects.root, cache) as s:
        s.cd(project)
        path = s.path()
        assert in_installation(runs_from(path, "python"), store, "3.12"), path
        assert in_installation(runs_from(path, "python3"), store, "3.12"), path
        assert in_installation(runs_from(path, "python3.12"), store, "3.12"), path
        assert in_installation(runs_from(path, "python3.11"), store, "3.11"), path
        s.cd(projects["app"])  # a single pin again: the installation's own bin dir
        assert s.which()[0] == str(store.bin("3.11") / "python")


@pytest.mark.parametrize(
    ("text", "version"),
    [("3.13 # the team's version\n", "3.13"), ("3.13 one\n", "3.13"), ("  # 3.11\n3.12.1   two words\n", "3.12.1")],
)
@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_lines_pyenv_and_mise_accept_pin_in_the_hook_and_in_find(
    shell: str, text: str, version: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: `3.13 # comment` and `3.13 one` were one (bad) request: a warning and no Python."""
    store = fake_store
    project = write(projects.root / "commented" / ".python-version", text).parent
    with start(shell, tmp_path, home, store, projects.root) as s:
        out = s.cd(project)
        assert "warning" not in out, out
        assert in_installation(runs_from(s.path(), "python"), store, version)
    env = hook_env(home, store, base_path(tmp_path))
    found = subprocess.run([*shimkit_cmd(), "find"], cwd=project, env=env, capture_output=True, text=True)
    assert found.returncode == 0 and in_installation(found.stdout.strip(), store, version), found


# ---- defect 6: `shimkit shell` of a version that is not installed -------------------------------
@pytest.mark.parametrize("shell", PROMPT_SHELLS)
def test_shell_refuses_a_version_that_is_not_installed(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: `shimkit shell 3.10` exited 0 and `python` became "command not found" in a project.
    (Needs the CLI to call shimkit.session.check_shell_request, and its --force flag.)"""
    store = fake_store
    d = DIALECTS[shell]
    with start(shell, tmp_path, home, store, projects["app"]) as s:
        s._ready()
        s.shell.send(f"{d.run('shell 3.10')}; {d.status_query}")
        status, out = s.shell.expect()
        assert status == "1", out
        assert "not installed" in out and "shimkit install 3.10" in out, out
        assert s.which()[0] == str(store.bin("3.11") / "python")  # the project's pin still applies
        s.type(d.run("shell 3.12"))  # an installed one is fine
        assert s.which()[0] == str(store.bin("3.12") / "python")
        s._ready()
        s.shell.send(f"{d.run('shell --force 3.10')}; {d.status_query}")  # said explicitly: set it anyway
        assert s.shell.expect()[0] == "0"
        value = (
            r"""printf '\036%s\037\n' "$SHIMKIT_PYTHON" """
            if shell == "fish"
            else (r"""printf '\036%s\037\n' "${SHIMKIT_PYTHON-}" """)
        )
        assert s.ask(value) == "3.10"


# ---- defect 7: `shimkit venv` names the activate script of the user's shell ---------------------
@pytest.mark.parametrize("shell", PROMPT_SHELLS)
def test_venv_names_the_activate_script_of_the_shell_and_it_works(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    """Before: `Activate with: source .venv/bin/activate`, which fails in fish.
    (Needs the CLI to print shimkit.venv.activate_hint(path).)"""
    with start(shell, tmp_path, home, fake_store, projects["app"]) as s:
        out = s.type(DIALECTS[shell].run("venv"))
        lines = [ln for ln in out.splitlines() if ln.startswith("Activate with: ")]
        assert len(lines) == 1, out
        command = lines[0][len("Activate with: ") :]
        if shell == "fish":
            assert command.endswith("activate.fish"), command
        s.type(command)
        assert s.which()[1] == str(projects["app"] / ".venv")


def test_activate_commands_for_every_shell(tmp_path: Path) -> None:
    from shimkit.venv import activate_command

    venv = Path(".venv")
    assert activate_command(venv, "bash") == "source .venv/bin/activate"
    assert activate_command(venv, "zsh") == "source .venv/bin/activate"
    assert activate_command(venv, "dash") == ". .venv/bin/activate"
    assert activate_command(venv, "fish") == "source .venv/bin/activate.fish"
    assert activate_command(venv, "tcsh") == "source .venv/bin/activate.csh"
    assert activate_command(venv, "pwsh") == "& .venv/bin/Activate.ps1"
    assert activate_command(Path("my env"), "fish") == "source 'my env/bin/activate.fish'"
    assert "prepend" in activate_command(tmp_path / "v", "nu")  # the stdlib venv writes no activate.nu
    (tmp_path / "v" / "bin").mkdir(parents=True)
    (tmp_path / "v" / "bin" / "activate.nu").write_text("")
    script = tmp_path / "v" / "bin" / "activate.nu"
    assert activate_command(tmp_path / "v", "nu") == f"overlay use {nu_quote(str(script))}"


def test_the_shell_named_by_the_parent_process_is_used(tmp_path: Path) -> None:
    """`user_shell` asks shellingham about the parent processes: run it under fish."""
    from shell_harness import find_shell

    prog = f"{shlex.quote(sys.executable)} -c 'from shimkit.venv import user_shell; print(user_shell())'"
    out = subprocess.run(
        [find_shell("fish"), "--no-config", "-c", prog],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/bash"},
    )
    assert out.stdout.strip() == "fish", out
