"""The hooks against hostile paths, strict shell options, repeated init and exit statuses, in
real interactive shells (see test_hooks.py for how they are driven).  Every path involved (HOME,
the install dir, the projects) holds spaces, quotes, ``$`` and non-ASCII characters."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from shell_harness import (
    DIALECTS,
    FakeStore,
    Projects,
    Session,
    base_path,
    bin_dir_for,
    hook_env,
    shimkit_cmd,
    system_python,
)

ALL_SHELLS = ["bash", "zsh", "fish", "dash", "ksh", "xonsh", "nu"]
CMD = " ".join(shlex.quote(w) for w in shimkit_cmd())


def session(shell: str, tmp_path: Path, home: Path, store: FakeStore, cwd: Path) -> Session:
    return Session(DIALECTS[shell], hook_env(home, store, base_path(tmp_path)), cwd, tmp_path)


@pytest.mark.parametrize("shell", ALL_SHELLS)
def test_init_twice_changes_nothing_and_leaving_restores_path(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    original = base_path(tmp_path).split(":")
    bin_dir = str(bin_dir_for(home))
    pinned = str(fake_store.bin("3.11"))
    with session(shell, tmp_path, home, fake_store, projects["app"]) as s:
        s.load(CMD, tmp_path)
        first = s.path()
        assert first == [pinned, bin_dir, *original]
        s.load(CMD, tmp_path)
        assert s.path() == first
        s.cd(projects["none"])
        assert s.path() == [bin_dir, *original]  # PATH as it was, plus the bin dir
        s.cd(projects["other"])
        assert s.path() == [str(fake_store.bin("3.12")), bin_dir, *original]
        s.load(CMD, tmp_path)
        assert s.path() == [str(fake_store.bin("3.12")), bin_dir, *original]


# xonsh is not in the list: its status ($LAST_RETURN_CODE, history[-1].rtn) reads 0 after `false`
# on a pty even without shimkit loaded, so there is nothing to compare; its hook is a Python event
# handler that never touches either.
@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "dash", "ksh", "nu"])
def test_the_hook_keeps_the_exit_status(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    with session(shell, tmp_path, home, fake_store, projects.root) as s:
        s.load(CMD, tmp_path)
        s.type(s.d.cd(str(projects["app"])))
        s.shell.send(s.d.false_cmd)  # the prompt after it runs the hook (the cd is seen there)
        assert s.ask(s.d.status_query) == "1"
        assert s.which()[1] == str(fake_store.prefix("3.11"))


def test_bash_prompt_commands_after_the_hook_see_the_exit_status(
    tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    with session("bash", tmp_path, home, fake_store, projects.root) as s:
        s.load(CMD, tmp_path)
        s.type('PROMPT_COMMAND="$PROMPT_COMMAND;__rc=\\$?"')
        s.type(s.d.cd(str(projects["app"])))
        s.shell.send("false")
        assert s.ask(r"""printf '\036%s\037\n' "$__rc" """) == "1"


@pytest.mark.parametrize(
    ("shell", "options"),
    [
        ("bash", "set -eu -o pipefail"),
        ("zsh", "setopt nounset ksh_arrays sh_word_split extended_glob glob_subst no_unset"),
        ("dash", "set -eu"),
        ("ksh", "set -eu"),
    ],
)
def test_strict_shell_options_do_not_break_the_hook(
    shell: str, options: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    with session(shell, tmp_path, home, fake_store, projects.root) as s:
        s.type(options)
        s.load(CMD, tmp_path)
        for name, want in [
            ("app", "3.11"),
            ("app/sub", "3.11"),
            ("ranged", "3.13"),
            ("member", "3.13"),
            ("patch", "3.12.1"),
        ]:
            s.cd(projects[name])
            assert s.which()[1] == str(fake_store.prefix(want)), name
        for name in ("missing", "hostile", "none"):
            s.cd(projects[name])
            assert s.which()[0] == system_python(base_path(tmp_path)), name
        # a failing && list under `set -e` does not exit an interactive shell; the hook must not either
        if shell != "zsh":
            s.type("false && true")
        s.type(s.d.run("shell 3.12"))
        assert s.which()[1] == str(fake_store.prefix("3.12"))
        assert s.shell.proc.poll() is None, "the shell exited"


def test_a_virtual_environment_stays_in_front(
    tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    venv = tmp_path / "a venv é"
    (venv / "bin").mkdir(parents=True)
    with session("bash", tmp_path, home, fake_store, projects.root) as s:
        s.load(CMD, tmp_path)
        s.type(f'VIRTUAL_ENV={shlex.quote(str(venv))}; export VIRTUAL_ENV; PATH="$VIRTUAL_ENV/bin:$PATH"')
        s.cd(projects["app"])
        path = s.path()
        assert path[:2] == [str(venv / "bin"), str(fake_store.bin("3.11"))]
        s.cd(projects["other"])
        assert s.path()[:2] == [str(venv / "bin"), str(fake_store.bin("3.12"))]
