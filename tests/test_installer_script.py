"""install.sh and install.ps1.

* install.sh: shellcheck; its options and error paths under dash, bash, zsh and busybox sh with a
  minimal PATH; and the newcomer's journey end to end: on a fresh HOME, `install.sh --from
  <checkout>` under dash, new login shells of each kind (bash, zsh, fish) that install 3.12 from
  the loopback mirror, run `python3.12`, `python` in a pinned project and `shimkit doctor`; an
  in-place upgrade; then `install.sh --uninstall` leaves HOME as it was.
* install.ps1: there is no PowerShell here (Debian has no package for it), so it is checked
  statically only; see the section at the end for what that covers and what it cannot.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSTALL_SH = ROOT / "install.sh"
INSTALL_PS1 = ROOT / "install.ps1"
HOST = "linux-x86_64-gnu"

# shell name -> (argv prefix to run a script, Debian package)
SHELLS = {
    "dash": (["dash"], "dash"),
    "bash": (["bash"], "bash"),
    "zsh": (["zsh"], "zsh"),
    "busybox": (["busybox", "sh"], "busybox"),
}
# everything install.sh may call besides the shell (its header says so)
TOOLS = ["uname", "mkdir", "rm", "rmdir", "ln", "mv", "ls", "readlink", "cat", "grep", "tail"]


def need(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is missing: apt-get install {package} (scripts/test.sh installs it)", pytrace=False)
    return path


def tools_dir(tmp_path: Path, shell: str) -> Path:
    """A PATH directory with only the tools install.sh may use (busybox applets for busybox)."""
    d = tmp_path / f"tools-{shell}"
    d.mkdir()
    busybox = need("busybox", "busybox") if shell == "busybox" else None
    for tool in TOOLS:
        target = busybox or shutil.which(tool)
        assert target is not None, tool
        (d / tool).symlink_to(target)
    return d


def run_sh(
    shell: str, args: List[str], env: Dict[str, str], cwd: Optional[Path] = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    prefix, package = SHELLS[shell]
    argv = [need(prefix[0], package), *prefix[1:], str(INSTALL_SH), *args]
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def base_env(home: Path, path: str) -> Dict[str, str]:
    return {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8", "TERM": "dumb", "SHELL": "/bin/sh"}


# ---- static --------------------------------------------------------------------------------------
def test_install_sh_is_shellcheck_clean_posix_sh() -> None:
    shellcheck = need("shellcheck", "shellcheck")
    proc = subprocess.run([shellcheck, "-s", "sh", "-S", "style", str(INSTALL_SH)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_install_sh_parses_in_every_shell(shell: str) -> None:
    prefix, package = SHELLS[shell]
    proc = subprocess.run(
        [need(prefix[0], package), *prefix[1:], "-n", str(INSTALL_SH)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


# ---- options and errors, under each shell with a minimal PATH -------------------------------------
@pytest.fixture(params=sorted(SHELLS))
def sh(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, Path]:
    """(shell, HOME, tools dir) — a fresh HOME and a PATH of the allowed tools only."""
    home = tmp_path / "home"
    home.mkdir()
    return request.param, home, tools_dir(tmp_path, request.param)


def test_help_lists_every_option(sh: tuple[str, Path, Path]) -> None:
    shell, home, tools = sh
    proc = run_sh(shell, ["--help"], base_env(home, str(tools)))
    assert proc.returncode == 0, proc.stderr
    for option in (
        "--from PATH",
        "--version X",
        "--python PATH",
        "--no-modify-path",
        "--uninstall",
        "--quiet",
        "--help",
        "SHIMKIT_INSTALL_DIR",
        "SHIMKIT_BIN_DIR",
        "NO_COLOR",
    ):
        assert option in proc.stdout
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bogus"], "unknown option: --bogus"),
        (["--from"], "--from needs a value"),
        (["--from", ".", "--version", "1.0"], "--from and --version exclude each other"),
        (["--version=1.0;rm"], "--version takes a version number"),
    ],
)
def test_usage_errors_exit_2_and_touch_nothing(sh: tuple[str, Path, Path], args: List[str], message: str) -> None:
    shell, home, tools = sh
    proc = run_sh(shell, args, base_env(home, str(tools)))
    assert proc.returncode == 2
    assert f"error: {message}" in proc.stderr
    assert list(home.iterdir()) == []


def fake_python(directory: Path, name: str, version: str, status: int) -> None:
    """An executable that answers install.sh's check like a Python that fails it would."""
    p = directory / name
    p.write_text(f"#!/bin/sh\necho {version}\nexit {status}\n")
    p.chmod(0o755)


