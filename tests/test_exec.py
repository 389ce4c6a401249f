"""`shimkit exec [-p REQUEST] -- CMD…` and its alias `shimkit run` (issue 16): the command runs with
the project's Python first on PATH; exit status, signals, the process itself and argv are the
command's own.  The CLI command calls :func:`shimkit.execution.exec_command`.

The store is a small real one: managed installations laid out as shimkit lays them out, each a
virtual environment of a real interpreter (``sys.prefix`` tells which one ran)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from support import pbs
from support.cli import isolated_env

from shimkit.platform import host as detect_host

HOST = str(detect_host())


def real_interpreter(minor: str) -> str:
    """A real interpreter of ``minor`` (a venv made in the project must be that version)."""
    for src in pbs.find_sources():
        if f"{src.major}.{src.minor}" == minor and not src.freethreaded and not src.debug:
            return str(src.executable)
    pytest.fail(f"this machine has no Python {minor} (pyenv builds are expected)", pytrace=False)


@pytest.fixture
def env(tmp_path: Path) -> Dict[str, str]:
    e = isolated_env(tmp_path)
    e["SHIMKIT_PYTHON_DOWNLOADS"] = "never"  # nothing here may download
    root = Path(e["SHIMKIT_PYTHON_INSTALL_DIR"])
    root.mkdir(parents=True)
    for version in ("3.11.7", "3.12.1"):
        minor = version.rsplit(".", 1)[0]
        inst = root / f"cpython-{version}-{HOST}"
        subprocess.run(
            [real_interpreter(minor), "-m", "venv", "--without-pip", str(inst)],
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        os.symlink(inst.name, root / f"cpython-{minor}-{HOST}")
    return e


def link(env: Dict[str, str], minor: str) -> str:
    return os.path.join(env["SHIMKIT_PYTHON_INSTALL_DIR"], f"cpython-{minor}-{HOST}")


def project(tmp_path: Path, pin: str) -> Path:
    d = tmp_path / "project"
    d.mkdir(exist_ok=True)
    (d / ".python-version").write_text(pin + "\n", encoding="utf-8")
    return d


def shimkit(args: List[str], env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shimkit", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


PREFIX = ["python", "-c", "import sys, os; print(sys.prefix); print(os.environ['PATH'].split(os.pathsep)[0])"]


@pytest.mark.parametrize("command", ["exec", "run"])
def test_the_projects_python_is_first_on_path(command: str, env: Dict[str, str], tmp_path: Path) -> None:
    d = project(tmp_path, "3.12")
    proc = shimkit([command, "--", *PREFIX], env, d)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == [link(env, "3.12"), os.path.join(link(env, "3.12"), "bin")]


def test_a_request_names_another_python(env: Dict[str, str], tmp_path: Path) -> None:
    d = project(tmp_path, "3.12")
    proc = shimkit(["exec", "-p", "3.11", "--", *PREFIX], env, d)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[0] == link(env, "3.11")


def test_argv_reaches_the_command_exactly(env: Dict[str, str], tmp_path: Path) -> None:
    d = project(tmp_path, "3.12")
    args = ["a b", "", "$HOME", "--", "-p", "3.11", "*", "é\t\n"]
    proc = shimkit(["exec", "--", "python", "-c", "import sys; print(repr(sys.argv[1:]))", *args], env, d)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == repr(args)


@pytest.mark.parametrize("code", [0, 1, 7, 255])
def test_exit_status_is_the_commands(code: int, env: Dict[str, str], tmp_path: Path) -> None:
    d = project(tmp_path, "3.12")
    proc = shimkit(["exec", "--", "python", "-c", f"raise SystemExit({code})"], env, d)
    assert proc.returncode == code, proc.stderr


def test_the_command_is_the_process_and_gets_its_signals(env: Dict[str, str], tmp_path: Path) -> None:
    d = project(tmp_path, "3.12")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shimkit",
            "exec",
            "--",
            "python",
            "-c",
            "import os, sys, time; print(os.getpid(), flush=True); time.sleep(60)",
        ],
        env=env,
        cwd=d,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    pid = int(child.stdout.readline())
    assert pid == child.pid  # replaced, not a child of shimkit: signals reach it directly
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == -signal.SIGTERM


def test_the_projects_venv_comes_first(env: Dict[str, str], tmp_path: Path) -> None:
    d = project(tmp_path, "3.12")
    subprocess.run(
        [os.path.join(link(env, "3.12"), "bin", "python"), "-m", "venv", "--without-pip", str(d / ".venv")],
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    show = "import os, sys; print(sys.prefix); print(os.environ['VIRTUAL_ENV'])"
    proc = shimkit(["exec", "--", "python", "-c", show], env, d)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == [str(d / ".venv")] * 2


def test_missing_command_and_missing_python_are_one_line_errors(env: Dict[str, str], tmp_path: Path) -> None:
    d = project(tmp_path, "3.12")
    proc = shimkit(["exec", "--", "no-such-command-here"], env, d)
    assert proc.returncode == 127
    assert proc.stderr.startswith("error: command not found: no-such-command-here") and proc.stderr.count("\n") == 1
    d = project(tmp_path, "3.10")  # not installed, and downloads are off: nothing runs
    proc = shimkit(["exec", "--", "python", "-c", "print('ran')"], env, d)
    assert proc.returncode == 2 and "ran" not in proc.stdout
    assert "3.10" in proc.stderr and proc.stderr.startswith("error: ")
