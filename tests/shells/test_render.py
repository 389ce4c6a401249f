"""`shimkit init`: one template per shell, shell detection, quoting of the baked-in values,
shellcheck on the bash and POSIX hooks, syntax checks with each real shell, and static checks of
the PowerShell hook (PowerShell itself is not installable here: no Debian, PyPI or npm package)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from shell_harness import find_shell

from shimkit import shell as shell_mod
from shimkit.errors import UsageError
from shimkit.settings import Settings

NASTY_DIR = 'in\'st $(touch pwned) `id` "q" \\ é\t;x'
SHELLS = ["bash", "zsh", "fish", "sh", "dash", "ksh", "nu", "xonsh", "pwsh"]


def render(shell: str, tmp_path: Path) -> str:
    inputs = shell_mod.HookInputs(
        shell=shell,
        install_dir=str(tmp_path / NASTY_DIR),
        bin_dir=str(tmp_path / f"bin {NASTY_DIR}"),
        host="linux-x86_64-gnu",
        global_file=str(tmp_path / f"cfg {NASTY_DIR}" / ".python-version"),
        cmd=(sys.executable, "-P", "-m", "shimkit"),
    )
    return shell_mod.render(inputs)


def cli(*args: str, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shimkit", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(tmp_path: Path) -> Dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "SHIMKIT_PYTHON_INSTALL_DIR": str(tmp_path / "installs"),
        "SHIMKIT_BIN_DIR": str(tmp_path / "bin"),
    }


def test_shellcheck_passes_on_the_bash_and_posix_hooks(tmp_path: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not installed; CI installs it with: apt-get install shellcheck", pytrace=False)
    plain = shell_mod.HookInputs(
        "bash",
        "/home/u/.local/share/shimkit/python",
        "/home/u/.local/bin",
        "linux-x86_64-gnu",
        "/home/u/.config/shimkit/.python-version",
        ("/home/u/.local/bin/shimkit",),
    )
    for shell, dialect in (("bash", "bash"), ("sh", "sh"), ("dash", "sh"), ("ksh", "sh")):
        for text in (render(shell, tmp_path), shell_mod.render(plain.__class__(**{**plain.__dict__, "shell": shell}))):
            script = tmp_path / f"hook.{shell}"
            script.write_text(text, encoding="utf-8")
            proc = subprocess.run(["shellcheck", "-s", dialect, str(script)], capture_output=True, text=True)
            assert proc.returncode == 0, f"{shell}:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize(
    ("shell", "argv"),
    [("bash", ["-n"]), ("zsh", ["-n"]), ("dash", ["-n"]), ("ksh", ["-n"]), ("fish", ["--no-execute"])],
)
def test_every_shell_parses_its_hook(shell: str, argv: list[str], tmp_path: Path) -> None:
    script = tmp_path / f"hook.{shell}"
    script.write_text(render("sh" if shell == "dash" else shell, tmp_path), encoding="utf-8")
    proc = subprocess.run([find_shell(shell), *argv, str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_nushell_parses_its_hook(tmp_path: Path) -> None:
    script = tmp_path / "hook.nu"
    script.write_text(render("nu", tmp_path), encoding="utf-8")
    proc = subprocess.run(
        [find_shell("nu"), "--no-config-file", "-c", f"nu-check --debug {script.as_posix()!r}"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash", "ksh", "fish", "nu"])
def test_baked_values_survive_quoting_exactly(shell: str, tmp_path: Path) -> None:
    """Install dir, bin dir and global file with quotes, $( ), backticks, backslashes, tabs
    and non-ASCII come out of the hook byte for byte, and nothing in them runs."""
    script = tmp_path / "hook"
    script.write_text(render("sh" if shell in ("dash", "ksh") else shell, tmp_path), encoding="utf-8")
    if shell == "fish":
        prog = f"source {shell_mod.fish_quote(str(script))}; printf '%s' $_shimkit_install"
        argv = [find_shell("fish"), "--no-config", "-c", prog]
    elif shell == "nu":
        prog = f"source {shell_mod.nu_quote(str(script))}; print -n $_SHIMKIT.install"
        argv = [find_shell("nu"), "--no-config-file", "-c", prog]
    else:
        prog = f". {shell_mod.sh_quote(str(script))}; printf '%s' \"$_shimkit_install\""
        argv = [find_shell(shell), "-c", prog]
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == str(tmp_path / NASTY_DIR)
    assert not (tmp_path / "pwned").exists()


def test_the_powershell_hook_is_well_formed(tmp_path: Path) -> None:
    """Static checks only: PowerShell cannot be installed here.  Baked values are single-quoted
    with quotes doubled (no interpolation), brackets balance outside strings and comments, and
    every function the hook calls is defined."""
    text = render("pwsh", tmp_path)
    for value in (str(tmp_path / NASTY_DIR), "linux-x86_64-gnu"):
        assert shell_mod.ps_quote(value) in text
    assert "''st" in shell_mod.ps_quote(str(tmp_path / NASTY_DIR))
    depth = {"(": 0, "[": 0, "{": 0}
    pairs = {")": "(", "]": "[", "}": "{"}
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#" and (i == 0 or text[i - 1] in " \n"):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if c == "'":
            j = i + 1
            while j < n and not (text[j] == "'" and (j + 1 >= n or text[j + 1] != "'")):
                j += 2 if text[j] == "'" else 1
            i = j + 1
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "`" else 1
            i = j + 1
            continue
        if c in depth:
            depth[c] += 1
        elif c in pairs:
            depth[pairs[c]] -= 1
            assert depth[pairs[c]] >= 0, f"unbalanced {c!r} near {text[max(0, i - 80) : i]!r}"
        i += 1
    assert depth == {"(": 0, "[": 0, "{": 0}
    defined = set(re.findall(r"function global:(\w+)", text))
    called = set(re.findall(r"\b(__Shimkit\w+)\b", text)) - {"__ShimkitConf", "__ShimkitState", "__ShimkitPrompt"}
    assert called <= defined, called - defined


@pytest.mark.parametrize("shell", SHELLS)
def test_init_prints_the_hook_of_the_named_shell(shell: str, env: Dict[str, str], tmp_path: Path) -> None:
    proc = cli("init", shell, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"shimkit {__import__('shimkit').__version__} shell integration" in proc.stdout
    assert env["SHIMKIT_PYTHON_INSTALL_DIR"] in proc.stdout
    again = cli("init", shell, env=env, cwd=tmp_path)
    assert again.stdout == proc.stdout  # (served from the render cache the second time)
    moved = dict(env, SHIMKIT_PYTHON_INSTALL_DIR=str(tmp_path / "elsewhere"))
    assert str(tmp_path / "elsewhere") in cli("init", shell, env=moved, cwd=tmp_path).stdout


def test_unknown_shell_is_a_clear_error(env: Dict[str, str], tmp_path: Path) -> None:
    proc = cli("init", "tcsh", env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert "unsupported shell 'tcsh'" in proc.stderr
    for name in ("bash", "zsh", "fish", "sh", "ksh", "nu", "xonsh", "pwsh"):
        assert name in proc.stderr
    with pytest.raises(UsageError):
        shell_mod.canonical_shell("csh")


@pytest.mark.parametrize("parent", ["bash", "zsh", "fish", "dash"])
def test_init_without_a_shell_detects_the_parent_shell(parent: str, env: Dict[str, str], tmp_path: Path) -> None:
    command = f"{sys.executable} -m shimkit init; :"  # (`; :` keeps the shell from exec-ing it)
    proc = subprocess.run(
        [find_shell(parent), "-c", command], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    name = "POSIX shells" if parent == "dash" else parent
    assert f"shell integration for {name}" in proc.stdout.splitlines()[0]


def test_names_and_aliases() -> None:
    assert shell_mod.canonical_shell("/usr/bin/zsh") == "zsh"
    assert shell_mod.canonical_shell("-bash") == "bash"
    assert shell_mod.canonical_shell("pwsh.exe") == "pwsh"
    assert shell_mod.canonical_shell("powershell") == "pwsh"
    assert shell_mod.canonical_shell("nushell") == "nu"
    assert shell_mod.canonical_shell("posix") == "sh"
    assert shell_mod.canonical_shell("ksh93") == "ksh"


def test_hooks_and_templates_ship_in_the_wheel_layout() -> None:
    """The wheel maps shells/ and templates/ into the package (pyproject's force-include); the
    lookup finds them there or in a source checkout."""
    dirs = shell_mod.template_dirs()
    assert dirs and all((d / t).is_file() for d in dirs[:1] for t in set(shell_mod.TEMPLATES.values()))
    assert shell_mod.template_dirs("templates")
    assert os.path.isfile(shell_mod.template_dirs("templates")[0] / "shim.sh.j2")


def test_settings_are_what_gets_baked(tmp_path: Path) -> None:
    s = Settings(install_dir=tmp_path / "i", bin_dir=tmp_path / "b")
    inputs = shell_mod.hook_inputs("bash", s)
    assert inputs.install_dir == str(tmp_path / "i") and inputs.bin_dir == str(tmp_path / "b")


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash", "ksh"])
def test_the_hook_leaves_no_temporaries_behind(shell: str, tmp_path: Path) -> None:
    """Only the hook's own state (_shimkit_*, _SHIMKIT_*) remains in the user's shell."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / ".python-version").write_text("3.12\n", encoding="utf-8")
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / ".python-version").write_text(">=3.12\n", encoding="utf-8")
    script = tmp_path / "hook"
    script.write_text(render("sh" if shell in ("dash", "ksh") else shell, tmp_path), encoding="utf-8")
    q = shell_mod.sh_quote
    p, q2 = q(str(tmp_path / "p")), q(str(tmp_path / "q"))
    prog = f". {q(str(script))}; cd {p}; _shimkit_hook; cd {q2}; _shimkit_hook; set"
    argv = [find_shell(shell), "-fc" if shell == "zsh" else "-c", prog]
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120).stdout
    leaked = [line for line in out.splitlines() if line.startswith("_sk_")]
    assert leaked == []
