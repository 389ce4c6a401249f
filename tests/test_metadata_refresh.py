"""Refreshable download metadata: ``shimkit metadata refresh|show``, ``list --outdated``, ``upgrade``.

A loopback server plays the python-build-standalone release endpoints as a mirror serves them:
``/latest-release.json`` (the recorded shape in ``fixtures/pbs_release/latest-release.json``) and
``/<tag>/SHA256SUMS`` (``<sha256>  <file name>`` lines, as PBS writes them).  Real archives come
from the ``pbs_archives`` fixture; "3.11.99"/"3.11.100" are patches that do not exist yet, listed
with a checksum only (nothing ever downloads them).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, Mapping, Optional

import pytest
from support import cli
from support.pbs import BuiltArchive, archive_filename, host_arch
from support.server import AUTO, LoopbackServer

from shimkit import metadata_cache, pbs_release, refreshed_list
from shimkit.downloads import load_embedded, load_metadata
from shimkit.fetch import FetchOptions
from shimkit.platform import host

FIXTURES = Path(__file__).parent / "fixtures" / "pbs_release"
HOST = str(host())
TAG, TAG2 = "20990101", "20990202"
NEW, NEWER = "3.11.99", "3.11.100"


# ---- helpers -------------------------------------------------------------------------------
def fake_sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def latest_release_json(tag: str) -> bytes:
    """The recorded latest-release.json with another tag (same keys, same layout)."""
    doc = json.loads((FIXTURES / "latest-release.json").read_text())
    old = doc["tag"]
    doc = {k: (v.replace(old, tag) if isinstance(v, str) else v) for k, v in doc.items()}
    return (json.dumps(doc, indent=2) + "\n").encode()


def sums_text(files: Mapping[str, str]) -> bytes:
    return "".join(f"{sha}  {name}\n" for name, sha in sorted(files.items())).encode()


def release_files(tag: str, archives: Mapping[str, BuiltArchive], new_patch: Optional[str]) -> Dict[str, str]:
    """What a release's SHA256SUMS lists: the real test archives (renamed to ``tag`` when needed),
    a not-yet-existing patch, and assets shimkit must not pick (a full archive, another release's file)."""
    files = {}
    for a in archives.values():
        if a.variant is None:
            files[archive_filename(a.version, tag, arch=host_arch())] = a.sha256
    if new_patch:
        files[archive_filename(new_patch, tag, arch=host_arch())] = fake_sha(new_patch)
        full = archive_filename(new_patch, tag, arch=host_arch(), layout="python/install", fmt="tar.zst")
        files[full] = fake_sha(full)
    files[f"cpython-3.9.1+20210103-{host_arch()}-unknown-linux-gnu-install_only.tar.gz"] = fake_sha("old")
    return files


def publish(
    server: LoopbackServer, tag: str, files: Mapping[str, str], *, etag: bool = True, last_modified: object = AUTO
) -> None:
    """Serve ``tag`` as the newest release; ``etag=False`` sends no ETag (only Last-Modified)."""
    kw: Dict[str, object] = {"last_modified": last_modified}
    if not etag:
        kw["etag"] = None
    server.add("/latest-release.json", latest_release_json(tag), content_type="application/json", **kw)  # type: ignore[arg-type]
    server.add(f"/{tag}/SHA256SUMS", sums_text(files), content_type="text/plain")


def run(env: Mapping[str, str], *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return cli.run_shimkit(*args, env=env, cwd=env["HOME"], check=check)


def cache_dir(env: Mapping[str, str]) -> Path:
    return Path(env["XDG_CACHE_HOME"]) / "shimkit"


def show(env: Mapping[str, str]) -> dict:
    return json.loads(run(env, "metadata", "show", "--output-format", "json", check=True).stdout)


def download_versions(env: Mapping[str, str], minor: str = "3.11") -> list:
    out = run(env, "list", minor, "--only-downloads", "--all-versions", "--output-format", "json", check=True)
    return [r["version"] for r in json.loads(out.stdout)]


def embedded_newest(minor: str) -> str:
    versions = [
        d.key.version
        for d in load_embedded().downloads
        if d.key_text.startswith(f"cpython-{minor}.") and d.key_text.endswith(f"-{HOST}") and not d.key.is_prerelease
    ]
    return str(max(versions))


@pytest.fixture
def env(tmp_path: Path, loopback_server: LoopbackServer) -> Dict[str, str]:
    """An isolated environment whose mirror is the loopback server; no downloads.json override."""
    e = cli.isolated_env(tmp_path)
    e.update(
        SHIMKIT_PYTHON_INSTALL_MIRROR=loopback_server.base_url,
        SHIMKIT_HTTP_RETRIES="1",
        SHIMKIT_HTTP_BACKOFF="0.01",
        SHIMKIT_HTTP_TIMEOUT="20",
    )
    return e


def refresh_in_process(env: Mapping[str, str], server: LoopbackServer) -> metadata_cache.RefreshResult:
    """Set-up shortcut: what `shimkit metadata refresh` does, without starting a process."""
    return metadata_cache.refresh(cache_dir(env), mirror=server.base_url, options=FetchOptions(retries=0))


# ---- end to end ----------------------------------------------------------------------------
def test_new_patch_reaches_upgrade_and_list_outdated(
    env: Dict[str, str], loopback_server: LoopbackServer, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    server = loopback_server
    old = pbs_archives["3.11.2"]
    run(env, "install", str(old.path), check=True)
    before = embedded_newest("3.11")

    # before any refresh: the embedded list, and both commands agree on it
    assert f"3.11.2 -> {before}" in run(env, "upgrade", "--dry-run", check=True).stdout
    assert f"{before} available (shimkit upgrade 3.11)" in run(env, "list", "--outdated", check=True).stdout
    assert server.requests == []

    publish(server, TAG, release_files(TAG, pbs_archives, NEW))
    server.add_file(f"/{TAG}/{archive_filename('3.11.7', TAG, arch=host_arch())}", pbs_archives["3.11.7"].path)
    proc = run(env, "metadata", "refresh", check=True)
    assert f"release {TAG}" in proc.stdout
    assert f"  cpython-{NEW}-{HOST}\n" in proc.stdout  # printed as new for this platform
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/latest-release.json"),
        ("GET", f"/{TAG}/SHA256SUMS"),
    ]

    dry = run(env, "upgrade", "--dry-run", check=True)
    assert f"3.11.2 -> {NEW}" in dry.stdout
    outdated = json.loads(run(env, "list", "--outdated", "--output-format", "json", check=True).stdout)
    assert [(o["version"], o["upgrade"]["version"]) for o in outdated] == [("3.11.2", NEW)]
    # one schema for `list`: the --outdated rows are the installed rows with "upgrade" filled in
    rows = json.loads(run(env, "list", "--only-installed", "--output-format", "json", check=True).stdout)
    same = next(r for r in rows if r["key"] == outdated[0]["key"])
    assert same == dict(outdated[0], upgrade=None)
    assert (
        outdated[0]["upgrade"]["url"]
        == f"{server.base_url}/{TAG}/cpython-{NEW}%2B{TAG}-{host_arch()}-unknown-linux-gnu-install_only.tar.gz"
    )
    # offline never refreshes, but reads the cached list
    assert f"3.11.2 -> {NEW}" in run(env, "upgrade", "--dry-run", "--offline", check=True).stdout

    info = show(env)
    assert info["in_force"] == "cache" and info["cache"]["release"] == TAG
    assert info["cache"]["source"] == f"{server.base_url}/{TAG}/SHA256SUMS"

    # installs use the refreshed list's URL and checksum (the embedded 3.11.7 lives elsewhere)
    server.clear_requests()
    run(env, "install", "3.11.7", check=True)
    assert (Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]) / f"cpython-3.11.7-{HOST}" / "bin" / "python3.11").exists()
    assert [r.path for r in server.requests] == [f"/{TAG}/{archive_filename('3.11.7', TAG, arch=host_arch())}"]


