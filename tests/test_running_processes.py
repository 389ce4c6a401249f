"""Upgrades never break running processes (issue 19).

Real 3.11.2 (Debian's) and 3.11.7 (pyenv's) interpreters, packaged as PBS archives and served from
the loopback mirror, installed by the real CLI; venvs made by `shimkit venv`, `python -m venv`,
`uv venv` and virtualenv (the real tools, from the test venv) on top of the minor-version link.
Processes start on 3.11.2, wait, `shimkit upgrade` moves the link to 3.11.7 under them, and then
they import C extension modules of the standard library."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.cli import run_shimkit as run_cli

HOST = "linux-x86_64-gnu"
OLD, NEW = "3.11.2", "3.11.7"
LINK = f"cpython-3.11-{HOST}"
TOOLS = Path(sys.executable).parent  # uv and virtualenv come with the test extra

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the PBS test archives are Linux builds")

# What a waiting process does once told to go on: import C extensions it has not loaded yet and
# say which interpreter it is and where those extensions came from.
WAIT_THEN_IMPORT = r"""
import sys
print("ready", flush=True)
sys.stdin.readline()
import asyncio, ctypes, decimal, hashlib, json, sqlite3, ssl
import _asyncio, _ctypes, _decimal, _hashlib, _json, _sqlite3, _ssl
decimal.Decimal(1) / decimal.Decimal(7)
sqlite3.connect(":memory:").execute("select 1").fetchall()
ssl.create_default_context()
print(sys.version.split()[0])
for m in (_asyncio, _ctypes, _decimal, _hashlib, _json, _sqlite3, _ssl):
    print(m.__file__)
"""


def key(version: str) -> str:
    return f"cpython-{version}-{HOST}"


@pytest.fixture
def env(shimkit_env: dict, tmp_path: Path) -> dict:
    return dict(shimkit_env)


def run(env: dict, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, cwd=Path(env["HOME"]), check=check)


def tool_env(env: dict, tmp_path: Path) -> dict:
    """For uv and virtualenv: nothing from the network or the developer's caches."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": env["HOME"],
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_CONFIG": "1",
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "VIRTUALENV_OVERRIDE_APP_DATA": str(tmp_path / "virtualenv-data"),
    }


def make_venvs(env: dict, tmp_path: Path) -> dict[str, Path]:
    """One venv of each kind, all made from the interpreter through the minor-version link."""
    link_python = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]) / LINK / "bin" / "python3.11"
    venvs = {name: tmp_path / name for name in ("shimkit-venv", "python-m-venv", "uv-venv", "virtualenv")}
    run(env, "venv", str(venvs["shimkit-venv"]), "-p", "3.11", check=True)
    tenv = tool_env(env, tmp_path)
    commands = {
        "python-m-venv": [str(link_python), "-m", "venv", "--without-pip"],
        "uv-venv": [str(TOOLS / "uv"), "venv", "-q", "-p", str(link_python)],
        "virtualenv": [
            str(TOOLS / "virtualenv"),
            "-q",
            "--no-pip",
            "--no-setuptools",
            "--no-wheel",
            "-p",
            str(link_python),
        ],
    }
    for name, cmd in commands.items():
        subprocess.run([*cmd, str(venvs[name])], check=True, env=tenv, capture_output=True, text=True, timeout=120)
    for name, venv in venvs.items():  # each follows upgrades: the precondition of everything below
        assert f"home = {link_python.parent}" in (venv / "pyvenv.cfg").read_text(), name
    return venvs


def start(argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*argv, "-c", WAIT_THEN_IMPORT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
    )


