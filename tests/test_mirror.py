"""`shimkit mirror sync/verify` end to end: real archives of real interpreters fetched from the suite's
loopback mirror ("upstream") by the real CLI, the synced directory then served by a second loopback
server (or read through file://) and installed from by `shimkit install` and by uv."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from support import cli, metadata
from support.mirror import Mirror
from support.pbs import BuiltArchive
from support.server import LoopbackServer

HOST = "linux-x86_64-gnu"
PBS_PREFIX = metadata.UPSTREAM_BASE_URL + "/"


def run(env: Dict[str, str], *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return cli.run_shimkit(*args, env=env, cwd=env["HOME"], check=check)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed(mirror_dir: Path) -> Dict[str, dict]:
    return json.loads((mirror_dir / "python-downloads.json").read_text())


def sums(mirror_dir: Path) -> Dict[str, str]:
    out = {}
    for line in (mirror_dir / "SHA256SUMS").read_text().splitlines():
        sha, rel = line.split("  ", 1)
        out[rel] = sha
    return out


def archive_gets(server: LoopbackServer) -> List[str]:
    return [r.path for r in server.requests if r.method == "GET" and r.path.endswith((".tar.gz", ".tar.zst"))]


@pytest.fixture
def env(shimkit_env: Dict[str, str]) -> Dict[str, str]:
    """The syncing machine: reads the upstream (suite) mirror's downloads.json."""
    return {**shimkit_env, "SHIMKIT_HTTP_BACKOFF": "0.05"}


@pytest.fixture
def a311(pbs_archives: Dict[str, BuiltArchive]) -> BuiltArchive:
    return pbs_archives["3.11.7"]


@pytest.fixture
def a312(pbs_archives: Dict[str, BuiltArchive]) -> BuiltArchive:
    return pbs_archives[max((v for v in pbs_archives if v.startswith("3.12.")), key=lambda v: int(v.split(".")[2]))]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[LoopbackServer]:
    """A second server, serving the synced mirror directory ``tmp_path / "mirror"`` as plain files."""
    root = tmp_path / "mirror"
    root.mkdir()
    with LoopbackServer(root) as server:
        yield server


def machine(tmp_path: Path, name: str) -> Dict[str, str]:
    """A fresh machine (own HOME, cache, install and bin dirs) with no download list configured."""
    return cli.isolated_env(tmp_path / name)


def test_sync_writes_archives_checksums_and_metadata(env, tmp_path, mirror: Mirror, a311, a312) -> None:
    dest = tmp_path / "mirror"
    proc = run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    assert f"downloaded cpython-{a312.version}-{HOST}" in proc.stdout
    for a in (a311, a312):
        path = dest / a.build / a.filename
        assert sha256(path) == a.sha256
        assert sums(dest)[f"{a.build}/{a.filename}"] == a.sha256
    doc = listed(dest)
    assert sorted(doc) == sorted([f"cpython-3.11.7-{HOST}", f"cpython-{a312.version}-{HOST}"])
    entry = doc[f"cpython-{a312.version}-{HOST}"]
    # upstream URLs (a prefix swap maps them onto the mirror) and the fields uv and shimkit read
    assert entry["url"] == metadata.archive_url(a312, metadata.UPSTREAM_BASE_URL)
    assert (entry["name"], entry["os"], entry["libc"], entry["arch"]) == (
        "cpython",
        "linux",
        "gnu",
        {"family": "x86_64", "variant": None},
    )
    assert (entry["major"], entry["minor"], entry["patch"], entry["sha256"], entry["build"]) == (
        a312.major,
        a312.minor,
        a312.patch,
        a312.sha256,
        a312.build,
    )
    assert sorted(archive_gets(mirror.server)) == sorted(f"/{a.url_path}" for a in (a311, a312))
    assert not (dest / ".shimkit-sync").exists()
    # sha256sum itself accepts the file
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dest, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_sync_for_other_platforms(env, tmp_path, mirror: Mirror, a312) -> None:
    # an aarch64 archive upstream (the same bytes under the aarch64 name: sync only checks the checksum)
    name = a312.filename.replace("x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu")
    copy = tmp_path / "upstream" / name
    copy.parent.mkdir()
    shutil.copy(a312.path, copy)
    mirror.server.add_file(f"/{a312.build}/{name}", copy)
    _key, entry = metadata.entry_for(a312, mirror.url)
    entry = {
        **entry,
        "arch": {"family": "aarch64", "variant": None},
        "url": f"{mirror.url}/{a312.build}/{name.replace('+', '%2B')}",
    }
    mirror.publish(extra={f"cpython-{a312.version}-linux-aarch64-gnu": entry})
    dest = tmp_path / "mirror"
    run(env, "mirror", "sync", str(dest), "3.12", "--platform", "linux-aarch64-gnu", "--platform", HOST, check=True)
    assert sorted(listed(dest)) == [f"cpython-{a312.version}-linux-aarch64-gnu", f"cpython-{a312.version}-{HOST}"]
    assert (dest / a312.build / name).is_file() and (dest / a312.build / a312.filename).is_file()
    # a platform nothing exists for: one error naming it, nothing changed
    before = listed(dest)
    proc = run(env, "mirror", "sync", str(dest), "3.12", "--platform", "windows-x86_64-none")
    assert proc.returncode == 2
    assert "error: no download of 3.12 for windows-x86_64-none" in proc.stderr and "hint:" in proc.stderr
    assert listed(dest) == before
    bad = run(env, "mirror", "sync", str(dest), "3.12", "--platform", "linux")
    assert bad.returncode == 2 and "error: not a platform: 'linux'" in bad.stderr


