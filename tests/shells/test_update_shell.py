"""`shimkit update-shell`: the init line lands in the right file once, and each real shell started
the ordinary way (reading its startup files) then follows the pins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from shell_harness import DIALECTS, Dialect, FakeStore, Projects, Session, base_path, hook_env

from shimkit import shellrc as shell_mod

SHELLS = ["bash", "zsh", "fish", "dash", "ksh", "nu", "xonsh", "pwsh"]


def cli(*args: str, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shimkit", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def rc_env(home: Path, store: FakeStore, tmp_path: Path) -> Dict[str, str]:
    env = hook_env(home, store, base_path(tmp_path))
    env["ZDOTDIR"] = str(home / "zdot")
    return env


@pytest.mark.parametrize("shell", SHELLS)
def test_update_shell_adds_the_line_once(shell: str, tmp_path: Path, home: Path, fake_store: FakeStore) -> None:
    env = rc_env(home, fake_store, tmp_path)
    rc = shell_mod.rc_file(shell, home=home, environ=env)
    first = cli("update-shell", shell, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert str(rc) in first.stderr
    text = rc.read_text(encoding="utf-8")
    if shell == "nu":
        assert "def --env _shimkit_update" in text  # nushell's file holds the hook itself
    else:
        assert text.count("init") == 1 and shell_mod.MARK_INIT in text
    again = cli("update-shell", shell, env=env, cwd=tmp_path)
    assert again.returncode == 0 and "nothing changed" in again.stderr
    assert rc.read_text(encoding="utf-8") == text
    with_shims = cli("update-shell", shell, "--shims", env=env, cwd=tmp_path)
    assert with_shims.returncode == 0, with_shims.stderr
    text2 = rc.read_text(encoding="utf-8")
    assert text2.count(shell_mod.MARK_SHIMS) == 1
    assert cli("update-shell", shell, "--shims", env=env, cwd=tmp_path).returncode == 0
    assert rc.read_text(encoding="utf-8") == text2


def test_existing_files_are_appended_to_in_place(tmp_path: Path, home: Path, fake_store: FakeStore) -> None:
    env = rc_env(home, fake_store, tmp_path)
    real = tmp_path / "dotfiles" / "bashrc"
    real.parent.mkdir()
    real.write_text("alias ll='ls -l'", encoding="utf-8")  # no final newline
    (home / ".bashrc").symlink_to(real)
    assert cli("update-shell", "bash", env=env, cwd=tmp_path).returncode == 0
    assert (home / ".bashrc").is_symlink()  # a dotfile manager's link stays a link
    lines = real.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "alias ll='ls -l'" and "init bash" in lines[1]


def test_a_hand_written_init_line_counts(tmp_path: Path, home: Path, fake_store: FakeStore) -> None:
    env = rc_env(home, fake_store, tmp_path)
    (home / ".zdot").mkdir()
    zshrc = home / "zdot" / ".zshrc"
    zshrc.parent.mkdir(exist_ok=True)
    zshrc.write_text('eval "$(shimkit init zsh)"\n', encoding="utf-8")
    proc = cli("update-shell", "zsh", env=env, cwd=tmp_path)
    assert "nothing changed" in proc.stderr
    assert zshrc.read_text(encoding="utf-8") == 'eval "$(shimkit init zsh)"\n'


def test_update_shell_detects_the_shell(tmp_path: Path, home: Path, fake_store: FakeStore) -> None:
    env = rc_env(home, fake_store, tmp_path)
    proc = subprocess.run(
        ["zsh", "-fc", f"{sys.executable} -m shimkit update-shell; :"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (home / "zdot" / ".zshrc").is_file()


# How each shell starts "normally", reading the file update-shell wrote (no --norc, --no-config...).
STARTS = {
    "bash": ("-i",),
    "zsh": ("-i",),
    "fish": ("-i",),
    "dash": ("-l", "-i"),  # ~/.profile is read by login shells
    "ksh": ("-i",),  # ~/.kshrc is ksh93's default $ENV
    "nu": ("-i",),
    "xonsh": ("--shell-type=readline", "-i"),
}


@pytest.mark.parametrize("shell", list(STARTS))
def test_a_new_shell_follows_the_pins_after_update_shell(
    shell: str, tmp_path: Path, home: Path, fake_store: FakeStore, projects: Projects
) -> None:
    if shell == "ksh":
        # ksh93 itself skips its default $HOME/.kshrc when HOME holds quotes or "$" (it expands
        # the value again), so this one gets a HOME with only a space and a non-ASCII letter
        home = tmp_path / "home é"
        home.mkdir()
    env = rc_env(home, fake_store, tmp_path)
    assert cli("update-shell", shell, env=env, cwd=tmp_path).returncode == 0
    d = DIALECTS[shell]
    dialect = Dialect(**{**d.__dict__, "argv": STARTS[shell]})
    with Session(dialect, env, projects["app"], tmp_path) as s:
        assert s.which()[1] == str(fake_store.prefix("3.11"))
        s.cd(projects["patch"])
        assert s.which()[1] == str(fake_store.prefix("3.12.1"))


def test_rc_files(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "ZDOTDIR": str(tmp_path / "z")}
    assert shell_mod.rc_file("bash", home=tmp_path, environ=env) == tmp_path / ".bashrc"
    assert shell_mod.rc_file("zsh", home=tmp_path, environ=env) == tmp_path / "z" / ".zshrc"
    assert shell_mod.rc_file("dash", home=tmp_path, environ=env) == tmp_path / ".profile"
    assert shell_mod.rc_file("ksh", home=tmp_path, environ=env) == tmp_path / ".kshrc"
    assert shell_mod.rc_file("fish", home=tmp_path, environ=env) == tmp_path / "cfg/fish/conf.d/shimkit.fish"
    assert shell_mod.rc_file("nu", home=tmp_path, environ=env) == tmp_path / "cfg/nushell/autoload/shimkit.nu"
    assert shell_mod.rc_file("xonsh", home=tmp_path, environ=env) == tmp_path / ".xonshrc"
    assert os.fspath(shell_mod.rc_file("pwsh", home=tmp_path, environ=env)).endswith(
        "powershell/Microsoft.PowerShell_profile.ps1"
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "sh", "fish", "xonsh", "pwsh"])
def test_init_lines_name_shimkit_by_its_path_even_when_path_finds_it(
    shell: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # zsh and fish read their rc files before anything adds ~/.local/bin to PATH (only ~/.profile
    # does, for bash and sh): a bare `shimkit` there fails at every start
    bindir = tmp_path / "my bin"
    bindir.mkdir()
    exe = bindir / "shimkit"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    line = shell_mod.init_line(shell, [str(exe)])
    assert str(exe) in line and "(shimkit init" not in line and not line.startswith("shimkit ")
