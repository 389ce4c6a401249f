"""Fixtures for running the Windows launcher under wine.

Everything real: the launcher binaries shipped in ``shimkit/launchers``, a test program built
from ``target.c`` with mingw-w64 at test time, and wine (Debian packages) to run them.  Missing
tools fail the tests with the packages to install; CI installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest
from filelock import FileLock

HERE = Path(__file__).resolve().parent
MINGW_GCC = "x86_64-w64-mingw32-gcc"


def need_tool(name: str, packages: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install it with `apt-get install -y {packages}` (CI does)", pytrace=False)
    return path


@dataclass
class Wine:
    """A private wine prefix, booted once per test session."""

    env: dict[str, str]

    def run(
        self,
        exe: Path,
        *,
        args: Optional[list[str]] = None,
        extra_env: Optional[dict[str, str]] = None,
        stdin: bytes = b"",
        cwd: Optional[Path] = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a Windows program; wine turns ``args`` into its command line."""
        env = dict(self.env)
        env.update(extra_env or {})
        return subprocess.run(
            ["wine", str(exe), *(args or [])],
            input=stdin,
            capture_output=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
        )


def _wine_env(prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WINE", "PYTHON", "__PYVENV")) and k != "DISPLAY"}
    env.update(
        WINEPREFIX=str(prefix),
        WINEDEBUG="-all",  # also silences Debian's "wine32 is missing" hint on stderr
        WINEDLLOVERRIDES="mscoree,mshtml=d",  # no Mono/Gecko install prompts
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",  # non-ASCII arguments survive the Unix <-> Windows conversions
    )
    return env


def _boot(prefix: Path, env: dict[str, str]) -> None:
    started = time.monotonic()
    prefix.mkdir()
    # A persistent server (it daemonizes, in a session of its own): it stays up between the many
    # short wine runs instead of exiting 3 s after each, and a test signalling the process group
    # of the wine processes it started cannot hit it.
    subprocess.run(
        ["wineserver", "-p"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        check=True,
    )
    # To a file, not a pipe: the services wineboot starts keep its output handles open for as
    # long as the server lives, so reading a pipe to its end would never finish.
    log = prefix.parent / "wineboot.log"
    with open(log, "wb") as out:
        boot = subprocess.run(["wineboot", "-i"], env=env, stdout=out, stderr=out, timeout=300)
    if boot.returncode != 0:
        pytest.fail(f"wineboot failed ({boot.returncode}): {log.read_text(errors='replace')}", pytrace=False)
    (prefix / ".booted").touch()
    print(f"wine prefix booted in {time.monotonic() - started:.1f}s")


@pytest.fixture(scope="session")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    """One wine prefix per test run, shared by the xdist workers: booting one takes ~10 s of
    CPU and ~700 MB of disk.  The last worker to finish shuts it down and deletes it."""
    need_tool("wine", "wine")
    need_tool("wineserver", "wine")
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's directory, common to its workers
    prefix = root / "wineprefix"
    users = root / "wineprefix.users"
    env = _wine_env(prefix)
    with FileLock(str(root / "wineprefix.lock")):
        if not (prefix / ".booted").exists():
            shutil.rmtree(prefix, ignore_errors=True)  # a boot that failed half-way
            _boot(prefix, env)
        users.write_text(str(int(users.read_text() or 0) + 1 if users.exists() else 1))
    try:
        yield Wine(env)
    finally:
        with FileLock(str(root / "wineprefix.lock")):
            left = int(users.read_text()) - 1
            users.write_text(str(left))
            if left == 0:
                subprocess.run(["wineserver", "-k"], env=env, capture_output=True, timeout=60)
                shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(scope="session")
def target_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/windows/target.c built for x86_64 Windows."""
    gcc = need_tool(MINGW_GCC, "mingw-w64")
    out = tmp_path_factory.mktemp("target") / "target.exe"
    subprocess.run(
        [gcc, "-O1", "-Wall", "-Wextra", "-Werror", "-municode", "-s", "-o", str(out), str(HERE / "target.c")],
        check=True,
    )
    return out