def test_no_suitable_python_says_what_was_tried_and_why(sh: tuple[str, Path, Path], tmp_path: Path) -> None:
    shell, home, tools = sh
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    fake_python(fakes, "python3", "3.8.10", 10)
    fake_python(fakes, "python3.11", "3.11.2", 11)
    # a real interpreter, but one shimkit manages (here: its base lies in the managed install dir)
    (fakes / "python3.12").symlink_to(sys.executable)
    env = base_env(home, f"{tools}:{fakes}")
    env["SHIMKIT_PYTHON_INSTALL_DIR"] = os.path.dirname(os.path.realpath(sys.base_prefix))
    proc = run_sh(shell, [], env)
    assert proc.returncode == 1
    assert "error: no Python >= 3.9 that can create virtual environments was found" in proc.stderr
    assert f"{fakes}/python3 (3.8.10: too old)" in proc.stderr
    assert f"{fakes}/python3.11 (3.11.2: no venv/ensurepip module)" in proc.stderr
    v = sys.version_info
    assert f"{fakes}/python3.12 ({v.major}.{v.minor}.{v.micro}: managed by shimkit" in proc.stderr
    assert "hint: install one (Debian/Ubuntu: sudo apt install python3 python3-venv" in proc.stderr
    assert not (home / ".local" / "bin" / "shimkit").exists()


def test_no_write_access_names_the_directory(sh: tuple[str, Path, Path], tmp_path: Path) -> None:
    shell, home, tools = sh
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = base_env(home, str(tools))
    env["SHIMKIT_INSTALL_DIR"] = str(blocker / "env")
    proc = run_sh(shell, ["--python", sys.executable], env)
    assert proc.returncode == 1
    # one line, problem and hint (docs/installing-shimkit.md says so)
    assert proc.stderr == (
        f"error: cannot create {blocker}/env (no write access?); "
        "hint: choose another location with SHIMKIT_INSTALL_DIR\n"
    )


def test_what_fails_without_a_download_fails_before_anything_is_created(
    sh: tuple[str, Path, Path], tmp_path: Path
) -> None:
    """A wrong --from or an unusable bin dir is reported before the ~25 MB environment is made."""
    shell, home, tools = sh
    (tmp_path / "no-project").mkdir()
    (tmp_path / "notes.txt").write_text("")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    from_hint = "; hint: point --from at a shimkit checkout or a wheel file\n"
    cases = [
        (
            [],
            {"SHIMKIT_BIN_DIR": str(blocker / "bin")},
            f"error: cannot create {blocker}/bin (no write access?); "
            "hint: choose another location with SHIMKIT_BIN_DIR\n",
        ),
        (["--from", str(tmp_path / "nope")], {}, f"error: {tmp_path}/nope does not exist" + from_hint),
        (
            ["--from", str(tmp_path / "no-project")],
            {},
            f"error: {tmp_path}/no-project is a directory without pyproject.toml" + from_hint,
        ),
        (
            ["--from", str(tmp_path / "notes.txt")],
            {},
            f"error: {tmp_path}/notes.txt is not a wheel (.whl) or an sdist (.tar.gz, .zip)" + from_hint,
        ),
    ]
    for args, extra, expected in cases:
        env = {**base_env(home, str(tools)), **extra}
        proc = run_sh(shell, [*args, "--python", sys.executable], env)
        assert (proc.returncode, proc.stderr) == (1, expected), args
        assert list(home.iterdir()) == [], args


def test_a_foreign_directory_is_never_taken_over(sh: tuple[str, Path, Path], tmp_path: Path) -> None:
    shell, home, tools = sh
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    env = base_env(home, str(tools))
    env["SHIMKIT_INSTALL_DIR"] = str(foreign)
    proc = run_sh(shell, [], env)
    assert proc.returncode == 1
    assert f"error: {foreign} exists and was not created by this installer" in proc.stderr
    assert (foreign / "precious.txt").read_text() == "keep me"
    proc = run_sh(shell, ["--uninstall"], env)
    assert proc.returncode == 0
    assert "nothing to remove" in proc.stderr
    assert (foreign / "precious.txt").read_text() == "keep me"


def test_quiet_and_no_color(sh: tuple[str, Path, Path]) -> None:
    shell, home, tools = sh
    env = base_env(home, str(tools))
    assert "nothing to remove" in run_sh(shell, ["--uninstall"], env).stderr
    quiet = run_sh(shell, ["--uninstall", "--quiet"], env)
    assert quiet.returncode == 0 and quiet.stderr == ""
    # colors only on a terminal, and never with NO_COLOR; `script` gives the installer a terminal
    script = need("script", "bsdutils")
    env["TERM"] = "xterm"
    prefix, package = SHELLS[shell]
    cmd = " ".join([need(prefix[0], package), *prefix[1:], str(INSTALL_SH), "--bogus"])
    on_tty = subprocess.run([script, "-qec", cmd, "/dev/null"], env=env, capture_output=True, text=True)
    assert "\x1b[1;31merror\x1b[0m: unknown option" in on_tty.stdout
    no_color = subprocess.run(
        [script, "-qec", cmd, "/dev/null"], env={**env, "NO_COLOR": "1"}, capture_output=True, text=True
    )
    assert "error: unknown option" in no_color.stdout and "\x1b[" not in no_color.stdout