def wait_ready(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline()
        assert line == "ready\n", (p.args, line, p.stderr.read() if p.stderr else "")


def go_on(p: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = p.communicate("go\n", timeout=120)
    return p.returncode, out, err


def failure(returncode: int, out: str, err: str, installs: Path) -> str | None:
    """Why a process that started on OLD did not finish on OLD, or None."""
    if returncode != 0:
        return err.strip().splitlines()[-1] if err.strip() else f"exit {returncode}"
    lines = out.split()
    if lines[0] != OLD:
        return f"reports {lines[0]}"
    strays = [f for f in lines[1:] if not f.startswith(f"{installs / key(OLD)}{os.sep}")]
    return f"extensions from {strays}" if strays else None


def test_processes_keep_their_patch_through_an_upgrade(env: dict, tmp_path: Path, mirror) -> None:
    """10 processes of each kind (the installation, four kinds of venvs; each with and without -I):
    110 process runs, the upgrade lands while all of them wait, none may fail."""
    installs, bindir = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]), Path(env["SHIMKIT_BIN_DIR"])
    run(env, "install", OLD, check=True)
    venvs = make_venvs(env, tmp_path)
    kinds: dict[str, list[str]] = {"installation": [str(bindir / "python3.11")]}
    kinds.update({name: [str(v / "bin" / "python")] for name, v in venvs.items()})
    kinds.update({f"{name} -I": [*argv, "-I"] for name, argv in list(kinds.items())})
    per_kind = 10
    procs = [(name, start(argv)) for name, argv in kinds.items() for _ in range(per_kind)]
    procs.append(
        ("python-m-venv -I -X frozen_modules=off", start([*kinds["python-m-venv"], "-I", "-X", "frozen_modules=off"]))
    )
    try:
        wait_ready([p for _, p in procs])
        up = run(env, "upgrade", "3.11", check=True)
        assert f"{OLD} -> {NEW}" in up.stdout
        assert os.readlink(installs / LINK) == key(NEW)
        results = [(name, go_on(p)) for name, p in procs]
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    failures = [(name, why) for name, r in results if (why := failure(*r, installs))]
    assert len(results) >= 100
    assert failures == [], f"{len(failures)} of {len(results)} failed: {failures[:5]}"
    # new processes get the new patch
    for argv in kinds.values():
        proc = subprocess.run(
            [*argv, "-c", "import _ssl, sys; print(sys.version.split()[0], _ssl.__file__)"],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        version, ssl_file = proc.stdout.split()
        assert version == NEW and ssl_file.startswith(str(installs / key(NEW))), argv


def test_without_site_a_process_follows_the_link(env: dict, tmp_path: Path, mirror) -> None:
    """-S skips site, and with it the hook: such a process keeps loading modules through the link,
    so after an upgrade its new imports come from the new patch (what docs/upgrades.md says)."""
    installs, bindir = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]), Path(env["SHIMKIT_BIN_DIR"])
    run(env, "install", OLD, check=True)
    probe = "import sys; print('ready', flush=True); sys.stdin.readline(); import _json; print(_json.__file__)"
    p = subprocess.Popen(
        [str(bindir / "python3.11"), "-S", "-c", probe],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        wait_ready([p])
        run(env, "upgrade", "3.11", check=True)
        out, _err = p.communicate("go\n", timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    # _json from 3.11.7 happens to load into 3.11.2; _ssl, _decimal and others do not
    assert out.strip().startswith(str(installs / LINK / "lib"))


def test_the_hook_hands_over_to_the_users_own_customizations(env: dict, tmp_path: Path, mirror) -> None:
    """A sitecustomize and a .pth file in a venv's site-packages, and a usercustomize in the user
    site of the installation itself, all still run, once, after the hook."""
    installs, bindir = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]), Path(env["SHIMKIT_BIN_DIR"])
    run(env, "install", OLD, check=True)
    hook = installs / key(OLD) / "lib" / "python3.11" / "sitecustomize.py"
    assert b"shimkit: keep this process" in hook.read_bytes()
    assert list((hook.parent / "__pycache__").glob("sitecustomize.cpython-311*.pyc"))  # no start compiles it
    venv = tmp_path / "v"
    run(env, "venv", str(venv), "-p", "3.11", check=True)
    site_packages = venv / "lib" / "python3.11" / "site-packages"
    (site_packages / "sitecustomize.py").write_text("import sys\nsys.stderr.write('user sitecustomize\\n')\n")
    (site_packages / "mine.pth").write_text("import sys; sys.stderr.write('user pth\\n')\n")
    code = "import sys, sitecustomize; print(sitecustomize.__file__, sys.base_prefix)"
    for flags in ([], ["-I"]):
        proc = subprocess.run(
            [str(venv / "bin" / "python"), *flags, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert proc.stderr.count("user sitecustomize\n") == 1, proc.stderr
        assert "user pth\n" in proc.stderr
        assert proc.stdout.split() == [str(site_packages / "sitecustomize.py"), str(installs / key(OLD))]

    home = Path(env["HOME"])
    user_site = subprocess.run(
        [str(bindir / "python3.11"), "-c", "import site; print(site.getusersitepackages())"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
    ).stdout.strip()
    assert user_site.startswith(str(home))
    Path(user_site).mkdir(parents=True)
    (Path(user_site) / "usercustomize.py").write_text("import sys\nsys.stderr.write('user usercustomize\\n')\n")
    proc = subprocess.run(
        [str(bindir / "python3.11"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
    )
    assert proc.stderr == "user usercustomize\n"
    assert proc.stdout.strip() == str(installs / key(OLD))


def test_installations_made_before_the_hook_get_it_on_the_next_install(env: dict, mirror) -> None:
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    run(env, "install", OLD, check=True)
    hook = installs / key(OLD) / "lib" / "python3.11" / "sitecustomize.py"
    hook.unlink()  # what an older shimkit left
    run(env, "upgrade", check=True)
    assert b"shimkit: keep this process" in hook.read_bytes()
    assert (installs / key(NEW) / "lib" / "python3.11" / "sitecustomize.py").read_bytes() == hook.read_bytes()


def test_uninstall_leaves_a_patch_that_a_process_still_runs(env: dict, tmp_path: Path, mirror) -> None:
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    run(env, "install", OLD, check=True)
    venv = tmp_path / "v"
    run(env, "venv", str(venv), "-p", "3.11", check=True)
    p = start([str(venv / "bin" / "python")])
    try:
        wait_ready([p])
        run(env, "upgrade", check=True)
        dry = run(env, "uninstall", "--outdated", "--dry-run", check=True)
        assert f"{key(OLD)} is in use by pid {p.pid} ({venv / 'bin' / 'python'} -c " in dry.stderr
        kept = run(env, "uninstall", "--outdated", "--yes", check=True)
        assert f"{key(OLD)} is in use by pid {p.pid} ({venv / 'bin' / 'python'} -c " in kept.stderr
        assert "left in place" in kept.stderr and "Uninstalled" not in kept.stderr
        assert (installs / key(OLD)).is_dir()
        named = run(env, "uninstall", OLD)  # asked for by name: an error, the others still go
        assert named.returncode == 1
        assert named.stderr.startswith(f"error: {key(OLD)} is in use by pid {p.pid} (")
        assert "; hint: " in named.stderr and "--force" in named.stderr
        assert (installs / key(OLD)).is_dir()
        returncode, out, err = go_on(p)  # the process finishes its imports on its own patch
        assert failure(returncode, out, err, installs) is None, err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    done = run(env, "uninstall", "--outdated", "--yes", check=True)
    assert f"Uninstalled {key(OLD)}" in done.stderr and "in use" not in done.stderr
    assert not (installs / key(OLD)).exists()


def test_uninstall_force_removes_a_patch_in_use(env: dict, tmp_path: Path, mirror) -> None:
    installs, bindir = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]), Path(env["SHIMKIT_BIN_DIR"])
    run(env, "install", OLD, NEW, check=True)
    pinned = tmp_path / "pinned"
    run(env, "venv", str(pinned), "-p", OLD, check=True)
    p = start([str(pinned / "bin" / "python")])
    try:
        wait_ready([p])
        assert run(env, "uninstall", OLD).returncode == 1
        run(env, "uninstall", OLD, "--force", check=True)
        assert not (installs / key(OLD)).exists()
    finally:
        p.kill()
        p.wait()
    assert (bindir / "python3.11").exists()


@pytest.mark.parametrize(
    "link, version_info, patch",
    [
        ("cpython-3.12-linux-x86_64-gnu", (3, 12, 11, "final", 0), "cpython-3.12.11-linux-x86_64-gnu"),
        ("cpython-3.14-linux-x86_64-gnu", (3, 14, 0, "candidate", 1), "cpython-3.14.0rc1-linux-x86_64-gnu"),
        (
            "cpython-3.13+freethreaded-linux-aarch64-gnu",
            (3, 13, 1, "final", 0),
            "cpython-3.13.1+freethreaded-linux-aarch64-gnu",
        ),
        (
            "cpython-3.14+debug-windows-x86_64-none",
            (3, 14, 0, "alpha", 3),
            "cpython-3.14.0a3+debug-windows-x86_64-none",
        ),
        ("cpython-3.12.11-linux-x86_64-gnu", (3, 12, 11, "final", 0), None),  # started from the patch dir
        ("cpython-3.11-linux-x86_64-gnu", (3, 12, 11, "final", 0), None),  # not this interpreter's minor
        ("python", (3, 12, 11, "final", 0), None),  # not a shimkit installation
    ],
)
def test_the_hook_names_the_patch_of_the_running_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, link: str, version_info: tuple, patch: str | None
) -> None:
    """The hook's choice of patch directory, for the key shapes shimkit makes (the interpreters on
    this machine cover only plain 3.11; sys.version_info is set by hand here)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "pin_hook", Path(__file__).parents[1] / "shimkit" / "pin_sitecustomize.py"
    )
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)  # not named sitecustomize: defines its functions, runs nothing
    for name in (link, patch):
        if name:
            (tmp_path / name).mkdir(exist_ok=True)
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path / link))
    monkeypatch.setattr(sys, "version_info", version_info)
    expected = (str(tmp_path / link), str(tmp_path / patch)) if patch else None
    assert hook._link_and_patch() == expected
    if patch:  # a patch directory that is gone (removed with --force): the process is left alone
        (tmp_path / patch).rmdir()
        assert hook._link_and_patch() is None