def test_resync_fetches_nothing_then_only_what_changed(env, tmp_path, mirror: Mirror, a311, a312) -> None:
    dest = tmp_path / "mirror"
    run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    mirror.server.clear_requests()
    proc = run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    assert archive_gets(mirror.server) == []
    assert "downloaded" not in proc.stdout and f"up to date cpython-3.11.7-{HOST}" in proc.stderr
    # a damaged copy is fetched again, and only that one
    (dest / a311.build / a311.filename).write_bytes(b"not an archive")
    mirror.server.clear_requests()
    run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    assert archive_gets(mirror.server) == [f"/{a311.url_path}"]
    assert sha256(dest / a311.build / a311.filename) == a311.sha256


def test_prune_removes_what_is_no_longer_selected(env, tmp_path, mirror: Mirror, a311, a312) -> None:
    dest = tmp_path / "mirror"
    run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    # without --prune, earlier selections stay listed
    proc = run(env, "mirror", "sync", str(dest), "3.12", check=True)
    assert f"kept cpython-3.11.7-{HOST}" in proc.stderr
    assert len(listed(dest)) == 2 and (dest / a311.build / a311.filename).is_file()
    proc = run(env, "mirror", "sync", str(dest), "3.12", "--prune", check=True)
    assert f"pruned {a311.build}/{a311.filename}" in proc.stdout
    assert sorted(listed(dest)) == [f"cpython-{a312.version}-{HOST}"]
    assert sums(dest) == {f"{a312.build}/{a312.filename}": a312.sha256}
    assert not (dest / a311.build / a311.filename).exists()
    assert run(env, "mirror", "verify", str(dest)).returncode == 0


def test_verify_finds_corrupt_and_missing_archives(env, tmp_path, mirror: Mirror, a311, a312) -> None:
    dest = tmp_path / "mirror"
    run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    ok = run(env, "mirror", "verify", str(dest))
    assert ok.returncode == 0 and "2 archives verified" in ok.stdout
    p312 = dest / a312.build / a312.filename
    data = bytearray(p312.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    p312.write_bytes(bytes(data))
    (dest / a311.build / a311.filename).unlink()
    proc = run(env, "mirror", "verify", str(dest))
    assert proc.returncode == 1
    assert f"error: {a312.build}/{a312.filename}: corrupt" in proc.stderr
    assert f"error: {a311.build}/{a311.filename}: missing" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"error: the mirror {dest} has 2 problems; hint:")
    # a directory that is not a mirror
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run(env, "mirror", "verify", str(empty))
    assert proc.returncode == 2 and "is not a shimkit mirror" in proc.stderr


