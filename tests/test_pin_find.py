"""``shimkit pin`` and ``shimkit find`` as a user runs them: a subprocess in an isolated
environment (see ``support.cli``), real interpreters, a loopback mirror for downloads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional

import pytest
from support import cli, pbs

from shimkit import platform as shimkit_platform

HOST = str(shimkit_platform.host())
Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def sources(real_sources: List[pbs.InterpreterSource]) -> Dict[str, Path]:
    return {s.version: s.executable for s in real_sources}


@pytest.fixture
def env(shimkit_env: Dict[str, str]) -> Dict[str, str]:
    """The isolated environment with downloads switched off unless a test turns them on."""
    return dict(shimkit_env, SHIMKIT_PYTHON_DOWNLOADS="never", SHIMKIT_PROBE_TIMEOUT="5")


@pytest.fixture
def run(env: Dict[str, str], tmp_path: Path) -> Run:
    def go(
        *args: str, cwd: Path = tmp_path, extra: Optional[Dict[str, str]] = None
    ) -> subprocess.CompletedProcess[str]:
        return cli.run_shimkit(*args, env=dict(env, PWD=str(cwd), **(extra or {})), cwd=cwd)

    return go


def managed(env: Dict[str, str], sources: Dict[str, Path], version: str) -> Path:
    """A managed installation whose interpreter is a real one (linked); returns the minor-link path."""
    root = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    name = f"cpython-{version}-{HOST}"
    mm = ".".join(version.split(".")[:2])
    (root / name / "bin").mkdir(parents=True)
    (root / name / "bin" / f"python{mm}").symlink_to(sources[version])
    link = root / f"cpython-{mm}-{HOST}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(name)
    return link / "bin" / f"python{mm}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nrequires-python = ">=3.10"\n')
    return root


# ---- pin -------------------------------------------------------------------------------------
def test_pin_writes_the_project_root_and_shows_it(run: Run, project: Path) -> None:
    p = run("pin", "3.11", cwd=project / "src" / "pkg")
    assert p.returncode == 0, p.stderr
    assert (project / ".python-version").read_text() == "3.11\n"
    assert p.stdout == f"Pinned 3.11 in {project / '.python-version'}\n"
    assert not (project / "src" / "pkg" / ".python-version").exists()
    shown = run("pin", cwd=project / "src")
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, "3.11\n", f"(from {project / '.python-version'})\n")
    p = run("pin", "3.12", cwd=project)
    assert p.stdout == f"Pinned 3.12 in {project / '.python-version'} (was 3.11)\n"


def test_pin_without_a_file_shows_requires_python(run: Run, project: Path) -> None:
    p = run("pin", cwd=project / "src")
    assert (p.returncode, p.stdout) == (0, ">=3.10\n")
    assert p.stderr == f"(from requires-python in {project / 'pyproject.toml'})\n"


def test_pin_outside_a_project_writes_the_working_directory(run: Run, tmp_path: Path) -> None:
    (tmp_path / "scratch").mkdir()
    assert run("pin", "3.12", cwd=tmp_path / "scratch").returncode == 0
    assert (tmp_path / "scratch" / ".python-version").read_text() == "3.12\n"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("cp312", "cpython@3.12"),
        ("CPython@3.12", "cpython@3.12"),
        ("~=3.11.0", "~=3.11.0"),
        ("python3.11", "3.11"),
        (">=3.11, <3.13", ">=3.11,<3.13"),
        ("<3.13,>=3.11", "<3.13,>=3.11"),
        ("pypy3.10", "pypy@3.10"),
        ("3.13+freethreaded", "3.13+freethreaded"),
        ("cpython-3.12.1-linux-x86_64-gnu", "cpython-3.12.1-linux-x86_64-gnu"),
    ],
)
def test_pin_writes_the_canonical_form(run: Run, tmp_path: Path, typed: str, canonical: str) -> None:
    p = run("pin", typed)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / ".python-version").read_text() == canonical + "\n"
    assert run("pin").stdout == canonical + "\n"


@pytest.mark.parametrize(
    "bad", ["3.x", "../../bin/sh", "/usr/bin/python3", "./venv", "mypython", "3.12; rm -rf ~", ">=3.11,<", "", "99.1"]
)
def test_malformed_pins_are_refused_and_never_written(run: Run, tmp_path: Path, bad: str) -> None:
    (tmp_path / ".python-version").write_text("3.11\n")
    p = run("pin", bad)
    assert p.returncode == 2
    assert p.stdout == "" and p.stderr.startswith("error: invalid Python request") and p.stderr.count("\n") == 1
    assert (tmp_path / ".python-version").read_text() == "3.11\n"


def test_pin_warns_when_nothing_satisfies_the_request(
    run: Run, tmp_path: Path, env: Dict[str, str], sources: Dict[str, Path]
) -> None:
    p = run("pin", "3.8")
    assert p.returncode == 0 and (tmp_path / ".python-version").read_text() == "3.8\n"
    assert "warning: no installed, downloadable or system Python satisfies 3.8" in p.stderr
    for ok in ("3.12", "3.11.2", ">=3.11"):  # downloadable (the mirror's list); on PATH (/usr/bin/python3.11)
        p = run("pin", ok)
        assert p.returncode == 0 and "warning" not in p.stderr, (ok, p.stderr)
    managed(env, sources, "3.13.0")
    p = run("pin", "3.13.0", extra={"SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": str(tmp_path / "missing.json")})
    assert p.returncode == 0 and "warning" not in p.stderr, p.stderr  # installed


def test_pin_warns_when_a_nearer_file_overrides_it(run: Run, project: Path) -> None:
    (project / "src" / ".python-version").write_text("3.10\n")
    p = run("pin", "3.12", cwd=project / "src" / "pkg")
    assert p.returncode == 0
    assert (project / ".python-version").read_text() == "3.12\n"
    assert f"warning: {project / 'src' / '.python-version'} takes precedence in {project / 'src' / 'pkg'}" in p.stderr


def test_pin_global(run: Run, tmp_path: Path, env: Dict[str, str], project: Path) -> None:
    global_file = Path(env["XDG_CONFIG_HOME"]) / "shimkit" / ".python-version"
    p = run("pin", "--global", "3.12")
    assert p.returncode == 0 and global_file.read_text() == "3.12\n"
    assert run("pin").stdout == "3.12\n"  # outside any project the global pin applies
    assert run("pin").stderr == f"(from the global pin {global_file})\n"
    assert run("pin", cwd=project).stdout == ">=3.10\n"  # a project's requires-python beats it
    assert run("pin", "--global", cwd=project).stdout == "3.12\n"
    assert run("pin", "--rm", "--global").returncode == 0 and not global_file.exists()
    p = run("pin", "--global")
    assert p.returncode == 2 and p.stderr.startswith("error: no global pin")


def test_pin_resolved_writes_the_installed_patch(
    run: Run, tmp_path: Path, env: Dict[str, str], sources: Dict[str, Path]
) -> None:
    managed(env, sources, "3.11.2")
    managed(env, sources, "3.11.7")
    p = run("pin", "--resolved", "3.11")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / ".python-version").read_text() == "3.11.7\n"
    assert "3.11 resolves to " in p.stderr
    (tmp_path / ".python-version").write_text(">=3.11,<3.11.5\n")
    assert run("pin", "--resolved").returncode == 0  # no request: resolve the current pin
    assert (tmp_path / ".python-version").read_text() == "3.11.2\n"
    p = run("pin", "--resolved", "3.9.1")
    assert p.returncode == 2 and p.stderr.startswith("error: no Python interpreter satisfies 3.9.1")
    assert (tmp_path / ".python-version").read_text() == "3.11.2\n"


def test_pin_rm(run: Run, project: Path) -> None:
    (project / ".python-version").write_text("3.12\n")
    p = run("pin", "--rm", cwd=project / "src")
    assert (p.returncode, p.stdout) == (0, f"Removed {project / '.python-version'}\n")
    assert not (project / ".python-version").exists()
    p = run("pin", "--rm", cwd=project / "src")
    assert p.returncode == 2 and p.stderr.startswith("error: no .python-version file applies")
    p = run("pin", "--rm", "3.12", cwd=project)
    assert p.returncode == 2


def test_pin_with_nothing_pinned_exits_2(run: Run, tmp_path: Path) -> None:
    p = run("pin")
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == f"error: no Python pin for {tmp_path}; hint: set one with `shimkit pin 3.12`\n"


def test_pin_show_drops_untrusted_garbage_with_a_warning(run: Run, tmp_path: Path) -> None:
    (tmp_path / ".python-versions").write_bytes(b"\xef\xbb\xbf# team pins\r\n3.12\r\n$(touch /tmp/x)\r\n3.11\r\n")
    p = run("pin")
    assert (p.returncode, p.stdout) == (0, "3.12\n3.11\n")
    # words, as pyenv reads them: the line's first word is refused, `/tmp/x)` is free text
    assert f"warning: ignoring '$(touch' in {tmp_path / '.python-versions'}" in p.stderr


# ---- find ------------------------------------------------------------------------------------
def test_find_prints_the_pinned_managed_interpreter(
    run: Run, tmp_path: Path, env: Dict[str, str], sources: Dict[str, Path], project: Path
) -> None:
    through = managed(env, sources, "3.12.1")
    managed(env, sources, "3.11.7")
    (project / ".python-version").write_text("3.12\n")
    p = run("find", cwd=project / "src" / "pkg")
    assert (p.returncode, p.stdout, p.stderr) == (0, f"{through}\n", "")
    p = run("find", "--output-format", "json", cwd=project)
    assert json.loads(p.stdout) == {
        "path": str(through),
        "version": "3.12.1",
        "implementation": "cpython",
        "variant": None,
        "source": "managed",
        "key": f"cpython-3.12.1-{HOST}",
    }
    p = run("find", "3.11.7", "--output-format=json")
    row = json.loads(p.stdout)
    assert row["path"] == str(Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]) / f"cpython-3.11.7-{HOST}" / "bin" / "python3.11")


def test_the_shell_session_override_wins_for_find_but_is_never_written(
    run: Run, tmp_path: Path, env: Dict[str, str], sources: Dict[str, Path], project: Path
) -> None:
    # `shimkit shell 3.11` sets SHIMKIT_PYTHON; `python` then runs 3.11, so `find` must agree
    v312 = managed(env, sources, "3.12.1")
    v311 = managed(env, sources, "3.11.7")
    (project / ".python-version").write_text("3.12\n")
    session = {"SHIMKIT_PYTHON": "3.11"}
    assert run("find", cwd=project, extra=session).stdout == f"{v311}\n"
    assert run("find", cwd=project, extra={"SHIMKIT_PYTHON": " "}).stdout == f"{v312}\n"  # blank: unset
    assert run("find", cwd=project, extra={**session, "SHIMKIT_NO_CONFIG": "1"}).stdout == f"{v311}\n"
    assert run("find", "3.12", cwd=project, extra=session).stdout == f"{v312}\n"  # an explicit request wins
    p = run("venv", str(tmp_path / "v"), cwd=project, extra=session)
    assert p.returncode == 0, p.stderr
    assert "python3.11" in (tmp_path / "v" / "pyvenv.cfg").read_text()
    # `pin` shows and writes files only, and says the shell overrides them
    p = run("pin", cwd=project, extra=session)
    assert p.stdout == "3.12\n" and "SHIMKIT_PYTHON=3.11" in p.stderr
    p = run("pin", "3.12.1", cwd=project, extra=session)
    assert p.returncode == 0 and "SHIMKIT_PYTHON=3.11 (set by `shimkit shell`" in p.stderr
    assert "takes precedence" in p.stderr
    (project / ".python-version").write_text("3.12\n")
    assert run("pin", "--resolved", cwd=project, extra=session).returncode == 0
    assert (project / ".python-version").read_text() == "3.12.1\n"


@pytest.mark.parametrize("pin", ["3.12-dev", "system", "3.12-dev # comment"])
def test_an_unusable_pin_fails_find_venv_and_pin_resolved(
    run: Run, env: Dict[str, str], sources: Dict[str, Path], project: Path, tmp_path: Path, pin: str
) -> None:
    managed(env, sources, "3.12.1")
    (project / ".python-version").write_text(pin + "\n")
    for args in (["find"], ["venv", str(tmp_path / "v")], ["pin", "--resolved"]):
        p = run(*args, cwd=project)
        assert p.returncode == 2 and p.stdout == "", (args, p.stdout)
        assert f"error: {project / '.python-version'} holds no valid Python request" in p.stderr
    assert (project / ".python-version").read_text() == pin + "\n" and not (tmp_path / "v").exists()
    p = run("find", cwd=tmp_path, extra={"SHIMKIT_PYTHON": "garbage!"})
    assert p.returncode == 2 and "shimkit shell --unset" in p.stderr


def test_a_venv_made_from_a_bin_entry_counts_as_managed(
    run: Run, env: Dict[str, str], sources: Dict[str, Path], project: Path
) -> None:
    # `python3.12 -m venv` through a bin entry records home = the bin dir, not the install dir
    exe = managed(env, sources, "3.12.1")
    bindir = Path(env["SHIMKIT_BIN_DIR"])
    bindir.mkdir(parents=True, exist_ok=True)
    (bindir / "python3.12").symlink_to(exe)
    subprocess.run(
        [str(bindir / "python3.12"), "-m", "venv", "--without-pip", str(project / ".venv")],
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert f"home = {bindir}" in (project / ".venv" / "pyvenv.cfg").read_text()
    venv_python = f"{project / '.venv' / 'bin' / 'python'}\n"
    assert run("find", "3.12", "--managed-python", cwd=project).stdout == venv_python
    assert run("find", "3.12", "--no-managed-python", cwd=project).stdout != venv_python


def test_find_system_and_managed_flags(run: Run, tmp_path: Path, env: Dict[str, str], sources: Dict[str, Path]) -> None:
    managed(env, sources, "3.12.1")
    venv = tmp_path / "venv"
    subprocess.run([str(sources["3.10.13"]), "-m", "venv", "--without-pip", str(venv)], check=True)
    active = {"VIRTUAL_ENV": str(venv)}
    assert run("find", extra=active).stdout == f"{venv / 'bin' / 'python'}\n"
    assert (
        json.loads(run("find", ">=3.11", "--system", "--output-format", "json", extra=active).stdout)["source"]
        == "managed"
    )
    # Debian's python3.11 (3.11.2) is on PATH in the isolated environment
    p = run("find", "3.11", "--no-managed-python")
    assert (p.returncode, json.loads(run("find", "3.11", "--output-format", "json").stdout)["version"]) == (0, "3.11.2")
    p = run("find", "3.11", "--managed-python")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("error: no Python interpreter satisfies 3.11; hint: only managed installations")
    assert p.stderr.count("\n") == 1
    p = run("find", "3.12", "--no-managed-python", "--managed-python")
    assert p.returncode == 2 and "exclude each other" in p.stderr


def test_find_honours_python_preference_from_env_and_config_file(
    run: Run, env: Dict[str, str], sources: Dict[str, Path]
) -> None:
    managed(env, sources, "3.11.7")
    assert json.loads(run("find", "3.11", "--output-format", "json").stdout)["version"] == "3.11.7"
    config = Path(env["XDG_CONFIG_HOME"]) / "shimkit" / "shimkit.toml"
    config.parent.mkdir(parents=True)
    config.write_text('python-preference = "system"\n')
    assert json.loads(run("find", "3.11", "--output-format", "json").stdout)["version"] == "3.11.2"
    # env beats the file, the flag beats both
    p = run("find", "3.11", "--output-format", "json", extra={"SHIMKIT_PYTHON_PREFERENCE": "managed"})
    assert json.loads(p.stdout)["version"] == "3.11.7"
    p = run(
        "find",
        "3.11",
        "--no-managed-python",
        "--output-format",
        "json",
        extra={"SHIMKIT_PYTHON_PREFERENCE": "only-managed"},
    )
    assert json.loads(p.stdout)["version"] == "3.11.2"


def test_find_nothing_matches_exit_2_one_line(run: Run) -> None:
    p = run("find", "3.8")
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == (
        "error: no Python interpreter satisfies 3.8; hint: install it with `shimkit install 3.8` "
        "(python-downloads is never)\n"
    )
    p = run("find", "not a request/..")
    assert p.returncode == 2 and p.stderr.startswith("error:")


@pytest.mark.slow
def test_find_never_downloads_and_venv_installs_like_install(run: Run, env: Dict[str, str], tmp_path: Path) -> None:
    # uv: tests/python/python_find.rs — `uv python find` only looks, whatever python-downloads says
    auto = {"SHIMKIT_PYTHON_DOWNLOADS": "automatic"}
    root = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    p = run("find", "3.10", extra=auto)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr.startswith(
        "error: no Python interpreter satisfies 3.10; hint: install it with `shimkit install 3.10`"
    )
    assert not root.exists() or not any(n.startswith("cpython-3.10") for n in os.listdir(root))
    # a command that creates something may download, and installs as `shimkit install` would: bin entry too
    p = run("venv", "-p", "3.10", str(tmp_path / "v"), extra=auto)
    assert p.returncode == 0, p.stderr
    assert (root / f"cpython-3.10-{HOST}").is_symlink()
    assert os.path.realpath(Path(env["SHIMKIT_BIN_DIR"]) / "python3.10") == os.path.realpath(
        root / f"cpython-3.10.13-{HOST}" / "bin" / "python3.10"
    )
    assert (
        subprocess.run(
            [str(tmp_path / "v" / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        == "(3, 10)\n"
    )
    # manual: only `install` downloads
    p = run("venv", "-p", "3.9", str(tmp_path / "w"), extra={"SHIMKIT_PYTHON_DOWNLOADS": "manual"})
    assert p.returncode == 2 and "(python-downloads is manual)" in p.stderr
    assert not any(n.startswith("cpython-3.9") for n in os.listdir(root))


def test_find_explicit_path(run: Run, tmp_path: Path, sources: Dict[str, Path]) -> None:
    p = run("find", str(sources["3.13.0"]), "--output-format", "json")
    assert json.loads(p.stdout)["source"] == "explicit" and json.loads(p.stdout)["version"] == "3.13.0"


def test_find_an_explicit_interpreter_that_does_not_run(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "python3"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    p = run("find", str(broken))
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == (
        f"error: {broken} cannot be used: failed to start: exit code 3; "
        f"hint: check that `{broken} -c pass` runs, or name another interpreter\n"
    )


def test_typer_definitions_match_the_fast_lane(
    run: Run, env: Dict[str, str], sources: Dict[str, Path], tmp_path: Path
) -> None:
    through = managed(env, sources, "3.12.1")
    assert run("-q", "find").stdout == run("find").stdout == f"{through}\n"  # -q goes through typer
    for cmd in ("find", "pin"):
        p = run(cmd, "--help")
        assert p.returncode == 0 and "--install-dir" in p.stdout
    assert "--managed-python" in run("find", "--help").stdout
    assert "--resolved" in run("pin", "--help").stdout and "--rm" in run("pin", "--help").stdout
    assert run("-q", "pin", "3.12").returncode == 0 and (tmp_path / ".python-version").read_text() == "3.12\n"
    p = run("find", "--output-format", "yaml")
    assert p.returncode == 2 and "text or json" in p.stderr


@pytest.mark.parametrize(
    ("args", "pin", "allowed"),
    [
        (["find"], "3.12", set()),
        (["pin"], "3.12", set()),
        (["find", ">=3.11"], None, set()),  # specifiers are shimkit.model's, not packaging's
        (["find"], ">=3.11,<3.13", set()),
        (["find"], "requires-python", set()),  # read without the TOML parser
        (["pin"], "requires-python", set()),
        (["find", "cpython>=3.11"], None, set()),
        (["dir"], None, set()),
        (["dir", "--bin"], None, set()),
        # once the PATH interpreters' probes are cached (not as JSON: json brings re)
        (["list", "--only-installed"], None, set()),
        # the hooks' helper, with the flags the hooks pass: for a cd into a requires-python project
        (
            ["hook-resolve", "--host", HOST, "--install-dir", "{installs}", "--global-file", ""],
            "requires-python",
            set(),
        ),
        (["hook-resolve", "--host", HOST, "--install-dir", "{installs}", "--global-file", ""], ">=3.11,<3.13", set()),
    ],
)
def test_fast_lane_imports_nothing_heavy(
    env: Dict[str, str], sources: Dict[str, Path], tmp_path: Path, args: List[str], pin: str, allowed: set
) -> None:
    managed(env, sources, "3.12.1")
    if pin == "requires-python":
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nrequires-python = ">=3.11"\n')
    elif pin:
        (tmp_path / ".python-version").write_text(pin + "\n")
    args = [a.format(installs=env["SHIMKIT_PYTHON_INSTALL_DIR"]) for a in args]
    code = (
        "import sys; from shimkit.entry import main; code = main(sys.argv[1:]); "
        "sys.stdout.flush(); sys.stderr.write(' '.join(sorted(sys.modules)) + '\\n'); sys.exit(code)"
    )
    for _ in range(2 if args[0] == "list" else 1):  # list: the first run probes PATH's interpreters
        p = subprocess.run(
            [sys.executable, "-c", code, *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
        )
    assert p.returncode == 0, p.stderr
    modules = set(p.stderr.split())
    heavy = {
        "typer",
        "rich",
        "httpx",
        "jinja2",
        "platformdirs",
        "click",
        "packaging",
        "packaging.specifiers",
        "dataclasses",
        "typing",
        "subprocess",
        "tomllib",
        "json",
        # pathlib brings re, fnmatch, urllib.parse and ipaddress on 3.11: ~10 ms these never need
        "pathlib",
        "re",
    } - allowed
    assert not heavy & modules


@pytest.mark.parametrize("args", [["find"], ["pin"], ["pin", "3.12"], ["venv"]])
def test_a_deleted_working_directory_is_one_line(env: Dict[str, str], tmp_path: Path, args: List[str]) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    p = subprocess.run(
        ["sh", "-c", script, "sh", str(gone), sys.executable, "-m", "shimkit", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr == "error: the working directory no longer exists; hint: cd to an existing directory\n"


# ---- agreeing with uv and pyenv (cases from their test suites) ------------------------------
@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("3.13.0rc1", "3.13rc1"),  # uv: python_pin.rs / discovery.rs interpreter_request_to_canonical_string
        ("3.13t", "3.13+freethreaded"),  # uv: python_pin.rs python_pin_compatible_with_requires_python
        ("cpython@3.11", "cpython@3.11"),
        ("cp311", "cpython@3.11"),
        ("==3.11", "3.11"),  # uv: discovery.rs version_request_from_specifiers
        (">=3.11, <3.13", ">=3.11,<3.13"),  # shimkit keeps ranges one word (see docs/migrating.md)
        ("cpython-3.11", "cpython-3.11-any-any-any"),  # a partial key (uv: interpreter_request_from_str)
        ("any-3.11-any", "any-3.11-any-any-any"),
        ("pypy-linux", "pypy-any-linux-any-any"),
    ],
)
def test_pin_accepts_uv_spellings_and_writes_uv_forms(run: Run, tmp_path: Path, typed: str, written: str) -> None:
    p = run("pin", typed)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / ".python-version").read_text() == written + "\n"
    # and reads back what uv writes
    p = run("pin")
    assert (p.returncode, p.stdout) == (0, written + "\n")


@pytest.mark.parametrize(
    ("request_text", "why"),
    [
        ("3.5", "Python 3.5 is not supported"),  # uv: python_find.rs python_find_unsupported_version
        ("3.5.9", "Python 3.5 is not supported"),
        ("2.6", "Python 2.6 is not supported"),
        ("3.12t", "free-threaded builds exist from Python 3.13 on"),
    ],
)
@pytest.mark.parametrize("command", ["find", "list", "pin", "install"])
def test_requests_no_python_can_satisfy_are_invalid(run: Run, command: str, request_text: str, why: str) -> None:
    p = run(command, request_text)
    assert p.returncode == 2
    assert p.stderr.startswith(f"error: invalid Python request {request_text!r} ({why}")
    assert len(p.stderr.splitlines()) == 1


def test_a_satisfiable_but_missing_request_says_so(run: Run) -> None:
    p = run("find", "4.2")  # uv: the same test, "No interpreter found for Python 4.2"
    assert p.returncode == 2 and p.stderr.startswith("error: no Python interpreter satisfies 4.2;")


def test_pin_refuses_a_version_requires_python_excludes(
    run: Run, env: Dict[str, str], sources: Dict[str, Path], tmp_path: Path
) -> None:
    # uv: python_pin.rs python_pin_compatible_with_requires_python
    managed(env, sources, "3.10.13")
    managed(env, sources, "3.12.1")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nrequires-python = ">=3.11"\n')
    for typed in ("3.10", "cpython@3.10", "3.10.13"):
        p = run("pin", typed)
        assert p.returncode == 2, p.stderr
        assert p.stderr == (
            f"error: the requested Python version `{typed}` is incompatible with the project's "
            f"requires-python `>=3.11` ({tmp_path / 'pyproject.toml'}); hint: pin a version it "
            "allows, or pass --no-config to pin it anyway\n"
        )
        assert not (tmp_path / ".python-version").exists()
    assert run("pin", "--no-config", "3.10").returncode == 0  # as uv's --no-project
    # a range is judged by what it resolves to: a warning, the pin is written
    p = run("pin", ">3.8,<3.11")
    assert p.returncode == 0 and (tmp_path / ".python-version").read_text() == ">3.8,<3.11\n"
    assert "resolves to 3.10.13, which is incompatible with the project's requires-python `>=3.11`" in p.stderr
    assert run("pin", "3.12").stderr == ""
    # an existing pin the project outgrew is reported when shown, and by find
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nrequires-python = ">=3.13"\n')
    p = run("pin")
    assert p.stdout == "3.12\n"
    assert "the pinned Python version `3.12` is incompatible with the project's requires-python `>=3.13`" in p.stderr
    p = run("find")
    assert p.returncode == 0
    assert "resolved to Python 3.12.1, which is incompatible with the project's requires-python `>=3.13`" in p.stderr


def test_workspace_members_are_checked_against_the_root_pin(
    run: Run, env: Dict[str, str], sources: Dict[str, Path], tmp_path: Path
) -> None:
    managed(env, sources, "3.12.1")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "root"\n[tool.uv.workspace]\nmembers = ["lib"]\n')
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "pyproject.toml").write_text('[project]\nname = "lib"\nrequires-python = ">=3.13"\n')
    (tmp_path / ".python-version").write_text("3.12\n")
    p = run("find", cwd=tmp_path / "lib")
    assert p.returncode == 0
    assert f"requires-python `>=3.13` ({tmp_path / 'lib' / 'pyproject.toml'})" in p.stderr
    assert run("pin", "3.12", cwd=tmp_path / "lib").returncode == 2


def test_an_active_venv_without_its_interpreter_is_an_error(
    run: Run, env: Dict[str, str], sources: Dict[str, Path], tmp_path: Path
) -> None:
    # uv: python_find.rs, "Failed to inspect Python interpreter from active virtual environment"
    managed(env, sources, "3.12.1")
    venv = tmp_path / ".venv"
    subprocess.run([str(sources["3.12.1"]), "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / "bin" / "python").unlink()
    (venv / "bin" / "python3").unlink()
    p = run("find", extra={"VIRTUAL_ENV": str(venv)})
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr.startswith(
        f"error: the active virtual environment {venv} has no Python interpreter; hint: "
        f"recreate it with `shimkit venv --clear {venv}`"
    )
    assert run("find", "--system", extra={"VIRTUAL_ENV": str(venv)}).returncode == 0


def test_find_27_finds_pyenvs_python2(run: Run, tmp_path: Path) -> None:
    # issue 17: pyenv users keep a 2.7 with only `python`/`python2`; Python 2 has no -I
    real = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions" / "2.7.18" / "bin" / "python2.7"
    if not real.exists():
        pytest.fail(f"the suite needs pyenv's 2.7.18 build at {real} (pyenv install 2.7.18)", pytrace=False)
    root = tmp_path / "pyenv"
    (root / "versions" / "2.7.18" / "bin").mkdir(parents=True)
    (root / "versions" / "2.7.18" / "bin" / "python").symlink_to(real)
    p = run("find", "2.7", "--output-format", "json", extra={"PYENV_ROOT": str(root)})
    assert p.returncode == 0, p.stderr
    row = json.loads(p.stdout)
    assert (row["version"], row["source"]) == ("2.7.18", "pyenv")