FAULTS = [
    "missing-checksum",
    "malformed-checksum",
    "truncated-sums",
    "truncated-latest",
    "sums-404",
    "latest-500",
    "latest-not-json",
    "no-cpython",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_failed_refresh_leaves_previous_list_in_force(
    fault: str, env: Dict[str, str], loopback_server: LoopbackServer, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    server = loopback_server
    publish(server, TAG, release_files(TAG, pbs_archives, NEW))
    refresh_in_process(env, server)
    cache = refreshed_list.cache_file(cache_dir(env))
    saved = cache.read_bytes()

    files = release_files(TAG2, pbs_archives, NEWER)
    newer_name = archive_filename(NEWER, TAG2, arch=host_arch())
    publish(server, TAG2, files)
    sums_path, sums = f"/{TAG2}/SHA256SUMS", sums_text(files)
    expect = {
        "missing-checksum": "not in sha256sum format",
        "malformed-checksum": "not in sha256sum format",
        "truncated-sums": "connection lost while downloading",
        "truncated-latest": "connection lost while downloading",
        "sums-404": "HTTP 404",
        "latest-500": "HTTP 500",
        "latest-not-json": "not valid JSON",
        "no-cpython": "lists no CPython archive",
    }[fault]
    if fault == "missing-checksum":  # the new patch is listed without its checksum
        server.add(sums_path, sums.replace(f"{fake_sha(NEWER)}  {newer_name}".encode(), f"  {newer_name}".encode()))
    elif fault == "malformed-checksum":
        server.add(sums_path, sums.replace(fake_sha(NEWER).encode(), b"sha256:" + fake_sha(NEWER)[:40].encode()))
    elif fault == "truncated-sums":
        server.truncate(sums_path, len(sums) // 2)
    elif fault == "truncated-latest":
        server.truncate("/latest-release.json", 20)
    elif fault == "sums-404":
        server.remove(sums_path)
    elif fault == "latest-500":
        server.status("/latest-release.json", 500)
    elif fault == "latest-not-json":
        server.add("/latest-release.json", b"<html>rate limited</html>\n")
    else:  # a release without any CPython archive (e.g. a mirror that only holds other files)
        server.add(sums_path, sums_text({"README.txt": fake_sha("readme")}))

    proc = run(env, "metadata", "refresh")
    assert proc.returncode == 1, proc.stderr
    assert expect in proc.stderr
    assert cache.read_bytes() == saved  # nothing written
    versions = download_versions(env)
    assert NEW in versions and NEWER not in versions  # the previous refreshed list is still in force


@pytest.mark.parametrize("validator", ["etag", "last-modified"])
def test_unchanged_refresh_is_one_conditional_request(
    validator: str, env: Dict[str, str], loopback_server: LoopbackServer, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    server = loopback_server
    # with "last-modified" the server sends no ETag, so only If-Modified-Since can help
    publish(server, TAG, release_files(TAG, pbs_archives, NEW), etag=validator == "etag", last_modified=1e9)
    run(env, "metadata", "refresh", check=True)
    cache = refreshed_list.cache_file(cache_dir(env))
    first = json.loads(cache.read_text())
    server.clear_requests()

    proc = run(env, "metadata", "refresh", check=True)
    assert "up to date" in proc.stdout and TAG in proc.stdout
    reqs = server.requests
    assert [(r.method, r.path) for r in reqs] == [("GET", "/latest-release.json")]
    header = "if-none-match" if validator == "etag" else "if-modified-since"
    assert header in reqs[0].headers
    second = json.loads(cache.read_text())
    assert second["rows"] == first["rows"] and second["fetched_at"] == first["fetched_at"]

    # a new release is noticed on the next refresh
    publish(server, TAG2, release_files(TAG2, pbs_archives, NEWER), etag=validator == "etag", last_modified=1.1e9)
    server.clear_requests()
    proc = run(env, "metadata", "refresh", check=True)
    assert f"cpython-{NEWER}-{HOST}" in proc.stdout
    assert [r.path for r in server.requests] == ["/latest-release.json", f"/{TAG2}/SHA256SUMS"]
    assert {NEW, NEWER} <= set(download_versions(env))  # earlier refreshes are kept


# ---- which list wins ------------------------------------------------------------------------
def write_cache(env: Mapping[str, str], rows: list, *, release: str = TAG) -> Path:
    return refreshed_list.write_cache(
        cache_dir(env),
        release=release,
        source="http://127.0.0.1:9/x",
        rows=rows,
        fetched_at="2099-01-01T00:00:00Z",
        checked_at="2099-01-01T00:00:00Z",
        validators={},
    ).path


def row(version: str, build: str = TAG) -> tuple:
    name = archive_filename(version, build, arch=host_arch())
    return (f"cpython-{version}-{HOST}", build, f"{build}/{name.replace('+', '%2B')}", fake_sha(version))


DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2],
    "not-json": lambda text: "\0\0garbage",
    "sha-not-hex": lambda text: text.replace(fake_sha(NEW), "z" * 64),
    "sha-missing": lambda text: text.replace(f'"{fake_sha(NEW)}"', '""'),
    "sha-swapped": lambda text: text.replace(fake_sha(NEW), fake_sha("other")),  # valid hex, digest mismatch
    "bad-key": lambda text: text.replace(f"cpython-{NEW}-", f"cpython-{NEW}.x-"),
    "wrong-kind": lambda text: text.replace(refreshed_list.KIND, "something-else"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_cache_is_never_trusted(damage: str, tmp_path: Path) -> None:
    path = refreshed_list.write_cache(
        tmp_path,
        release=TAG,
        source="http://127.0.0.1:9/x",
        rows=[row(NEW)],
        fetched_at="2099-01-01T00:00:00Z",
        checked_at="2099-01-01T00:00:00Z",
        validators={},
    ).path
    assert load_metadata(cache_dir=tmp_path).source == "cache"
    path.write_text(DAMAGE[damage](path.read_text()))
    warned: list = []
    metadata = load_metadata(cache_dir=tmp_path, warn=warned.append)
    assert metadata.source == "embedded"
    assert not any(d.key_text.startswith(f"cpython-{NEW}-") for d in metadata.downloads)
    assert len(warned) == 1 and warned[0].startswith(f"ignoring the refreshed download list {path}: ")


def test_cache_writes_are_validated_and_atomic(tmp_path: Path) -> None:
    def write(rows: list, release: str = TAG) -> Path:
        return refreshed_list.write_cache(
            tmp_path, release=release, source="s", rows=rows, fetched_at="t", checked_at="t", validators={}
        ).path

    path = write([row(NEW)])
    saved = path.read_bytes()
    bad = (f"cpython-3.11.98-{HOST}", TAG, row("3.11.98")[2], "")  # no checksum: refused before writing
    with pytest.raises(refreshed_list.CacheInvalid, match="no valid sha256"):
        write([row(NEW), bad])
    assert path.read_bytes() == saved and sorted(p.name for p in tmp_path.iterdir()) == [path.name]

    # readers racing a writer see one complete list or the other, never a mix or a partial file
    small, big = [row(NEW)], [row(f"3.11.{n}") for n in range(100, 400)]
    stop = threading.Event()
    seen: set = set()

    def writer() -> None:
        while not stop.is_set():
            write(big)
            write(small)

    t = threading.Thread(target=writer)
    t.start()
    try:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            cached = refreshed_list.read_cache(tmp_path)  # raises CacheInvalid on a partial file
            assert cached is not None
            seen.add(len(cached.rows))
    finally:
        stop.set()
        t.join()
    assert seen <= {1, 300} and seen


def test_damaged_cache_warning_is_shown(env: Dict[str, str], loopback_server: LoopbackServer) -> None:
    publish(loopback_server, TAG, {archive_filename(NEW, TAG, arch=host_arch()): fake_sha(NEW)})
    path = write_cache(env, [row(NEW)])
    path.write_bytes(path.read_bytes()[:-100])  # e.g. a disk that filled up under another writer

    proc = run(env, "metadata", "show")
    assert proc.returncode == 0
    assert f"warning: ignoring the refreshed download list {path}: not valid JSON" in proc.stderr
    assert "in use:    embedded" in proc.stdout and "damaged, ignored" in proc.stdout
    listed = run(env, "list", "3.11", "--only-downloads", "--all-versions", check=True)
    assert NEW not in listed.stdout and "warning: ignoring the refreshed download list" in listed.stderr
    assert embedded_newest("3.11") in listed.stdout
    # a refresh replaces it
    assert "Refreshed the download list" in run(env, "metadata", "refresh", check=True).stdout
    assert show(env)["in_force"] == "cache"


def write_override(path: Path) -> Path:
    """A downloads.json override (python-downloads.json shape) listing only 3.11.5 for this host."""
    path.write_text(
        json.dumps(
            {
                f"cpython-3.11.5-{HOST}": {
                    "name": "cpython",
                    "arch": {"family": host_arch(), "variant": None},
                    "os": "linux",
                    "libc": "gnu",
                    "major": 3,
                    "minor": 11,
                    "patch": 5,
                    "prerelease": "",
                    "url": "http://127.0.0.1:9/a.tar.gz",
                    "sha256": fake_sha("a"),
                    "variant": None,
                    "build": "20230101",
                }
            }
        )
    )
    return path


def test_override_wins_and_a_cache_older_than_embedded_is_not_used(env: Dict[str, str], tmp_path: Path) -> None:
    write_cache(env, [row(NEW)])
    override = write_override(tmp_path / "downloads.json")
    with_override = {**env, "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": str(override)}
    info = show(with_override)
    assert (info["in_force"], info["override"]) == ("override", str(override))
    assert download_versions(with_override) == ["3.11.5"]

    assert show(env)["in_force"] == "cache"
    write_cache(env, [row(NEW, "20200101")], release="20200101")  # older than the embedded list
    info = show(env)
    assert info["in_force"] == "embedded" and "not newer" in info["reason"]
    assert NEW not in download_versions(env)


def test_show_fails_like_list_when_the_override_is_unreadable(
    env: Dict[str, str], tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    """An override is used whatever else is there; `show` must not report an unreadable one as in use."""
    missing = tmp_path / "nonexistent.json"
    for location, code in [
        (str(missing), 2),
        (missing.as_uri(), 2),
        (f"{loopback_server.base_url}/nope.json", 1),  # HTTP 404
    ]:
        listed = run(env, "list", "--downloads-json", location)
        assert listed.returncode == code and listed.stderr.startswith("error: "), listed.stderr
        for fmt in ("text", "json"):
            proc = run(env, "metadata", "show", "--downloads-json", location, "--output-format", fmt)
            assert (proc.returncode, proc.stderr, proc.stdout) == (code, listed.stderr, ""), location
        proc = run({**env, "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": location}, "metadata", "show")
        assert (proc.returncode, proc.stderr) == (code, listed.stderr)
        assert len(proc.stderr.splitlines()) == 1
    assert "cannot read download list" in run(env, "metadata", "show", "--downloads-json", str(missing)).stderr
    # a readable override is still shown as in use
    override = write_override(tmp_path / "downloads.json")
    assert "in use:    override" in run(env, "metadata", "show", "--downloads-json", str(override), check=True).stdout


def test_refresh_says_when_an_override_is_in_force(
    env: Dict[str, str], tmp_path: Path, loopback_server: LoopbackServer, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    publish(loopback_server, TAG, release_files(TAG, pbs_archives, NEW))
    override = write_override(tmp_path / "downloads.json")
    e = {**env, "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": str(override)}
    note = f"note: the download list override {override} "

    proc = run(e, "metadata", "refresh", check=True)
    assert "Refreshed the download list" in proc.stdout
    notes = [line for line in proc.stderr.splitlines() if line.startswith(note)]
    assert len(notes) == 1 and "not the refreshed list" in notes[0], proc.stderr
    assert download_versions(e) == ["3.11.5"]  # what the note says: the override, not the refreshed list

    proc = run(e, "metadata", "refresh", check=True)  # nothing new upstream: still worth saying
    assert "up to date" in proc.stdout
    assert [line for line in proc.stderr.splitlines() if line.startswith(note)] == notes

    proc = run(e, "metadata", "refresh", "--output-format", "json", check=True)
    result = json.loads(proc.stdout)
    assert (result["in_force"], result["override"]) == ("override", str(override))
    assert note in proc.stderr

    proc = run(env, "metadata", "refresh", check=True)  # no override: no note
    assert "override" not in proc.stderr
    assert json.loads(run(env, "metadata", "refresh", "--output-format", "json", check=True).stdout)["in_force"] == (
        "cache"
    )


# ---- offline, automatic refresh -------------------------------------------------------------
def test_offline_never_refreshes(
    env: Dict[str, str], loopback_server: LoopbackServer, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    publish(loopback_server, TAG, release_files(TAG, pbs_archives, NEW))
    proc = run(env, "metadata", "refresh", "--offline")
    assert proc.returncode == 1 and "offline mode is on" in proc.stderr
    auto = {**env, "SHIMKIT_METADATA_AUTO_REFRESH": "1", "SHIMKIT_OFFLINE": "1"}
    assert NEW not in download_versions(auto)
    assert loopback_server.requests == []
    assert not refreshed_list.cache_file(cache_dir(env)).exists()


def test_automatic_refresh_is_daily_optional_and_never_from_a_hook(
    env: Dict[str, str], tmp_path: Path, loopback_server: LoopbackServer, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    server = loopback_server
    publish(server, TAG, release_files(TAG, pbs_archives, NEW))
    assert NEW not in download_versions(env)  # off by default
    auto = {**env, "SHIMKIT_METADATA_AUTO_REFRESH": "1"}
    project = tmp_path / "project"
    project.mkdir()
    (project / ".python-version").write_text("3.11\n")
    run(auto, "hook-resolve", str(project))
    assert server.requests == []  # a shell hook never refreshes

    assert NEW in download_versions(auto)  # refreshed before the command used the list
    assert [r.path for r in server.requests] == ["/latest-release.json", f"/{TAG}/SHA256SUMS"]
    server.clear_requests()
    download_versions(auto)
    assert server.requests == []  # at most once a day

    stamp = cache_dir(env) / metadata_cache.STAMP_FILE
    day_ago = time.time() - 25 * 3600
    os.utime(stamp, (day_ago, day_ago))
    assert NEW in download_versions(auto)
    assert [(r.path, "if-none-match" in r.headers) for r in server.requests] == [("/latest-release.json", True)]

    # a failing refresh is a warning, tried once (no retries), and not again the same day
    os.utime(stamp, (day_ago, day_ago))
    server.clear_requests()
    server.status("/latest-release.json", 503)
    proc = run(auto, "list", "3.11", "--only-downloads", "--all-versions", check=True)
    assert "warning: automatic download list refresh failed: HTTP 503" in proc.stderr
    assert NEW in proc.stdout  # the previous list stays in force
    assert server.count("/latest-release.json") == 1
    run(auto, "list", "3.11", "--only-downloads", check=True)
    assert server.count("/latest-release.json") == 1


# ---- mirrors -------------------------------------------------------------------------------
def test_file_mirror_and_explicit_tag(
    env: Dict[str, str], tmp_path: Path, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    """A fleet's mirror may be a directory: <mirror>/<tag>/SHA256SUMS; --tag needs no latest-release.json."""
    mirror = tmp_path / "mirror"
    (mirror / TAG).mkdir(parents=True)
    (mirror / TAG / "SHA256SUMS").write_bytes(sums_text(release_files(TAG, pbs_archives, NEW)))
    e = {**env, "SHIMKIT_PYTHON_INSTALL_MIRROR": mirror.as_uri()}
    proc = run(e, "metadata", "refresh")
    assert proc.returncode == 1 and f"the mirror {mirror.as_uri()} has no latest-release.json" in proc.stderr
    assert "`shimkit metadata refresh --tag TAG`" in proc.stderr
    proc = run(e, "metadata", "refresh", "--tag", TAG, "--output-format", "json", check=True)
    result = json.loads(proc.stdout)
    assert result["status"] == "updated" and f"cpython-{NEW}-{HOST}" in result["added_for_this_platform"]
    assert show(e)["cache"]["source"] == f"{mirror.as_uri()}/{TAG}/SHA256SUMS"
    proc = run(e, "metadata", "refresh", "--tag", "latest")
    assert proc.returncode == 1 and "not a python-build-standalone release tag" in proc.stderr


def test_missing_release_documents_name_the_fix(
    env: Dict[str, str], loopback_server: LoopbackServer, pbs_archives: Dict[str, BuiltArchive]
) -> None:
    """A 404 during refresh points at what `refresh` can do (`--tag TAG`, the mirror), not at
    options it does not have (--downloads-json) or at itself ("refresh metadata")."""
    server = loopback_server
    mirror = server.base_url

    def fails(*args: str) -> str:
        proc = run(env, "metadata", "refresh", *args)
        assert proc.returncode == 1 and proc.stdout == "", proc.stderr
        line = proc.stderr.strip()
        assert "\n" not in line
        problem, hint = line.split("; hint: ")
        assert "HTTP 404" in problem
        assert "--downloads-json" not in hint and "refresh metadata" not in hint
        assert "the previous download list stays in force" in hint
        return hint

    hint = fails()  # the mirror has no latest-release.json
    assert f"the mirror {mirror} has no latest-release.json" in hint and "--tag TAG" in hint

    hint = fails("--tag", TAG)  # the mirror does not hold that release
    assert f"release {TAG} is not on the mirror {mirror}" in hint and "--tag" not in hint

    server.add("/latest-release.json", latest_release_json(TAG2))  # names a release the mirror lacks
    hint = fails()
    assert f"{mirror}/latest-release.json names release {TAG2}, but release {TAG2} is not on the mirror" in hint

    publish(server, TAG, release_files(TAG, pbs_archives, NEW))  # once the mirror holds it, --tag works
    server.remove("/latest-release.json")
    assert "Refreshed the download list" in run(env, "metadata", "refresh", "--tag", TAG, check=True).stdout


# ---- the release format (in process) ---------------------------------------------------------
def test_choice_per_key_matches_the_recorded_release() -> None:
    """Release 20260814's SHA256SUMS (every flavour PBS publishes) -> the archives uv's metadata lists."""
    sums = pbs_release.parse_sha256sums((FIXTURES / "SHA256SUMS-20260814").read_bytes(), "SHA256SUMS")
    selection = pbs_release.select_entries(sums, "20260814")
    expected = json.loads((FIXTURES / "expected-20260814.json").read_text())
    assert {k: [e.filename, e.sha256] for k, e in selection.entries.items()} == expected
    assert len(sums) > 2 * len(expected)  # the other flavours were there and were passed over
    latest = pbs_release.parse_latest_release((FIXTURES / "latest-release.json").read_bytes(), "latest")
    assert latest.tag == "20260203" and latest.asset_url_prefix.endswith("/releases/download/20260203")


def test_flavour_preferences_and_exclusions() -> None:
    base = "cpython-3.13.9+20990101-"
    names = [
        f"{base}x86_64-unknown-linux-gnu-install_only.tar.gz",
        f"{base}x86_64-unknown-linux-gnu-noopt-full.tar.zst",
        f"{base}x86_64-unknown-linux-gnu-pgo+lto-full.tar.zst",
        f"{base}aarch64-unknown-linux-gnu-lto-full.tar.zst",
        f"{base}aarch64-unknown-linux-gnu-noopt-full.tar.zst",
        f"{base}x86_64-unknown-linux-gnu-debug-full.tar.zst",
        f"{base}x86_64-unknown-linux-gnu-freethreaded+debug-full.tar.zst",
        f"{base}x86_64-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst",
        f"{base}ppc64le-unknown-linux-gnu-install_only_stripped.tar.gz",
        f"{base}x86_64-pc-windows-msvc-shared-install_only.tar.gz",
        f"{base}i686-pc-windows-msvc-static-noopt-full.tar.zst",  # static: never
        "cpython-3.13.8+20980101-x86_64-unknown-linux-gnu-install_only.tar.gz",  # another release
        f"{base}x86_64-unknown-linux-gnu-install_only.tar.gz.sha256",
        "pypy3.10-v7.3.17-linux64.tar.bz2",
    ]
    sel = pbs_release.select_entries({n: fake_sha(n) for n in names}, "20990101")
    chosen = {k: e.filename[len(base) :] for k, e in sel.entries.items()}
    linux = "x86_64-unknown-linux-gnu"
    assert chosen == {
        "cpython-3.13.9-linux-x86_64-gnu": "x86_64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.13.9-linux-aarch64-gnu": "aarch64-unknown-linux-gnu-lto-full.tar.zst",
        "cpython-3.13.9+debug-linux-x86_64-gnu": "x86_64-unknown-linux-gnu-debug-full.tar.zst",
        "cpython-3.13.9+freethreaded+debug-linux-x86_64-gnu": f"{linux}-freethreaded+debug-full.tar.zst",
        "cpython-3.13.9+freethreaded-linux-x86_64-gnu": "x86_64-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst",
        "cpython-3.13.9-linux-powerpc64le-gnu": "ppc64le-unknown-linux-gnu-install_only_stripped.tar.gz",
        "cpython-3.13.9-windows-x86_64-none": "x86_64-pc-windows-msvc-shared-install_only.tar.gz",
    }
    assert sel.other_release == 1 and sel.not_installable == 3  # static, .sha256, not CPython
    assert sel.entries["cpython-3.13.9-linux-x86_64-gnu"].url_path.startswith("20990101/cpython-3.13.9%2B20990101-")


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"", "is empty"),
        (b"%s  a.tar.gz\n%s  b.tar" % (b"a" * 64, b"b" * 64), "truncated"),  # cut mid-line, no length to tell
        (b"%s a.tar.gz\n" % (b"a" * 64), "line 1"),  # one space: not sha256sum's format
        (b"%s  a.tar.gz\n%s  a.tar.gz\n" % (b"a" * 64, b"b" * 64), "twice"),
        (b"%s  ../a.tar.gz\n" % (b"a" * 64), "line 1"),
        (b"\xff\xfe\n", "not text"),
    ],
)
def test_sha256sums_is_parsed_strictly(body: bytes, problem: str) -> None:
    with pytest.raises(pbs_release.ReleaseDataError, match=problem):
        pbs_release.parse_sha256sums(body, "SHA256SUMS")


def test_sha256sums_accepts_binary_marker_and_uppercase() -> None:
    text = b"%s *a.tar.gz\n%s  b.tar.gz\n\n" % (b"A" * 64, b"b" * 64)
    assert pbs_release.parse_sha256sums(text, "x") == {"a.tar.gz": "a" * 64, "b.tar.gz": "b" * 64}
