"""Downloads and download lists that misbehave on purpose: bodies that never end, drip a byte
at a time or stop decoding at once; ``file:`` URLs naming devices or files of the user's;
credentials in URLs; lists that are huge, nested 100 000 deep or hold escape sequences.

Every server here is real and listens on 127.0.0.1: the fault-injecting LoopbackServer of
tests/support, or, for bodies it cannot send (no Content-Length, endless, dripping), a raw
HTTP/1.1 responder on a socket.  The CLI runs as a subprocess with a generous timeout: a
download that never ends shows up as that timeout.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from support import cli
from support.server import LoopbackServer

from shimkit import platform as shimkit_platform

HOST = shimkit_platform.host()
VERSION = "3.12.9"
FILENAME = f"cpython-{VERSION}+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz"


def entry(url: str, sha256: str = "0" * 64) -> Dict[str, object]:
    return {
        "name": "cpython",
        "arch": {"family": HOST.arch, "variant": None},
        "os": HOST.os,
        "libc": HOST.libc,
        "major": 3,
        "minor": 12,
        "patch": 9,
        "prerelease": "",
        "url": url,
        "sha256": sha256,
        "variant": None,
        "build": "20990101",
    }


def downloads_json(path: Path, url: str, sha256: str = "0" * 64) -> Path:
    path.write_text(json.dumps({f"cpython-{VERSION}-{HOST}": entry(url, sha256)}))
    return path


@pytest.fixture
def env(tmp_path: Path) -> Dict[str, str]:
    return dict(cli.isolated_env(tmp_path), SHIMKIT_HTTP_RETRIES="0", SHIMKIT_HTTP_BACKOFF="0")


def install(env: Dict[str, str], tmp_path: Path, listing: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return cli.run_shimkit(
        "install", VERSION, "--downloads-json", listing, env=dict(env, **extra), cwd=tmp_path, timeout=90
    )


def one_error(proc: subprocess.CompletedProcess[str]) -> str:
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode != 0 and len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return errors[0]


def nothing_installed(env: Dict[str, str]) -> None:
    root = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    if root.exists():
        assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == []
        assert not (root / ".temp").exists() or list((root / ".temp").iterdir()) == []


# ---- a raw responder for bodies LoopbackServer cannot send -----------------------------------
class RawServer:
    """Answers every GET with ``headers`` and then ``body()`` chunks, until the client goes."""

    def __init__(self, headers: str, body: Iterator[bytes]) -> None:
        self.headers = headers
        self.body = body
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/{name}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(("HTTP/1.1 200 OK\r\n" + self.headers + "\r\n").encode())
                for chunk in self.body:
                    if self.stop.is_set():
                        return
                    conn.sendall(chunk)
            except OSError:
                return


def endless(chunk: bytes, pause: float = 0.0) -> Iterator[bytes]:
    while True:
        yield chunk
        if pause:
            time.sleep(pause)


GARBAGE = os.urandom(1 << 20)


# ---- 7: bounded downloads ---------------------------------------------------------------------
def test_a_body_that_fails_to_decode_is_not_read_to_its_end(tmp_path: Path, env: Dict[str, str]) -> None:
    """100 GiB of garbage announced: the gzip decoder fails on the first bytes; shimkit stops."""
    sent: List[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(100 << 10):
            sent.append(1)
            yield GARBAGE

    with RawServer(f"Content-Length: {100 << 30}\r\n", body()) as server:
        listing = downloads_json(tmp_path / "d.json", server.url(FILENAME))
        error = one_error(install(env, tmp_path, str(listing)))
    assert "corrupted" in error or "checksum" in error, error
    assert len(sent) < 1024, f"{len(sent)} MiB were sent before shimkit gave up"
    nothing_installed(env)


def test_a_dripping_server_fails_at_the_deadline(tmp_path: Path, env: Dict[str, str]) -> None:
    with RawServer("Content-Length: 100000000\r\n", endless(b"\x1f", pause=0.5)) as server:
        listing = downloads_json(tmp_path / "d.json", server.url(FILENAME))
        error = one_error(install(env, tmp_path, str(listing), SHIMKIT_DOWNLOAD_DEADLINE="3"))
    assert "did not finish within 3s" in error and "SHIMKIT_DOWNLOAD_DEADLINE" in error, error
    nothing_installed(env)


def test_an_endless_zip_stops_at_the_size_limit(tmp_path: Path, env: Dict[str, str]) -> None:
    name = FILENAME.replace(".tar.gz", ".zip")
    with RawServer("Connection: close\r\n", endless(GARBAGE)) as server:
        listing = downloads_json(tmp_path / "d.json", server.url(name))
        error = one_error(install(env, tmp_path, str(listing), SHIMKIT_MAX_DOWNLOAD_BYTES=str(8 << 20)))
    assert "larger than" in error, error
    nothing_installed(env)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_file_urls_that_are_not_regular_files_are_refused(tmp_path: Path, env: Dict[str, str], kind: str) -> None:
    target = tmp_path / FILENAME
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    listing = downloads_json(tmp_path / "d.json", target.as_uri())
    error = one_error(install(env, tmp_path, str(listing)))
    assert "not a regular file" in error, error
    nothing_installed(env)


# ---- 8: file: URLs and credentials --------------------------------------------------------
def test_a_file_url_with_a_fragment_never_reveals_the_files_digest(tmp_path: Path, env: Dict[str, str]) -> None:
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:$6$secret-hash:19000:0:99999:7:::\n")
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    listing = downloads_json(tmp_path / "d.json", secret.as_uri() + "#x.tar.gz")
    proc = install(env, tmp_path, str(listing))
    error = one_error(proc)
    assert digest not in proc.stdout + proc.stderr
    assert "fragment" in error, error


def test_a_checksum_error_for_a_local_file_does_not_print_its_digest(tmp_path: Path, env: Dict[str, str]) -> None:
    local = tmp_path / FILENAME
    local.write_bytes(b"not really an archive")
    digest = hashlib.sha256(local.read_bytes()).hexdigest()
    proc = install(env, tmp_path, str(downloads_json(tmp_path / "d.json", local.as_uri())))
    one_error(proc)
    assert digest not in proc.stdout + proc.stderr


def test_a_list_from_a_server_cannot_name_local_files(tmp_path: Path, env: Dict[str, str]) -> None:
    local = tmp_path / FILENAME
    local.write_bytes(b"the user's own file")
    digest = hashlib.sha256(local.read_bytes()).hexdigest()
    with LoopbackServer() as server:
        server.add("/d.json", json.dumps({f"cpython-{VERSION}-{HOST}": entry(local.as_uri())}).encode())
        proc = install(env, tmp_path, server.url("/d.json"))
    error = one_error(proc)
    assert "local file" in error and "server" in error, error
    assert digest not in proc.stdout + proc.stderr


def test_credentials_in_urls_are_masked(tmp_path: Path, env: Dict[str, str]) -> None:
    with LoopbackServer() as server:
        base = server.url("/").replace("http://", "http://alice:s3cr3t@")
        server.add("/d.json", json.dumps({f"cpython-{VERSION}-{HOST}": entry(base + "missing/" + FILENAME)}).encode())
        for listing in (base + "d.json", base + "absent.json"):
            proc = install(env, tmp_path, listing)
            text = proc.stdout + proc.stderr
            assert "s3cr3t" not in text, text
            assert "alice:****@" in text, text


# ---- 9: hostile lists -----------------------------------------------------------------------
def test_a_huge_list_is_refused_before_it_is_parsed(tmp_path: Path, env: Dict[str, str]) -> None:
    big = tmp_path / "d.json"
    big.write_bytes(b'{"x": "')
    os.truncate(big, 200 << 20)  # sparse: 200 MB without taking the disk space
    error = one_error(install(env, tmp_path, str(big)))
    assert "larger than" in error, error


def test_a_list_nested_100k_deep_is_a_clear_error(tmp_path: Path, env: Dict[str, str]) -> None:
    deep = tmp_path / "d.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    error = one_error(install(env, tmp_path, str(deep)))
    assert "nested too deeply" in error, error


def test_escape_sequences_in_a_list_never_reach_the_terminal(tmp_path: Path, env: Dict[str, str]) -> None:
    with LoopbackServer() as server:
        listing = downloads_json(tmp_path / "d.json", server.url("/") + "a\x1b[31mred\x1b]0;title\x07.tar.gz")
        proc = install(env, tmp_path, str(listing))
    error = one_error(proc)
    assert "\x1b" not in proc.stdout + proc.stderr and "\x07" not in proc.stdout + proc.stderr
    assert "control characters" in error, error


def test_escape_sequences_in_directory_names_are_shown_as_question_marks(tmp_path: Path, env: Dict[str, str]) -> None:
    d = tmp_path / "repo \x1b[2J\x1b]0;pwned\x07 here"
    d.mkdir()
    (d / ".python-version").write_text("3.12\n")
    shown: List[str] = []
    for args in (
        ["pin"],
        ["pin", "3.11"],
        ["doctor"],
        ["find", "3.99"],
        ["install", "--downloads-json", str(d / "none.json"), "3.12"],
    ):
        proc = cli.run_shimkit(*args, env=dict(env, PWD=str(d), SHIMKIT_PYTHON_DOWNLOADS="never"), cwd=d)
        text = proc.stdout + proc.stderr
        assert "\x1b" not in text and "\x07" not in text, (args, text)
        shown.append(text)
    assert any("repo ?[2J?]0;pwned? here" in t for t in shown), shown


def test_an_invalid_url_is_an_error_not_a_traceback(tmp_path: Path, env: Dict[str, str]) -> None:
    from shimkit.errors import DownloadError
    from shimkit.fetch import FetchOptions, fetch_bytes

    with pytest.raises(DownloadError, match="invalid URL"):
        fetch_bytes("http://127.0.0.1:1/a b\x00c", FetchOptions(retries=0))