# ---- completion scripts (`shimkit --install-completion`, docs/shells.md) ---------------------------
COMPLETION_FILES = {
    "bash": ".bash_completions/shimkit.sh",
    "zsh": ".zfunc/_shimkit",
    "fish": ".config/fish/completions/shimkit.fish",
}


def install_completions(home: Path) -> None:
    """What docs/shells.md tells users to do, in each shell: `shimkit --install-completion` (typer
    detects the shell it runs in, and writes the script and the lines that load it)."""
    shimkit = Path(sys.executable).parent / "shimkit"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"}
    for shell in COMPLETION_FILES:
        proc = subprocess.run(
            [need(shell, shell), "-c", f"'{shimkit}' --install-completion; true"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert f"{shell} completion installed" in proc.stdout, proc.stdout + proc.stderr
        assert "_SHIMKIT_COMPLETE=" in (home / COMPLETION_FILES[shell]).read_text()


def fake_installation(home: Path) -> None:
    """The manifest install.sh leaves (its shimkit no longer runs): what --uninstall reads."""
    manifest = home / ".local/share/shimkit/env/shimkit-installer.txt"
    manifest.parent.mkdir(parents=True)
    created = [
        ".local/share/shimkit",
        ".bash_completions",
        ".bash_completions/shimkit.sh",
        ".zfunc",
        ".zfunc/_shimkit",
        ".config/fish/completions",
        ".config/fish/completions/shimkit.fish",
    ]
    manifest.write_text("# written by shimkit's install.sh\n" + "".join(f"created {home / c}\n" for c in created))


def bash_completes_shimkit(home: Path) -> subprocess.CompletedProcess[str]:
    """`complete -p shimkit` in a new interactive bash: what Tab after `shimkit ` would run."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb", "HISTFILE": "/dev/null"}
    return subprocess.run(
        [need("bash", "bash"), "-i", "-c", "complete -p shimkit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_uninstall_removes_the_completion_scripts_and_their_lines(sh: tuple[str, Path, Path]) -> None:
    shell, home, tools = sh
    (home / ".bashrc").write_text("alias ll='ls -l'\n")
    (home / ".zshrc").write_text("setopt autocd\n")
    install_completions(home)
    fake_installation(home)
    assert bash_completes_shimkit(home).returncode == 0  # Tab would run `shimkit`
    proc = run_sh(shell, ["--uninstall"], base_env(home, str(tools)))
    assert proc.returncode == 0, proc.stderr
    assert (home / ".bashrc").read_text() == "alias ll='ls -l'\n"
    assert (home / ".zshrc").read_text() == "setopt autocd\n"
    for rel in COMPLETION_FILES.values():
        assert not (home / rel).exists(), rel
        assert f"Removed {home / rel}" in proc.stderr
    assert not (home / ".bash_completions").exists() and not (home / ".zfunc").exists()
    assert not (home / ".config/fish/completions").exists()
    # so Tab in a new bash calls nothing (no `env: 'shimkit': No such file or directory`)
    tab = bash_completes_shimkit(home)
    assert tab.returncode != 0 and "no completion specification" in tab.stderr, tab.stderr
    assert "No such file" not in tab.stderr


def test_uninstall_leaves_completion_files_and_lines_that_are_not_shimkits(sh: tuple[str, Path, Path]) -> None:
    shell, home, tools = sh
    install_completions(home)
    fake_installation(home)
    own = {
        ".bash_completions/shimkit.sh": "complete -W 'install list' shimkit  # my own\n",
        ".config/fish/completions/shimkit.fish": "complete -c shimkit -a 'install list'\n",
        ".zfunc/_other": "#compdef other\n",
    }
    for rel, text in own.items():
        (home / rel).write_text(text)
    bashrc, zshrc = (home / ".bashrc").read_text(), (home / ".zshrc").read_text()
    proc = run_sh(shell, ["--uninstall"], base_env(home, str(tools)))
    assert proc.returncode == 0, proc.stderr
    for rel, text in own.items():
        assert (home / rel).read_text() == text
    assert not (home / ".zfunc/_shimkit").exists()  # shimkit's own script goes
    assert (home / ".bashrc").read_text() == bashrc  # its line loads the user's script
    assert (home / ".zshrc").read_text() == zshrc  # the fpath line also loads ~/.zfunc/_other


@pytest.mark.slow
def test_no_network_is_a_clear_error(tmp_path: Path) -> None:
    """pip cannot reach the index (a closed port on 127.0.0.1 stands in for no network)."""
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(home, f"{tools_dir(tmp_path, 'dash')}:{os.path.dirname(sys.executable)}")
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,  # no find-links or extra indexes from the machine's pip.conf
            "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
            "PIP_RETRIES": "1",  # pip reports connection failures as it retries (it retries 5 times by default)
            "PIP_TIMEOUT": "5",
            "PIP_NO_CACHE_DIR": "1",
        }
    )
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env["TMPDIR"] = str(tmp)
    proc = run_sh("dash", ["--version", "0.1.0", "--python", sys.executable, "--no-modify-path"], env)
    assert proc.returncode == 1, proc.stderr
    assert "error: cannot reach the package index to download shimkit or its dependencies (no network?)" in proc.stderr
    # the new environment is removed again; pip's log is kept in TMPDIR
    (log,) = tmp.glob("shimkit-install.*.log")
    assert f"full log: {log}\n" in proc.stderr
    assert list(home.iterdir()) == []


def bogus_checkout(tmp_path: Path) -> Path:
    """A directory that passes install.sh's --from check but that pip cannot install (quickly, offline)."""
    d = tmp_path / "bogus"
    d.mkdir()
    (d / "pyproject.toml").write_text("this is not [ toml\n")
    return d


@pytest.mark.slow
def test_a_failed_first_installation_removes_its_environment(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    bogus = bogus_checkout(tmp_path)
    env = {**base_env(home, str(tools_dir(tmp_path, "dash"))), "TMPDIR": str(tmp), "PIP_NO_INDEX": "1"}
    proc = run_sh("dash", ["--from", str(bogus), "--python", sys.executable], env)
    assert proc.returncode == 1, proc.stderr
    assert f"Creating an environment for shimkit in {home}/.local/share/shimkit/env" in proc.stderr
    (log,) = tmp.glob("shimkit-install.*.log")
    assert "TOMLDecodeError" in log.read_text()
    assert proc.stderr.splitlines()[-1] == f"error: pip could not install shimkit from {bogus}; hint: full log: {log}"
    assert list(home.iterdir()) == []  # the environment and the directories made for it are gone


@pytest.mark.slow
def test_shell_lines_name_the_link_even_when_path_finds_it(tmp_path: Path) -> None:
    """The lines must work in shells whose PATH lacks the bin dir (Debian's ~/.profile adds ~/.local/bin
    for bash and sh only); a space in HOME checks each shell's quoting.  And a failed upgrade keeps the
    environment."""
    home = tmp_path / "my home"
    home.mkdir()
    link = home / ".local" / "bin" / "shimkit"
    env = base_env(home, f"{link.parent}:/usr/bin:/bin")  # the installer's PATH finds the new shimkit
    env["SHELL"] = "/bin/bash"
    proc = run_sh("dash", ["--from", str(ROOT)], env)
    assert proc.returncode == 0, proc.stderr
    q = f"'{link}'"
    assert (home / ".bashrc").read_text() == f'eval "$({q} init bash)"  # shimkit: shell integration\n'
    assert (home / ".zshrc").read_text() == f'eval "$({q} init zsh)"  # shimkit: shell integration\n'
    assert (
        home / ".config/fish/conf.d/shimkit.fish"
    ).read_text() == f"{q} init fish | source  # shimkit: shell integration\n"
    # no ~/.profile, ~/.bash_profile or ~/.bash_login: bash login shells would not read ~/.bashrc
    assert "bash login shells (ssh, macOS Terminal) read ~/.profile, not ~/.bashrc" in proc.stderr

    shell_env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb", "HISTFILE": "/dev/null"}
    for shell in ("bash", "zsh", "fish"):
        if shell == "bash":  # not a login shell: without ~/.profile, that would not read ~/.bashrc (above)
            started = subprocess.run(
                [need("bash", "bash"), "-i"],
                input='echo "@@path $PATH"\n',
                env=shell_env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=600,
            )
        else:
            started = login_shell(shell, 'echo "@@path $PATH"\n', shell_env, cwd=tmp_path)
        assert "not found" not in started.stderr, f"{shell}: {started.stderr}"
        assert str(link.parent) in marked(started.stdout).get("path", ""), f"{shell}: {started.stdout}"

    # a failed upgrade leaves the working installation alone
    proc = run_sh("dash", ["--from", str(bogus_checkout(tmp_path))], {**env, "PIP_NO_INDEX": "1"})
    assert proc.returncode == 1
    log = home / ".local" / "share" / "shimkit" / "env" / "install.log"
    assert proc.stderr.splitlines()[-1].endswith(f"; hint: full log: {log}")
    version = subprocess.run([str(link), "--version"], capture_output=True, text=True, env=shell_env)
    assert version.returncode == 0 and version.stdout.startswith("shimkit "), version.stderr


# ---- what the installer and the first commands say -------------------------------------------------
@pytest.mark.slow
def test_first_run_messages_say_each_thing_once_and_only_what_is_true(tmp_path: Path, mirror) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(home, "/usr/bin:/bin")  # the bin dir is not on PATH: as after `curl … | sh`
    env["SHELL"] = "/bin/bash"
    proc = run_sh("dash", ["--from", str(ROOT)], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.lower().count("open a new shell") == 1, proc.stderr
    assert proc.stderr.count("shimkit install 3.12") == 1
    for rc in (home / ".bashrc", home / ".zshrc", home / ".config/fish/conf.d/shimkit.fish"):
        assert f"Added to {rc}:" in proc.stderr  # still says what it changed, once each
        assert proc.stderr.count(str(rc)) == 1
    assert (
        proc.stderr.splitlines()[-1]
        == "Open a new shell (or source your shell's startup file) to use shimkit, then:  shimkit install 3.12"
    )

    # a Python installed; re-running the installer (an upgrade) has nothing new to ask for
    link = home / ".local" / "bin" / "shimkit"
    subprocess.run(
        [str(link), "install", "3.12", "--no-bin"],
        check=True,
        capture_output=True,
        timeout=600,
        env={**env, "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": mirror.downloads_json_url, "SHIMKIT_NO_COMPILE": "1"},
    )
    proc = run_sh("dash", ["--from", str(ROOT)], env)
    assert proc.returncode == 0, proc.stderr
    assert "Upgrading shimkit" in proc.stderr
    assert "shimkit install 3.12" not in proc.stderr
    assert "new shell" not in proc.stderr.lower()
    assert "Added to" not in proc.stderr  # the startup files already load shimkit

    # uninstalling: a venv on the removed 3.12 breaks; the hint must not need shimkit, which goes too
    venv = tmp_path / "project venv"
    made = subprocess.run(
        [str(link), "venv", "-p", "3.12", str(venv)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**env, "SHIMKIT_OFFLINE": "1"},
    )
    assert made.returncode == 0, made.stderr
    proc = run_sh("dash", ["--uninstall"], env)
    assert proc.returncode == 0, proc.stderr
    assert f"virtual environment {venv} uses cpython-3.12-{HOST} and will stop working" in proc.stderr
    assert f"recreate it afterwards with `python3.12 -m venv --clear '{venv}'`" in proc.stderr
    assert "shimkit venv" not in proc.stderr


def test_bin_dir_advice_says_open_a_new_shell_once_update_shell_ran(tmp_path: Path) -> None:
    """The bin dir is not on PATH in the shell that ran the installer: if its startup file already
    loads shimkit (whose hook adds the bin dir), "run `shimkit update-shell`" would change nothing."""
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = home / ".local" / "bin"
    code = f"from shimkit.links import bin_dir_advice; print(bin_dir_advice({str(bin_dir)!r}))"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "SHELL": "/bin/bash"}

    def advice() -> str:  # asked from inside bash, as a command typed there would be
        proc = subprocess.run(
            [need("bash", "bash"), "-c", f"'{sys.executable}' -c \"{code}\"; true"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return proc.stdout.strip()

    assert advice() == f"{bin_dir} is not on PATH; run `shimkit update-shell` to add it"
    proc = subprocess.run(
        [sys.executable, "-m", "shimkit", "update-shell", "bash"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert advice() == f"{bin_dir} is not on PATH in this shell yet; open a new shell ({home / '.bashrc'} sets it up)"
    on_path = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PATH": f"{bin_dir}:/usr/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert on_path.stdout.strip() == "None"  # nothing to advise


# ---- the newcomer's journey ------------------------------------------------------------------------
def snapshot(home: Path) -> Dict[str, str]:
    """relative path -> what it is (dir, link target, or content digest)."""
    out: Dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(home))
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(p)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = "dir"
            else:
                out[rel] = "file:" + hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# What the shells themselves write into HOME (fish's universal variables and data dir); not ours.
SHELL_OWNED = re.compile(
    r"^(\.local/share/fish(/.*)?|\.config/fish/fish_variables|\.local/share|\.local|"
    r"\.config/fish|\.config|\.bash_history|\.zsh_history)$"
)


def login_shell(shell: str, script: str, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A new interactive login shell reading SCRIPT as typed input (prompt hooks run between lines)."""
    if shell == "fish":
        # fish needs a terminal for -i; its hook reacts to PWD changes, so -c behaves the same
        argv = [need("fish", "fish"), "-l", "-c", script]
        return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    argv = [need(shell, shell), "-l", "-i"]
    return subprocess.run(argv, input=script, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def marked(output: str) -> Dict[str, str]:
    """`@@name value` lines -> {name: value}."""
    found = {}
    for line in output.splitlines():
        m = re.search(r"@@(\S+) ?(.*)$", line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


@pytest.mark.slow
def test_newcomer_journey_install_shells_upgrade_uninstall(tmp_path: Path, mirror, pbs_archives: dict) -> None:
    v312 = next(v for v in pbs_archives if v.startswith("3.12."))
    home = tmp_path / "home"
    home.mkdir()
    if Path("/etc/skel/.profile").is_file():  # a new account's HOME, as useradd makes it
        shutil.copytree("/etc/skel", home, dirs_exist_ok=True, symlinks=True)
    else:  # what Debian's skeleton does for bash login shells: read ~/.bashrc
        (home / ".profile").write_text('if [ -n "$BASH_VERSION" ]; then . "$HOME/.bashrc"; fi\n')
    before = snapshot(home)
    work = tmp_path / "work"  # the user's project lives outside HOME, so HOME can be compared
    (work / "project").mkdir(parents=True)
    (work / "project" / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')

    # 1. install.sh under dash with a minimal PATH; bash is the login shell
    env = base_env(home, "/usr/bin:/bin")
    env["SHELL"] = "/bin/bash"
    proc = run_sh("dash", ["--from", str(ROOT)], env, cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    link = home / ".local" / "bin" / "shimkit"
    env_dir = home / ".local" / "share" / "shimkit" / "env"
    assert os.readlink(link) == str(env_dir / "bin" / "shimkit")
    # the launcher starts shimkit without pip's `import re` (7 ms at every start)
    launcher = (env_dir / "bin" / "shimkit").read_text()
    assert launcher.startswith(f"#!{env_dir}/bin/python\n") and "import re" not in launcher
    assert f"shimkit 0.1.0 is installed: {link}" in proc.stderr
    assert "bash login shells" not in proc.stderr  # ~/.profile exists (and reads ~/.bashrc)
    rc = {"bash": home / ".bashrc", "zsh": home / ".zshrc", "fish": home / ".config/fish/conf.d/shimkit.fish"}
    for name, path in rc.items():
        assert "# shimkit: shell integration" in path.read_text(), name
        assert str(path) in proc.stderr  # the installer reports every file it changed

    # 2. new login shells of each kind
    shell_env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "HISTFILE": "/dev/null",
        "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": mirror.downloads_json_url,
    }
    project = work / "project"
    posix_script = (
        "{install}"
        'echo "@@py312 $(python3.12 --version 2>&1)"\n'
        f"cd {project}\n"
        "{pin}"
        'echo "@@python $(python --version 2>&1)"\n'
        'echo "@@which $(command -v python)"\n'
        'shimkit doctor >doctor-$SHIMKIT_TEST_SHELL.txt 2>&1; echo "@@doctor $?"\n'
        "cd /\n"
        'echo "@@outside $(command -v python || echo none)"\n'
    )
    for shell in ("bash", "zsh", "fish"):
        first = shell == "bash"
        if shell == "fish":
            script = (
                ("shimkit install 3.12; echo @@install $status; " if first else "")
                + 'echo "@@py312 "(python3.12 --version 2>&1); '
                + f"cd {project}; "
                + 'echo "@@python "(python --version 2>&1); '
                + 'echo "@@which "(command -v python); '
                + 'shimkit doctor >doctor-fish.txt 2>&1; echo "@@doctor $status"; '
                + 'cd /; echo "@@outside "(command -v python; or echo none)'
            )
        else:
            script = posix_script.format(
                install='shimkit install 3.12; echo "@@install $?"\n' if first else "",
                pin='shimkit pin 3.12; echo "@@pin $?"\n' if first else "",
            )
        proc = login_shell(shell, script, {**shell_env, "SHIMKIT_TEST_SHELL": shell}, cwd=home)
        got = marked(proc.stdout)
        detail = f"{shell}:\n{proc.stdout}\n{proc.stderr}"
        if first:
            assert got.get("install") == "0", detail
            assert got.get("pin") == "0", detail
        assert got.get("py312") == f"Python {v312}", detail
        assert got.get("python") == f"Python {v312}", detail
        assert got.get("which") == str(home / ".local/share/shimkit/python" / f"cpython-3.12-{HOST}/bin/python"), detail
        doctor_out = (project / f"doctor-{shell}.txt").read_text()
        assert got.get("doctor") == "0", detail + doctor_out
        assert "ok     the shell hook is active: python here is 3.12" in doctor_out
        assert "No problems found" in doctor_out
        assert got.get("outside") == "none", detail  # leaving the project restores PATH

    # 3. re-running upgrades in place: a newer release from a local index (deps are already there)
    newer = tmp_path / "newer"
    shutil.copytree(
        ROOT,
        newer,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".*_cache", ".hypothesis", "site", "build", "dist", "tests", "benchmarks", "__pycache__"
        ),
    )
    init = newer / "shimkit" / "__init__.py"
    init.write_text(re.sub(r'__version__ = "[^"]+"', '__version__ = "99.0.0"', init.read_text()))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(newer)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    rc_before = {name: path.read_text() for name, path in rc.items()}
    upgrade_env = {**env, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    proc = run_sh("dash", ["--version", "99.0.0"], upgrade_env, cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Upgrading shimkit in {env_dir}" in proc.stderr
    assert "shimkit 99.0.0 is installed" in proc.stderr
    assert {name: path.read_text() for name, path in rc.items()} == rc_before  # no second line anywhere
    proc = login_shell(
        "bash", 'echo "@@version $(shimkit --version)"; echo "@@py312 $(python3.12 --version)"\n', shell_env, cwd=home
    )
    assert marked(proc.stdout).get("version") == "shimkit 99.0.0", proc.stdout + proc.stderr
    assert marked(proc.stdout).get("py312") == f"Python {v312}"  # the Pythons were not touched

    # every other shell's startup file too, so that uninstalling is checked against all of them
    for other in ("sh", "ksh", "xonsh", "nu", "pwsh"):
        proc = subprocess.run([str(link), "update-shell", other], env=shell_env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr

    # 4. uninstall: HOME is as it was (the shells' own files aside); the project keeps its pin
    proc = run_sh("dash", ["--uninstall"], env, cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "shimkit is uninstalled" in proc.stderr
    assert f"Removed from {home / '.bashrc'}:" in proc.stderr
    assert "# shimkit: shell integration" in proc.stderr  # the removed lines are shown
    after = snapshot(home)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) and not SHELL_OWNED.match(k))
    assert changed == [], {k: (before.get(k), after.get(k)) for k in changed}
    assert (project / ".python-version").read_text() == "3.12\n"


# ---- install.ps1: static checks ------------------------------------------------------------------
#
# What these checks cannot tell: whether the script runs. There is no PowerShell on this machine
# (Debian does not package it, and PowerShell is not on the package indexes we may use), so
# nothing here exercises the registry, the py launcher, venv creation or pip on Windows; PowerShell
# 5.1 vs 7 differences beyond the operators listed below; or cmdlet parameter names. What they do
# catch: unbalanced brackets and unterminated strings (a tokenizer that knows PowerShell's quoting,
# here-strings, comments and $(...) subexpressions), PowerShell 7-only syntax, calls to functions
# that are not defined, variables read but never assigned, and drift between the options and
# variables of install.sh and install.ps1.

PS_BUILTIN_CMDLETS = {
    "Copy-Item",
    "ForEach-Object",
    "Get-ChildItem",
    "Get-Command",
    "Get-Help",
    "Get-Item",
    "Get-Location",
    "Get-Variable",
    "Join-Path",
    "Move-Item",
    "New-Item",
    "New-Object",
    "Out-Host",
    "Out-Null",
    "Remove-Item",
    "Select-Object",
    "Set-StrictMode",
    "Split-Path",
    "Test-Path",
    "Where-Object",
    "Write-Host",
}
PS_AUTOMATIC = {
    "_",
    "true",
    "false",
    "null",
    "PID",
    "Host",
    "LASTEXITCODE",
    "ErrorActionPreference",
    "args",
    "PSCommandPath",
    "this",
    "input",
}


def ps_tokens(text: str) -> List[tuple[str, str, int]]:
    """(kind, text, line) for code, strings (single/double/here) and comments; raises on
    unterminated strings or comments.  Double-quoted strings yield their $(...) contents as code."""
    out: List[tuple[str, str, int]] = []
    i, n, line = 0, len(text), 1

    def emit(kind: str, start: int, end: int) -> None:
        out.append((kind, text[start:end], text.count("\n", 0, start) + 1))

    while i < n:
        c = text[i]
        if text.startswith("<#", i):
            end = text.find("#>", i + 2)
            if end < 0:
                raise AssertionError(f"line {line}: unterminated block comment")
            i = end + 2
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("@'", i) or text.startswith('@"', i):
            q = text[i + 1]
            end = text.find("\n" + q + "@", i + 2)
            if end < 0 or text[i + 2] not in "\r\n":
                raise AssertionError(f"line {text.count(chr(10), 0, i) + 1}: malformed here-string")
            emit("dstring" if q == '"' else "string", i, end + 3)
            i = end + 3
        elif c == "'":
            j = i + 1
            while True:
                j = text.find("'", j)
                if j < 0:
                    raise AssertionError(f"line {text.count(chr(10), 0, i) + 1}: unterminated '-string")
                if text.startswith("''", j):
                    j += 2
                    continue
                break
            emit("string", i, j + 1)
            i = j + 1
        elif c == '"':
            j, depth = i + 1, 0
            while j < n:
                if text[j] == "`":
                    j += 2
                    continue
                if text.startswith("$(", j):
                    # a subexpression: skip to its matching parenthesis (tokenizing its strings)
                    k, level = j + 2, 1
                    while k < n and level:
                        if text[k] == "(":
                            level += 1
                        elif text[k] == ")":
                            level -= 1
                        elif text[k] == "'":
                            k = text.index("'", k + 1)
                        k += 1
                    if level:
                        raise AssertionError(f"line {text.count(chr(10), 0, i) + 1}: unterminated $( in string")
                    out.extend(ps_tokens(text[j + 2 : k - 1]))
                    j = k
                    continue
                if text[j] == '"':
                    if text.startswith('""', j):
                        j += 2
                        continue
                    break
                j += 1
            if j >= n or depth:
                raise AssertionError(f'line {text.count(chr(10), 0, i) + 1}: unterminated "-string')
            emit("dstring", i, j + 1)
            i = j + 1
        else:
            j = i
            while (
                j < n
                and text[j] not in "'\"#"
                and not text.startswith("<#", j)
                and not text.startswith("@'", j)
                and not text.startswith('@"', j)
            ):
                if text[j] == "`":
                    j += 1
                j += 1
            emit("code", i, j)
            i = j
        line = text.count("\n", 0, i) + 1
    return out


@pytest.fixture(scope="module")
def ps1() -> str:
    return INSTALL_PS1.read_text(encoding="utf-8")


def test_ps1_brackets_balance_and_strings_terminate(ps1: str) -> None:
    stack: List[tuple[str, int]] = []
    pairs = {")": "(", "}": "{", "]": "["}
    for kind, text, line in ps_tokens(ps1):
        if kind != "code":
            continue
        for offset, ch in enumerate(text):
            if ch in "({[":
                stack.append((ch, line + text.count("\n", 0, offset)))
            elif ch in ")}]":
                assert stack, f"line {line + text.count(chr(10), 0, offset)}: unmatched {ch}"
                opened, at = stack.pop()
                assert opened == pairs[ch], f"{opened} opened on line {at} closed by {ch}"
    assert not stack, f"unclosed {stack}"


def test_ps1_uses_no_powershell_7_only_syntax(ps1: str) -> None:
    code = "\n".join(t for k, t, _ in ps_tokens(ps1) if k == "code")
    for pattern, what in [
        (r"&&|\|\|", "pipeline chain operators (&&, ||)"),
        (r"\?\?", "null-coalescing (??)"),
        (r"\?\.", "null-conditional member access (?.)"),
        (r"\s\?\s[^:]*\s:\s", "the ternary operator"),
        (r"\bclean\s*\{", "clean blocks"),
    ]:
        assert not re.search(pattern, code), f"install.ps1 uses {what}, which Windows PowerShell 5.1 lacks"


def test_ps1_calls_only_defined_functions_and_builtin_cmdlets(ps1: str) -> None:
    defined = set(re.findall(r"^\s*function\s+([A-Za-z]+-[A-Za-z]+)", ps1, re.M))
    code = "\n".join(t for k, t, _ in ps_tokens(ps1) if k == "code")
    used = set(re.findall(r"(?<![\w$.-])([A-Z][a-z]+-[A-Z][A-Za-z]+)\b", code))
    unknown = used - defined - PS_BUILTIN_CMDLETS
    assert not unknown, f"install.ps1 calls undefined commands: {sorted(unknown)}"
    unused = defined - used
    assert not unused, f"install.ps1 defines functions it never calls: {sorted(unused)}"


def test_ps1_reads_no_variable_it_never_assigns(ps1: str) -> None:
    tokens = ps_tokens(ps1)
    code = "\n".join(t for k, t, _ in tokens if k == "code")
    strings = "\n".join(t for k, t, _ in tokens if k == "dstring")
    assigned = set(re.findall(r"\$(?:script:)?(\w+)\s*(?:=|\+=)(?!=)", code))
    assigned |= set(re.findall(r"foreach\s*\(\s*\$(\w+)\s+in", code))
    assigned |= set(re.findall(r"for\s*\(\s*\$(\w+)\s*=", code))
    assigned |= set(re.findall(r"\[[\w.\[\]]+\]\s*\$(\w+)", code))  # typed parameters
    read = set(re.findall(r"\$(?!env:)(?:script:)?(\w+)", code + "\n" + strings))
    read |= set(re.findall(r"\$\{(\w+)\}", code + "\n" + strings))
    missing = read - assigned - PS_AUTOMATIC
    assert not missing, f"install.ps1 reads variables it never assigns: {sorted(missing)}"


def test_ps1_and_sh_take_the_same_options_and_variables(ps1: str) -> None:
    sh_text = INSTALL_SH.read_text()
    parse_args = sh_text[sh_text.index("parse_args() {") : sh_text.index("set_opt() {")]
    sh_options = set(re.findall(r"(--[a-z][a-z-]*)(?==\*|\||\))", parse_args))
    param_block = re.search(r"^param\((.*?)^\)", ps1, re.S | re.M)
    assert param_block is not None
    ps_params = set(re.findall(r"\$(\w+)", param_block.group(1)))
    expected = {"".join(part.capitalize() for part in o[2:].split("-")) for o in sh_options}
    assert sh_options == {"--from", "--version", "--python", "--no-modify-path", "--uninstall", "--quiet", "--help"}
    assert ps_params == expected
    for variable in ("SHIMKIT_INSTALL_DIR", "SHIMKIT_BIN_DIR", "NO_COLOR", "SHIMKIT_PYTHON_INSTALL_DIR"):
        assert f"${{{variable}" in sh_text or f"${variable}" in sh_text or f"{variable}-" in sh_text, variable
        assert f"$env:{variable}" in ps1, variable
    # both remove exactly the lines `shimkit update-shell` marks
    from shimkit.shell import MARK_INIT, MARK_SHIMS

    for mark in (MARK_INIT, MARK_SHIMS):
        assert f"'{mark}'" in ps1 and f"'{mark}'" in sh_text


def test_ps1_never_exits_the_callers_session(ps1: str) -> None:
    # `irm | iex` runs the script in the user's own PowerShell: `exit` there closes the window
    code_lines = [t for k, t, _ in ps_tokens(ps1) if k == "code"]
    exits = [m.start() for m in re.finditer(r"\bexit\b", "\n".join(code_lines))]
    assert len(exits) == 1
    assert re.search(r"^if \(\$scriptPath -and \$code -ne 0\) \{ exit \$code \}\s*$", ps1, re.M)
