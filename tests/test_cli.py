"""The command line as a uv user types it: global options anywhere, -q/-v levels, choices in any
case, usage errors on one line, help and completion from the one declaration (shimkit.cli.spec).

Every test runs the real console entry (``python -m shimkit``) in an isolated environment."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest
from support import cli, pbs

from shimkit import platform as shimkit_platform
from shimkit.cli import spec

HOST = str(shimkit_platform.host())
Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def env(shimkit_env: Dict[str, str]) -> Dict[str, str]:
    return dict(shimkit_env, SHIMKIT_PYTHON_DOWNLOADS="never", SHIMKIT_PROBE_TIMEOUT="5")


@pytest.fixture
def run(env: Dict[str, str], tmp_path: Path) -> Run:
    def go(*args: str, extra: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
        return cli.run_shimkit(*args, env=dict(env, PWD=str(tmp_path), **(extra or {})), cwd=tmp_path)

    return go


@pytest.fixture
def managed312(env: Dict[str, str], real_sources: List[pbs.InterpreterSource]) -> Path:
    """A managed 3.12 whose interpreter is a real one (linked); the minor-link path of its python."""
    src = next(s for s in real_sources if s.version.startswith("3.12."))
    root = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    name = f"cpython-{src.version}-{HOST}"
    (root / name / "bin").mkdir(parents=True)
    (root / name / "bin" / "python3.12").symlink_to(src.executable)
    (root / f"cpython-3.12-{HOST}").symlink_to(name)
    return root / f"cpython-3.12-{HOST}" / "bin" / "python3.12"


def commands(group: spec.Command = spec.APP, path: tuple[str, ...] = ()) -> List[tuple[tuple[str, ...], spec.Command]]:
    found = []
    for sub in group.subcommands:
        if sub.subcommands:
            found += commands(sub, (*path, sub.name))
        else:
            found.append(((*path, sub.name), sub))
    return found


@pytest.mark.parametrize(("path", "command"), commands(), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_help_lists_every_declared_option(run: Run, path: tuple[str, ...], command: spec.Command) -> None:
    # help comes from the typer app built from the same declaration the parser reads
    p = run(*path, "--help")
    assert p.returncode == 0, p.stderr
    for opt in (*command.options, *spec.GLOBAL_OPTIONS):
        assert opt.flags[-1] in p.stdout, (path, opt.flags)
    assert run("-h", *path).stdout == p.stdout  # -h anywhere, even before the command


def test_an_alias_is_named_as_typed_in_help_and_errors(run: Run) -> None:
    assert "Usage: shimkit run [OPTIONS]" in run("run", "--help").stdout
    p = run("run", "--bogus")
    assert p.returncode == 2 and p.stderr == "error: no such option: --bogus; hint: see `shimkit run --help`\n"


@pytest.mark.parametrize(
    "args",
    [
        ["-q", "pin", "3.12"],
        ["pin", "-q", "3.12"],
        ["pin", "3.12", "-q"],
        ["pin", "3.12", "--quiet"],
    ],
)
def test_quiet_anywhere_silences_confirmations(run: Run, tmp_path: Path, managed312: Path, args: List[str]) -> None:
    p = run(*args)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    assert (tmp_path / ".python-version").read_text() == "3.12\n"
    loud = run("pin", "3.12")
    assert loud.stdout.startswith("Pinned 3.12 in ")


def test_quiet_keeps_results_and_errors_and_qq_only_errors(run: Run, managed312: Path) -> None:
    assert run("find", "3.12", "-q").stdout == f"{managed312}\n"
    assert run("find", "3.12", "-qq").stdout == ""
    p = run("find", "3.99", "-qq")
    assert p.returncode == 2 and p.stderr.startswith("error: no Python interpreter satisfies 3.99")


def test_quiet_hides_warnings(run: Run, tmp_path: Path, managed312: Path) -> None:
    (tmp_path / ".python-versions").write_text("3.12\n$(touch x)\n")
    assert "warning:" in run("pin").stderr
    p = run("pin", "-q")
    assert p.stdout == "3.12\n" and p.stderr == ""


def test_quiet_doctor_prints_only_problems(run: Run) -> None:
    loud, quiet = run("doctor", "--shell", "bash"), run("doctor", "--shell", "bash", "-q")
    assert loud.returncode == quiet.returncode == 1  # the bin dir is not on PATH in the test env
    assert any(line.startswith("ok ") for line in loud.stdout.splitlines())
    lines = [line for line in quiet.stdout.splitlines() if line.strip()]
    assert lines and not any(line.startswith("ok ") for line in lines) and "problem" not in quiet.stdout
    assert all(line.startswith(("warn ", "error ", " ")) for line in lines), quiet.stdout


@pytest.mark.parametrize("how", ["-v before", "-v after", "SHIMKIT_VERBOSE"])
def test_verbose_says_what_was_looked_up_and_chosen(run: Run, tmp_path: Path, managed312: Path, how: str) -> None:
    (tmp_path / ".python-version").write_text("3.12\n")
    if how == "-v before":
        p = run("-v", "find")
    elif how == "-v after":
        p = run("find", "--verbose")
    else:
        p = run("find", extra={"SHIMKIT_VERBOSE": "1"})
    assert p.returncode == 0 and p.stdout == f"{managed312}\n"
    trace = [line for line in p.stderr.splitlines() if line.startswith("shimkit: ")]
    assert any(f"request 3.12 from {tmp_path / '.python-version'}" in line for line in trace), p.stderr
    assert any(f"chose {managed312} (managed)" in line for line in trace), p.stderr
    assert not any("does not satisfy" in line for line in trace)  # that detail is -vv's


def test_vv_names_every_candidate_passed_over(run: Run, managed312: Path) -> None:
    # managed installations left out: the interpreters on PATH (this test's 3.11 or so) are considered
    mm = f"{sys.version_info[0]}.{sys.version_info[1]}"
    p = run("find", "3.12", "-vv", "--no-managed-python")
    if mm != "3.12":
        assert p.returncode == 2
        assert "  path: " in p.stderr and "does not satisfy 3.12" in p.stderr
    assert "nothing matches" in p.stderr or "chose" in p.stderr
    assert "does not satisfy" not in run("find", "3.12", "-v", "--no-managed-python").stderr


def test_quiet_wins_over_verbose(run: Run, managed312: Path) -> None:
    p = run("find", "-v", "-q", extra={"SHIMKIT_VERBOSE": "2"})
    assert "shimkit: " not in p.stderr


@pytest.mark.parametrize("value", ["JSON", "Json", "json"])
def test_choices_are_case_insensitive(run: Run, managed312: Path, value: str) -> None:
    p = run("find", "3.12", "--output-format", value)
    assert p.returncode == 0 and json.loads(p.stdout)["path"] == str(managed312)
    p = run("find", "3.12", f"--output-format={value}")
    assert p.returncode == 0 and json.loads(p.stdout)["path"] == str(managed312)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["find", "--output-format"], "option --output-format needs a value"),
        (["find", "--system=yes"], "option --system takes no value"),
        (["find", "-x"], "no such option: -x"),
        (["pin", "3.12", "3.11"], "unexpected extra argument (3.11)"),
        (["mirror", "sync"], "missing argument DIRECTORY"),
        (["install", "--instal-dir", "x"], "did you mean --install-dir?"),
        (["shims", "enabel"], "did you mean 'enable'?"),
    ],
)
def test_usage_errors_name_the_problem_and_the_help(run: Run, args: List[str], needle: str) -> None:
    p = run(*args)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and needle in p.stderr and "--help`" in p.stderr, p.stderr


def test_a_request_that_starts_with_a_dash_is_not_an_option(run: Run, managed312: Path) -> None:
    # `-3` is not a flag (nor are `->=3.11` and friends): the request parser gets them
    p = run("find", "--", "-3")
    assert p.returncode == 2 and "invalid Python request" in p.stderr


def test_version_and_bare_group(run: Run) -> None:
    import shimkit

    assert run("--version").stdout == run("-V").stdout == f"shimkit {shimkit.__version__}\n"
    p = run("shims")  # a group without its command shows the group's help
    assert "enable" in p.stdout and "disable" in p.stdout


def test_completion_offers_installed_versions_and_shells(env: Dict[str, str], tmp_path: Path, managed312: Path) -> None:
    def complete(words: str) -> List[str]:
        e = dict(env, _SHIMKIT_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(len(words.split()) - 1))
        p = subprocess.run([sys.executable, "-m", "shimkit"], env=e, capture_output=True, text=True, check=True)
        return p.stdout.split()

    installed = next(p.name for p in managed312.parents[2].iterdir() if not p.is_symlink()).split("-")[1]
    assert complete("shimkit uninstall 3.1") == ["3.12", installed]
    assert complete("shimkit init fi") == ["fish"]
    assert "install" in complete("shimkit ins")
    assert complete("shimkit install 3.1") == []  # the download list (an override URL) was never read
    cli.run_shimkit("list", "--only-downloads", env=env, cwd=tmp_path, check=True)
    available = complete("shimkit install 3.1")
    assert "3.12" in available and "3.13" in available  # the loopback mirror's list, read offline


def _on_a_terminal(args: List[str], env: Dict[str, str], cwd: Path, answer: str) -> tuple[int, str]:
    """Run shimkit with stdin/stdout/stderr on a pty, type ``answer`` at the prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "shimkit", *args], env)
    seen = b""
    deadline = time.monotonic() + 60
    typed = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not typed and b"[y/N]" in seen:
            os.write(fd, answer.encode() + b"\n")
            typed = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_uninstall_all_asks_on_a_terminal(env: Dict[str, str], tmp_path: Path, managed312: Path) -> None:
    installs = managed312.parents[2]
    e = dict(env, PWD=str(tmp_path), TERM="dumb")
    code, text = _on_a_terminal(["uninstall", "--all"], e, tmp_path, "n")
    assert code == 1 and "Remove 1 installation?" in text and "Nothing removed" in text
    assert any(not p.is_symlink() for p in installs.iterdir() if not p.name.startswith("."))
    code, text = _on_a_terminal(["uninstall", "--all"], e, tmp_path, "y")
    assert code == 0 and "Uninstalled cpython-3.12" in text
    assert not [p for p in installs.iterdir() if not p.name.startswith(".")]