def test_killed_sync_leaves_a_usable_mirror(env, tmp_path, mirror: Mirror, a311, a312) -> None:
    dest = tmp_path / "mirror"
    run(env, "mirror", "sync", str(dest), "3.11", check=True)
    before = listed(dest)
    # 3.12 trickles in, so the sync is caught mid-download
    mirror.server.slow(f"/{a312.url_path}", delay=0.05, chunk=64 * 1024)
    cmd = [sys.executable, "-m", "shimkit", "mirror", "sync", str(dest), "3.11", "3.12"]
    proc = subprocess.Popen(cmd, env=env, cwd=env["HOME"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        temp = dest / ".shimkit-sync"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            parts = list(temp.glob("*.part")) if temp.is_dir() else []
            if parts and parts[0].stat().st_size > 256 * 1024:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sync finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    mirror.server.clear_faults()
    # the mirror is the previous one, whole: nothing names the partial archive
    assert listed(dest) == before
    assert not (dest / a312.build / a312.filename).exists()
    assert run(env, "mirror", "verify", str(dest)).returncode == 0
    box = machine(tmp_path, "m1")
    run(
        box,
        "install",
        "--no-bin",
        "--mirror",
        dest.as_uri(),
        "--downloads-json",
        str(dest / "python-downloads.json"),
        "3.11",
        check=True,
    )
    # the next sync cleans up and fetches only what is missing
    mirror.server.clear_requests()
    run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    assert archive_gets(mirror.server) == [f"/{a312.url_path}"]
    assert not (dest / ".shimkit-sync").exists()
    assert run(env, "mirror", "verify", str(dest)).returncode == 0


def test_killed_first_sync_can_be_rerun(env, tmp_path, mirror: Mirror, a312) -> None:
    dest = tmp_path / "mirror"
    mirror.server.slow(f"/{a312.url_path}", delay=0.05, chunk=64 * 1024)
    cmd = [sys.executable, "-m", "shimkit", "mirror", "sync", str(dest), "3.12"]
    proc = subprocess.Popen(cmd, env=env, cwd=env["HOME"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not list(dest.glob(".shimkit-sync/*.part")):
            time.sleep(0.05)
        assert proc.poll() is None, "the sync finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    mirror.server.clear_faults()
    assert not (dest / "python-downloads.json").exists()  # never a list naming a partial archive
    run(env, "mirror", "sync", str(dest), "3.12", check=True)
    assert run(env, "mirror", "verify", str(dest)).returncode == 0


def test_sync_refuses_a_directory_that_is_not_a_mirror(env, tmp_path, mirror: Mirror) -> None:
    dest = tmp_path / "mirror"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    proc = run(env, "mirror", "sync", str(dest), "3.12")
    assert proc.returncode == 1 and "is not empty and holds no python-downloads.json" in proc.stderr
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]


def test_from_pins_collects_every_pinned_version(env, tmp_path, mirror: Mirror, a311, a312) -> None:
    repo = tmp_path / "repo"
    (repo / "api").mkdir(parents=True)
    (repo / "tools").mkdir()
    (repo / ".git").mkdir()
    (repo / "api" / ".python-version").write_text("3.11\n")
    (repo / "tools" / "pyproject.toml").write_text('[project]\nname = "t"\nrequires-python = ">=3.12,<3.13"\n')
    (repo / ".git" / ".python-version").write_text("3.9\n")  # hidden directories are not a project's pins
    dest = tmp_path / "mirror"
    run(env, "mirror", "sync", str(dest), "--from-pins", str(repo), check=True)
    assert sorted(listed(dest)) == sorted([f"cpython-3.11.7-{HOST}", f"cpython-{a312.version}-{HOST}"])
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    proc = run(env, "mirror", "sync", str(dest), "--from-pins", str(nothing))
    assert proc.returncode == 2 and "no Python version pinned under" in proc.stderr


def test_shimkit_installs_from_the_synced_mirror(
    env, tmp_path, mirror: Mirror, served: LoopbackServer, a311, a312
) -> None:
    dest = Path(served.root)  # type: ignore[arg-type]
    run(env, "mirror", "sync", str(dest), "3.11", "3.12", check=True)
    mirror.server.clear_requests()
    box = machine(tmp_path, "m1")
    listing = served.url("/python-downloads.json")
    run(box, "install", "--no-bin", "--mirror", served.base_url, "--downloads-json", listing, "3.12", check=True)
    exe = Path(box["SHIMKIT_PYTHON_INSTALL_DIR"]) / f"cpython-3.12-{HOST}" / "bin" / "python3.12"
    out = subprocess.run([exe, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True)
    assert out.stdout.strip() == a312.version
    # one metadata request and one archive request; nothing else
    assert [(r.method, r.path) for r in served.requests] == [
        ("GET", "/python-downloads.json"),
        ("GET", f"/{a312.url_path}"),
    ]
    assert mirror.server.requests == []  # upstream was never asked
    # the next command revalidates the list: one conditional request answered 304
    served.clear_requests()
    run(box, "install", "--no-bin", "--mirror", served.base_url, "--downloads-json", listing, "3.11", check=True)
    meta = served.requests_for("/python-downloads.json")
    assert len(meta) == 1 and "if-none-match" in meta[0].headers
    assert archive_gets(served) == [f"/{a311.url_path}"]


def test_base_url_makes_the_list_enough_on_its_own(env, tmp_path, mirror: Mirror, served: LoopbackServer, a312) -> None:
    dest = Path(served.root)  # type: ignore[arg-type]
    run(env, "mirror", "sync", str(dest), "3.12", "--base-url", served.base_url + "/", check=True)
    assert listed(dest)[f"cpython-{a312.version}-{HOST}"]["url"] == metadata.archive_url(a312, served.base_url)
    box = machine(tmp_path, "m1")
    run(box, "install", "--no-bin", "--downloads-json", served.url("/python-downloads.json"), "3.12", check=True)
    assert archive_gets(served) == [f"/{a312.url_path}"]


def test_shimkit_installs_from_a_shared_mount(env, tmp_path, mirror: Mirror, a312) -> None:
    dest = tmp_path / "mount" / "python mirror"  # a space: file:// URLs are quoted
    run(env, "mirror", "sync", str(dest), "3.12", check=True)
    box = machine(tmp_path, "m1")
    run(
        box,
        "install",
        "--no-bin",
        "--offline",
        "--mirror",
        dest.as_uri(),
        "--downloads-json",
        (dest / "python-downloads.json").as_uri(),
        "3.12",
        check=True,
    )
    assert (Path(box["SHIMKIT_PYTHON_INSTALL_DIR"]) / f"cpython-{a312.version}-{HOST}").is_dir()


def _uv() -> str:
    found = Path(sys.executable).with_name("uv")
    if found.is_file():
        return str(found)
    which = shutil.which("uv")
    assert which, "uv is a test dependency (pip install -e '.[test]')"
    return which


def test_uv_installs_from_the_synced_mirror(env, tmp_path, mirror: Mirror, served: LoopbackServer, a312) -> None:
    dest = Path(served.root)  # type: ignore[arg-type]
    run(env, "mirror", "sync", str(dest), "3.12", check=True)
    mirror.server.clear_requests()
    home = tmp_path / "uv-home"
    home.mkdir()
    uv_env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "UV_NO_CONFIG": "1",
        "UV_CACHE_DIR": str(home / "cache"),
        "UV_PYTHON_INSTALL_DIR": str(home / "pythons"),
        "UV_PYTHON_BIN_DIR": str(home / "bin"),
        "UV_PYTHON_INSTALL_MIRROR": served.base_url,
        "UV_PYTHON_DOWNLOADS_JSON_URL": served.url("/python-downloads.json"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "xcache"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    proc = subprocess.run([_uv(), "python", "install", "3.12"], env=uv_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    found = subprocess.run(
        [_uv(), "python", "find", "--managed-python", "3.12"], env=uv_env, capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 0, found.stderr
    out = subprocess.run(
        [found.stdout.strip(), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True
    )
    assert out.stdout.strip() == a312.version
    assert archive_gets(served) == [f"/{a312.url_path}"]
    assert mirror.server.requests == []


def test_hostile_names_in_the_list_write_nothing(env, tmp_path, mirror: Mirror, a312) -> None:
    mirror.publish(overrides={a312.version: {"build": "../../escaped"}})
    dest = tmp_path / "mirror"
    proc = run(env, "mirror", "sync", str(dest), "3.12")
    assert proc.returncode == 1
    assert "error: unsafe build '../../escaped'" in proc.stderr and "hint:" in proc.stderr
    assert not (tmp_path / "escaped").exists()
    assert not dest.exists() or list(dest.iterdir()) == []


def test_offline_sync_from_a_remote_list_fails_before_writing(env, tmp_path, mirror: Mirror) -> None:
    dest = tmp_path / "mirror"
    proc = run(env, "mirror", "sync", str(dest), "3.12", "--offline")
    assert proc.returncode == 1 and "offline mode is on" in proc.stderr
    assert not dest.exists()
    assert mirror.server.requests == []


def test_a_second_sync_into_the_same_directory_stops(env, tmp_path, mirror: Mirror) -> None:
    import filelock

    dest = tmp_path / "mirror"
    run(env, "mirror", "sync", str(dest), "3.12", check=True)
    before = (dest / "python-downloads.json").read_bytes()
    with filelock.FileLock(str(dest / ".shimkit-sync.lock")):  # a sync in progress elsewhere
        proc = run(env, "mirror", "sync", str(dest), "3.11", "--prune")
    assert proc.returncode == 1 and "another `shimkit mirror sync` is writing" in proc.stderr
    assert (dest / "python-downloads.json").read_bytes() == before


def test_failed_downloads_are_reported_and_the_rest_is_listed(env, tmp_path, mirror: Mirror, a311, a312) -> None:
    dest = tmp_path / "mirror"
    mirror.server.status(f"/{a311.url_path}", 404)
    proc = run(env, "mirror", "sync", str(dest), "3.11", "3.12")
    assert proc.returncode == 1
    assert "error: HTTP 404" in proc.stderr
    assert sorted(listed(dest)) == [f"cpython-{a312.version}-{HOST}"]
    assert run(env, "mirror", "verify", str(dest)).returncode == 0
    mirror.server.clear_faults()
    # upstream now lists other bytes under the same name: the download fails its checksum, and the
    # mirror keeps serving the archive it had, still matching its list
    mirror.publish(overrides={a312.version: {"sha256": "0" * 64}})
    proc = run(env, "mirror", "sync", str(dest), "3.12")
    assert proc.returncode == 1 and "checksum mismatch" in proc.stderr
    assert "the update failed; the mirror keeps the previous archive" in proc.stderr
    assert listed(dest)[f"cpython-{a312.version}-{HOST}"]["sha256"] == a312.sha256
    assert run(env, "mirror", "verify", str(dest)).returncode == 0
