"""The install dir after accidents and tampering: a ``.temp`` or ``.lock`` that is a planted
symlink, debris of a killed ``uninstall``, an interpreter that hangs (and starts processes of
its own), a read-only install dir under ``venv``.  Everything runs for real: the CLI as a
subprocess, real interpreters and venvs, a real read-only bind mount (in a private mount
namespace: as root, permissions alone would not stop a write)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from support import cli, pbs

from shimkit import platform as shimkit_platform
from shimkit.errors import ShimkitError, StoreError, VerificationError
from shimkit.store import Store

HOST = str(shimkit_platform.host())


@pytest.fixture
def env(tmp_path: Path) -> Dict[str, str]:
    return dict(cli.isolated_env(tmp_path), SHIMKIT_PYTHON_DOWNLOADS="never", SHIMKIT_PROBE_TIMEOUT="5")


def installs(env: Dict[str, str]) -> Path:
    return Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])


def victim_dir(tmp_path: Path) -> Path:
    d = tmp_path / "someone else's dir"
    (d / "sub").mkdir(parents=True)
    (d / "notes.txt").write_text("keep me\n")
    (d / "sub" / "more.txt").write_text("and me\n")
    return d


def tree(d: Path) -> List[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


# ---- 10: store paths that are not what they should be -----------------------------------
def test_a_temp_dir_that_is_a_symlink_is_refused_and_nothing_behind_it_deleted(
    tmp_path: Path, env: Dict[str, str]
) -> None:
    victim = victim_dir(tmp_path)
    root = installs(env)
    root.mkdir()
    (root / ".temp").symlink_to(victim)
    before = tree(victim)
    for args in (["uninstall", "--all"], ["doctor", "--fix"]):
        proc = cli.run_shimkit(*args, env=env, cwd=tmp_path)
        assert tree(victim) == before, (args, proc.stderr)
    proc = cli.run_shimkit("uninstall", "--all", env=env, cwd=tmp_path)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode != 0 and len(errors) == 1, proc.stderr
    assert "refusing to use" in errors[0] and "symbolic link" in errors[0] and "hint:" in errors[0], errors
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["symlink to a file", "directory", "fifo"])
def test_a_lock_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "installs"
    root.mkdir()
    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    lock = root / ".lock"
    if kind == "symlink to a file":
        lock.symlink_to(victim)
    elif kind == "directory":
        lock.mkdir()
    else:
        os.mkfifo(lock)
    with pytest.raises(StoreError, match="refusing to use"), Store(root).locked():
        pass
    assert victim.read_text() == "precious\n"  # filelock opens with O_TRUNC: never through a link


def test_a_temp_that_is_a_file_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "installs"
    root.mkdir()
    (root / ".temp").write_text("x")
    with pytest.raises(StoreError, match="not a directory"), Store(root).locked():
        pass


# ---- 12: debris of a killed uninstall is cleared by the next mutating command -------------
def _debris(root: Path) -> Path:
    """What ``kill -9`` during uninstall's tree deletion leaves: a half-deleted tree in .temp."""
    trash = root / ".temp" / f"trash-cpython-3.12.1-{HOST}-1a2b3c4d"
    for i in range(50):
        p = trash / "lib" / "python3.12" / f"mod{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x = 1\n" * 100)
    ro = trash / "lib" / "python3.12" / "readonly"
    ro.mkdir()
    (ro / "f").write_text("x")
    ro.chmod(0o500)
    return trash


@pytest.mark.parametrize("args", [["uninstall", "3.99"], ["uninstall", "--outdated", "--yes"], ["uninstall", "--all"]])
def test_every_uninstall_clears_what_a_killed_one_left(tmp_path: Path, env: Dict[str, str], args: List[str]) -> None:
    root = installs(env)
    _debris(root)
    cli.run_shimkit(*args, env=env, cwd=tmp_path)
    assert list((root / ".temp").iterdir()) == []


def test_a_dry_run_leaves_debris_alone(tmp_path: Path, env: Dict[str, str]) -> None:
    root = installs(env)
    trash = _debris(root)
    cli.run_shimkit("uninstall", "--all", "--dry-run", env=env, cwd=tmp_path)
    assert trash.exists()


