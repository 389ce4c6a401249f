"""Transparent patch upgrades: bin entries and venvs follow the minor-version link.

Real 3.11.2 (Debian's) and 3.11.7 (pyenv's) interpreters, packaged as PBS archives and served from
the loopback mirror, installed by the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.cli import run_shimkit as run_cli

from shimkit.links import entries_for, install_entries
from shimkit.model.key import parse_key
from shimkit.store import Store

HOST = "linux-x86_64-gnu"
OLD, NEW = "3.11.2", "3.11.7"


def key(version: str) -> str:
    return f"cpython-{version}-{HOST}"


@pytest.fixture
def env(shimkit_env: dict) -> dict:
    return dict(shimkit_env)


def run(env: dict, *args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, cwd=cwd or Path(env["HOME"]), check=check)


def py(exe: Path, code: str) -> str:
    return subprocess.run(
        [str(exe), "-c", code], capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"}
    ).stdout.strip()


VERSION_AND_BASE = "import sys, os; print(sys.version.split()[0], os.path.realpath(sys._base_executable))"


def test_venvs_follow_upgrades_and_pinned_venv_stays(env: dict, tmp_path: Path, mirror) -> None:
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    bindir = Path(env["SHIMKIT_BIN_DIR"])
    run(env, "install", OLD, check=True)
    run(env, "venv", str(tmp_path / "follow"), "-p", "3.11", check=True)
    run(env, "venv", str(tmp_path / "pinned"), "-p", OLD, check=True)
    # a venv made by hand from the bin entry: pyvenv.cfg's home is the bin dir, and the interpreter
    # is found through the bin entry at each start, so the binary follows the link. Where the standard
    # library is found then depends on the interpreter (python-build-standalone's getpath patch; see
    # docs/upgrades.md): these locally built interpreters lack it, so only the binary is asserted.
    subprocess.run(
        [str(bindir / "python3.11"), "-m", "venv", "--without-pip", str(tmp_path / "byhand")],
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert f"home = {bindir}\n" in (tmp_path / "byhand" / "pyvenv.cfg").read_text()
    cfg = (tmp_path / "follow" / "pyvenv.cfg").read_text()
    assert f"home = {installs / f'cpython-3.11-{HOST}' / 'bin'}" in cfg
    assert f"home = {installs / key(OLD) / 'bin'}" in (tmp_path / "pinned" / "pyvenv.cfg").read_text()
    for name in ("follow", "pinned", "byhand"):
        assert py(tmp_path / name / "bin" / "python", VERSION_AND_BASE).startswith(OLD)

    dry = run(env, "upgrade", "--dry-run", check=True)
    assert f"{OLD} -> {NEW}" in dry.stdout
    assert key(NEW) not in os.listdir(installs)

    up = run(env, "upgrade", check=True)
    assert f"{OLD} -> {NEW}" in up.stdout
    assert os.readlink(installs / f"cpython-3.11-{HOST}") == key(NEW)
    assert (installs / key(OLD)).is_dir()  # old patches stay installed

    for name in ("follow", "byhand"):
        version, base = py(tmp_path / name / "bin" / "python", VERSION_AND_BASE).split()
        assert version == NEW
        assert base == str(installs / key(NEW) / "bin" / "python3.11")
    version, base = py(tmp_path / "pinned" / "bin" / "python", VERSION_AND_BASE).split()
    assert (version, base) == (OLD, str(installs / key(OLD) / "bin" / "python3.11"))
    assert py(bindir / "python3.11", "import sys; print(sys.version.split()[0])") == NEW

    again = run(env, "upgrade", check=True)
    assert "up to date" in again.stderr


def test_upgrade_rejects_patch_requests_and_unknown(env: dict, mirror) -> None:
    proc = run(env, "upgrade", "3.11.2")
    assert proc.returncode == 2
    assert "takes minor versions" in proc.stderr and "shimkit install 3.11.2" in proc.stderr
    proc = run(env, "upgrade", "3.10")
    assert proc.returncode == 2 and "3.10 is not installed" in proc.stderr


def test_upgrade_with_nothing_to_do_needs_no_network(env: dict, mirror) -> None:
    run(env, "install", NEW, check=True)
    e = {k: v for k, v in env.items() if k != "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL"}
    e["SHIMKIT_OFFLINE"] = "1"  # embedded metadata only; 3.11.7 is older than its newest 3.11, so a plan exists
    proc = run(e, "upgrade", "--dry-run", check=True)
    assert "3.11.7 ->" in proc.stdout


@pytest.mark.parametrize("command", [("upgrade",), ("upgrade", "3.11"), ("install", "3.11")])
def test_debris_of_a_killed_run_is_cleared_when_nothing_needs_doing(env: dict, mirror, command: tuple) -> None:
    # kill -9 after the commit rename but before the staging dir was deleted leaves an emptied
    # stage dir and possibly a stale link; the next command must repair both even if it has nothing to install
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    run(env, "install", OLD, NEW, check=True)
    stage = installs / ".temp" / f"stage-{key(NEW)}-0123456789"
    stage.mkdir(parents=True)
    link = installs / f"cpython-3.11-{HOST}"
    link.unlink()
    link.symlink_to(key(OLD))
    proc = run(env, *command, check=True)
    assert "up to date" in proc.stdout + proc.stderr or "already installed" in proc.stdout + proc.stderr
    assert os.listdir(installs / ".temp") == []
    assert os.readlink(link) == key(NEW)


def test_half_written_bin_entry_of_a_killed_run_is_swept(env: dict, mirror) -> None:
    installs, bindir = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]), Path(env["SHIMKIT_BIN_DIR"])
    run(env, "install", OLD, check=True)
    ours = bindir / ".python3.11.1a2b3c4d.tmp"  # what a kill between symlink() and rename() leaves
    ours.symlink_to(installs / f"cpython-3.11-{HOST}" / "bin" / "python3.11")
    foreign = bindir / ".python3.11.cafebabe.tmp"  # not shimkit's: left alone
    foreign.symlink_to("/usr/bin/python3")
    run(env, "upgrade", check=True)
    assert not ours.is_symlink()
    assert foreign.is_symlink()


def test_bin_ownership_and_force(env: dict, mirror) -> None:
    bindir = Path(env["SHIMKIT_BIN_DIR"])
    bindir.mkdir(parents=True)
    foreign = bindir / "python3.11"
    foreign.write_text("#!/bin/sh\necho mine\n")
    foreign.chmod(0o755)
    other = bindir / "unrelated-tool"
    other.write_text("keep me")
    proc = run(env, "install", OLD)
    assert proc.returncode == 1
    assert f"{foreign} exists and was not created by shimkit" in proc.stderr and "--force" in proc.stderr
    assert foreign.read_text() == "#!/bin/sh\necho mine\n"
    run(env, "install", OLD, "--force", check=True)
    assert os.readlink(foreign).endswith(f"cpython-3.11-{HOST}/bin/python3.11")
    assert other.read_text() == "keep me"
    # managed entries are updated freely; --default adds python3 and python
    run(env, "install", OLD, "--default", check=True)
    assert os.readlink(bindir / "python3") == os.readlink(foreign)
    assert os.readlink(bindir / "python") == os.readlink(foreign)
    run(env, "uninstall", "3.11", check=True)
    assert not any(p.is_symlink() for p in bindir.iterdir())
    assert other.read_text() == "keep me"


def test_no_bin_and_bin_dir_flag(env: dict, tmp_path: Path, mirror) -> None:
    run(env, "install", OLD, "--no-bin", check=True)
    assert not Path(env["SHIMKIT_BIN_DIR"]).exists()
    elsewhere = tmp_path / "my bin"
    proc = run(env, "install", OLD, "--bin-dir", str(elsewhere), check=True)
    assert (elsewhere / "python3.11").is_symlink()
    # a one-off --bin-dir is not what the shell hook adds: the hint says how to make it stick
    assert f"{elsewhere} is not on PATH; add it yourself" in proc.stderr and "SHIMKIT_BIN_DIR" in proc.stderr
    proc = run(env, "install", NEW, check=True)  # the configured bin dir (SHIMKIT_BIN_DIR here)
    assert "is not on PATH; run `shimkit update-shell` to add it" in proc.stderr


def test_uninstall_outdated(env: dict, tmp_path: Path, mirror) -> None:
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    run(env, "install", OLD, check=True)
    run(env, "venv", str(tmp_path / "pinned"), "-p", OLD, check=True)
    run(env, "install", NEW, check=True)
    dry = run(env, "uninstall", "--outdated", "--dry-run", check=True)
    assert f"would remove {key(OLD)}" in dry.stdout
    assert f"{tmp_path / 'pinned'}" in dry.stderr and "will stop working" in dry.stderr
    refused = run(env, "uninstall", "--outdated")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert (installs / key(OLD)).is_dir()
    done = run(env, "uninstall", "--outdated", "--yes", check=True)
    assert done.stderr.count(f"{tmp_path / 'pinned'} uses") == 1  # warned once
    assert f"recreate it afterwards with `shimkit venv --clear -p 3.11 {tmp_path / 'pinned'}`" in done.stderr
    assert not (installs / key(OLD)).exists()
    assert (installs / key(NEW)).is_dir()


@pytest.mark.parametrize("args", [["3.11"], [NEW], ["--all"]])
def test_uninstall_dry_run_changes_nothing(env: dict, tmp_path: Path, mirror, args: list) -> None:
    installs, bindir = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]), Path(env["SHIMKIT_BIN_DIR"])
    run(env, "install", OLD, NEW, check=True)
    run(env, "venv", str(tmp_path / "follow"), "-p", "3.11", check=True)
    before = sorted(os.listdir(installs)), sorted(os.listdir(bindir))
    proc = run(env, "uninstall", "--dry-run", *args, check=True)
    assert f"would remove {key(NEW)}" in proc.stdout
    assert (f"would remove {key(OLD)}" in proc.stdout) == (args != [NEW])
    assert "Uninstalled" not in proc.stderr
    assert (sorted(os.listdir(installs)), sorted(os.listdir(bindir))) == before
    if args != [NEW]:  # the link goes too: the following venv would break, and is named
        assert f"{tmp_path / 'follow'} uses cpython-3.11-{HOST}" in proc.stderr


def test_readers_never_fail_during_upgrades_and_reinstalls(env: dict, tmp_path: Path, mirror) -> None:
    """A loop runs the venv's python while upgrade / uninstall / reinstall cycles run beside it."""
    run(env, "install", OLD, check=True)
    run(env, "venv", str(tmp_path / "v"), "-p", "3.11", check=True)
    run(env, "venv", str(tmp_path / "pinned"), "-p", OLD, check=True)  # --reinstall OLD replaces its base
    failures: list[str] = []
    runs = 0
    stop = threading.Event()

    def reader(exe: Path) -> None:
        nonlocal runs
        while not stop.is_set():
            p = subprocess.run(
                [str(exe), "-I", "-S", "-c", "pass"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
            )
            runs += 1
            if p.returncode != 0:
                failures.append(f"{exe}: {p.stderr}")

    threads = [threading.Thread(target=reader, args=(tmp_path / v / "bin" / "python",)) for v in ("v", "pinned")]
    for t in threads:
        t.start()
    try:
        # --force: a reader may be running on 3.11.7 at that instant, and uninstall would leave
        # it in place (tests/test_running_processes.py); here the removal itself is under test
        for _ in range(2):
            run(env, "upgrade", check=True)  # 3.11.2 -> 3.11.7
            run(env, "uninstall", NEW, "--force", check=True)  # link back to 3.11.2 first, then 3.11.7 removed
            run(env, "install", NEW, check=True)  # link forward again
            run(env, "uninstall", NEW, "--force", check=True)
            run(env, "install", "--reinstall", OLD, check=True)  # swapped in one step: never absent
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert runs > 50
    assert failures == []


def test_freethreaded_keys_have_their_own_link_and_entry(tmp_path: Path, real_sources) -> None:
    """Naming and linking of free-threaded keys, at the store level.  No free-threaded interpreter
    exists on these machines, so the installations are real interpreter trees committed under
    free-threaded keys directly (the CLI path would, correctly, refuse them at verification)."""
    source = next(s for s in real_sources if (s.major, s.minor) >= (3, 13))  # free-threading exists from 3.13
    store = Store(tmp_path / "installs")
    mm = f"{source.major}.{source.minor}"
    regular = parse_key(f"cpython-{source.version}-{HOST}")
    threaded = parse_key(f"cpython-{source.version}+freethreaded-{HOST}")
    with store.locked():
        for k in (regular, threaded):
            staged = store.new_staging_dir("t") / "python"
            (staged / "bin").mkdir(parents=True)
            name = f"python{mm}t" if k.freethreaded else f"python{mm}"
            os.symlink(source.executable, staged / "bin" / name)
            store.commit(staged, k)
            store.sync_minor_link(k)
    links = store.minor_links()
    assert links[f"cpython-{mm}-{HOST}"] == str(regular)
    assert links[f"cpython-{mm}+freethreaded-{HOST}"] == str(threaded)
    inst = store.find(threaded)
    assert inst is not None
    entries = entries_for(store, inst)
    assert [e.name for e in entries] == [f"python{mm}t"]
    assert str(entries[0].target) == str(store.root / f"cpython-{mm}+freethreaded-{HOST}" / "bin" / f"python{mm}t")
    report = install_entries(entries, tmp_path / "bin", store.root)
    assert report.created == [tmp_path / "bin" / f"python{mm}t"]
    # a free-threaded request never selects the regular build and vice versa
    from shimkit.model.request import parse_request

    assert parse_request(f"{mm}t").matches_key(threaded) and not parse_request(f"{mm}t").matches_key(regular)
    assert parse_request(mm).matches_key(regular) and not parse_request(mm).matches_key(threaded)


def test_broken_pinned_venv_is_reported(env: dict, tmp_path: Path, mirror) -> None:
    run(env, "install", OLD, NEW, check=True)
    run(env, "venv", str(tmp_path / "pinned"), "-p", OLD, check=True)
    proc = run(env, "uninstall", OLD, check=True)
    assert f"{tmp_path / 'pinned'} uses {key(OLD)}" in proc.stderr
    listing = run(env, "list", "--only-installed", check=True)
    assert "broken" in listing.stderr and str(tmp_path / "pinned") in listing.stderr
    shutil.rmtree(tmp_path / "pinned")
    assert "broken" not in run(env, "list", "--only-installed", check=True).stderr


def test_uninstalling_the_last_patch_warns_about_venvs_that_follow_the_minor(env: dict, tmp_path: Path, mirror) -> None:
    run(env, "install", OLD, NEW, check=True)
    follow = tmp_path / "follow"
    run(env, "venv", str(follow), "-p", "3.11", check=True)
    proc = run(env, "uninstall", NEW, check=True)  # the link moves back to OLD: the venv keeps working
    assert str(follow) not in proc.stderr
    assert py(follow / "bin" / "python", "import sys; print(sys.version.split()[0])") == OLD
    proc = run(env, "uninstall", "3.11", check=True)  # the link goes with the last patch
    assert f"{follow} uses cpython-3.11-{HOST} and will stop working" in proc.stderr
    assert f"`shimkit venv --clear -p 3.11 {follow}`" in proc.stderr  # a command that can be run as is


def test_reinstall_swaps_the_installation_in_one_step(env: dict, tmp_path: Path, mirror) -> None:
    """`install --reinstall` of a patch venvs and programs are using: the kernel swaps the new tree
    with the old one (renameat2 RENAME_EXCHANGE), so the path never stops existing. The renames are
    read from strace: a timing-based reader loop cannot see a gap of a few microseconds."""
    import sys

    if shutil.which("strace") is None:
        pytest.fail("strace is not installed; CI installs it with: apt-get install strace", pytrace=False)
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    run(env, "install", OLD, check=True)
    marker = installs / key(OLD) / "old-tree-marker"
    marker.write_text("")
    log = tmp_path / "renames.strace"
    proc = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=rename,renameat,renameat2",
            "-o",
            str(log),
            sys.executable,
            "-m",
            "shimkit",
            "install",
            "--reinstall",
            OLD,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    dest = str(installs / key(OLD))
    touching = [line for line in log.read_text().splitlines() if f'"{dest}"' in line]
    assert len(touching) == 1 and "RENAME_EXCHANGE" in touching[0], touching
    assert not marker.exists()  # the new tree is in place, the old one deleted
    assert os.listdir(installs / ".temp") == []
    assert py(installs / key(OLD) / "bin" / "python3.11", "import sys; print(sys.version.split()[0])") == OLD


def test_exchange_swaps_two_directories(tmp_path: Path) -> None:
    from shimkit.swap import exchange

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from-a").write_text("")
    assert exchange(a, b) is True
    assert os.listdir(a) == [] and os.listdir(b) == ["from-a"]
    with pytest.raises(FileNotFoundError):
        exchange(a, tmp_path / "missing")


def test_upgrade_reads_the_download_list_once(env: dict, mirror) -> None:
    # One request for the list per command, however many steps look at it (the plan, the install).
    run(env, "install", "3.11.2", "--no-bin", check=True)
    path = urlsplit(mirror.downloads_json_url).path
    mirror.server.clear_requests()
    run(env, "upgrade", "3.11", check=True)
    assert [r.method for r in mirror.server.requests_for(path)] == ["GET"]
    assert (Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]) / key("3.11.7")).is_dir()