# ---- 11: hanging interpreters are killed with everything they started ----------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (reaped by nobody yet) is dead too
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_dead(pid: int, limit: float = 10.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _hanging_python(path: Path, pidfile: Path, when: str = "") -> Path:
    """A fake interpreter that starts a grandchild (detached from its pipes) and hangs; with
    ``when``, only when that argument is given, else it runs the real interpreter."""
    real = shlex.quote(sys.executable)
    body = f"""\
        #!/bin/sh
        hang() {{
          sleep 300 </dev/null >/dev/null 2>&1 &
          echo $! > {shlex.quote(str(pidfile))}
          exec sleep 300
        }}
        """
    if when:
        body += f"""\
        for a in "$@"; do if [ "$a" = {shlex.quote(when)} ]; then hang; fi; done
        exec {real} "$@"
        """
    else:
        body += "hang\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body))
    path.chmod(0o755)
    return path


def test_a_probe_that_hangs_is_killed_with_its_grandchildren(tmp_path: Path) -> None:
    from shimkit.probe import probe

    pidfile = tmp_path / "grandchild.pid"
    exe = _hanging_python(tmp_path / "bin" / "python3", pidfile)
    with pytest.raises(VerificationError, match="did not answer within 1s"):
        probe(exe, timeout=1)
    grandchild = int(pidfile.read_text())
    assert _wait_dead(grandchild), "the probe's grandchild survived its timeout"


def test_compileall_that_hangs_fails_the_install_step_and_leaves_nothing_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shimkit import installer
    from shimkit.model.key import parse_key

    key = parse_key(f"cpython-3.12.1-{HOST}")
    root = tmp_path / "staged"
    pidfile = tmp_path / "grandchild.pid"
    _hanging_python(root / "bin" / "python3.12", pidfile, when="compileall")
    (root / "lib" / "python3.12").mkdir(parents=True)
    monkeypatch.setenv("SHIMKIT_COMPILE_TIMEOUT", "1")
    with pytest.raises(ShimkitError, match="did not finish within 1s"):
        installer._compile_bytecode(root, key)
    assert _wait_dead(int(pidfile.read_text())), "compileall's child survived the timeout"


def test_a_killed_shimkit_takes_its_hanging_helper_down(tmp_path: Path) -> None:
    """kill -9 of shimkit while compileall runs: the helper does not keep running from staging."""
    pidfile = tmp_path / "grandchild.pid"
    root = tmp_path / "staged"
    _hanging_python(root / "bin" / "python3.12", pidfile, when="compileall")
    (root / "lib" / "python3.12").mkdir(parents=True)
    driver = (
        "import sys; from pathlib import Path; from shimkit import installer; from shimkit.model.key import parse_key; "
        f"installer._compile_bytecode(Path({str(root)!r}), parse_key('cpython-3.12.1-{HOST}'))"
    )
    proc = subprocess.Popen([sys.executable, "-c", driver], start_new_session=True)
    try:
        end = time.monotonic() + 30
        while not pidfile.exists() and time.monotonic() < end:
            time.sleep(0.05)
        assert pidfile.exists(), "compileall never started"
        helper = _helper_pid(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert helper is not None and _wait_dead(helper), "the compileall process outlived shimkit"
        # and what compileall itself started (its worker processes, here a sleep)
        assert _wait_dead(int(pidfile.read_text())), "compileall's child outlived shimkit"
    finally:
        if proc.poll() is None:
            proc.kill()
        if pidfile.exists():  # never leave the sleeping grandchild behind, whatever happened
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


def _helper_pid(parent: int) -> Optional[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().split(")")[-1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                return int(entry)
    return None


# ---- 13: venv with a read-only install dir ------------------------------------------------
def test_venv_with_a_read_only_install_dir_creates_it_and_exits_0(
    tmp_path: Path, env: Dict[str, str], real_sources: List[pbs.InterpreterSource]
) -> None:
    src = next(s for s in real_sources if (s.major, s.minor) == (3, 12))
    root = installs(env)
    mm = f"{src.major}.{src.minor}"
    name = f"cpython-{src.version}-{HOST}"
    (root / name / "bin").mkdir(parents=True)
    (root / name / "bin" / f"python{mm}").symlink_to(src.executable)
    (root / f"cpython-{mm}-{HOST}").symlink_to(name)
    venv = tmp_path / "work" / ".venv"
    venv.parent.mkdir()
    ro = shlex.quote(str(root))
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "shimkit", "venv", "-p", mm, str(venv)])
    script = (
        f"mount --bind {ro} {ro}\nmount -o remount,bind,ro {ro}\n"
        f"touch {ro}/probe 2>/dev/null && {{ echo 'the bind mount is writable' >&2; exit 3; }}\n"
        f"{cmd}\n"
    )
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-euc", script],
        env=env,
        cwd=str(venv.parent),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "read-only" in warnings[0].lower(), proc.stderr
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(venv)
    assert not (root / ".venvs.json").exists()
