"""A `--downloads-json` URL is kept with its validators: later reads are one conditional GET
(real loopback server; the cache is read and written in a real directory)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.server import LoopbackServer

from shimkit.errors import DownloadError
from shimkit.fetch import FetchOptions
from shimkit.override_cache import read_url

OPTS = FetchOptions(timeout=10, retries=0, backoff=0)


def test_second_read_is_one_conditional_request_answered_304(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    url = loopback_server.add("/list.json", b'{"a": 1}')
    assert read_url(url, tmp_path, OPTS) == b'{"a": 1}'
    assert read_url(url, tmp_path, OPTS) == b'{"a": 1}'
    first, second = loopback_server.requests_for("/list.json")
    assert "if-none-match" not in first.headers
    assert second.headers["if-none-match"].startswith('"')


def test_a_changed_list_is_read_again(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    url = loopback_server.add("/list.json", b'{"a": 1}')
    read_url(url, tmp_path, OPTS)
    loopback_server.add("/list.json", b'{"a": 2}')
    assert read_url(url, tmp_path, OPTS) == b'{"a": 2}'
    assert read_url(url, tmp_path, OPTS) == b'{"a": 2}'


def test_a_damaged_copy_is_never_used(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    url = loopback_server.add("/list.json", b'{"a": 1}')
    read_url(url, tmp_path, OPTS)
    (body,) = (tmp_path / "downloads-override").glob("*.body")
    body.write_bytes(b'{"a": "tampered"}')
    loopback_server.clear_requests()
    assert read_url(url, tmp_path, OPTS) == b'{"a": 1}'
    (again,) = loopback_server.requests_for("/list.json")
    assert "if-none-match" not in again.headers  # the copy did not match its digest: a full GET


def test_without_validators_every_read_is_a_full_get(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    url = loopback_server.add("/list.json", b"{}", etag=None, last_modified=None)
    read_url(url, tmp_path, OPTS)
    read_url(url, tmp_path, OPTS)
    assert all(
        "if-none-match" not in r.headers and "if-modified-since" not in r.headers
        for r in loopback_server.requests_for("/list.json")
    )
    assert not list((tmp_path / "downloads-override").glob("*.body"))


def test_a_failed_request_does_not_fall_back_to_the_copy(loopback_server: LoopbackServer, tmp_path: Path) -> None:
    url = loopback_server.add("/list.json", b'{"a": 1}')
    read_url(url, tmp_path, OPTS)
    loopback_server.status("/list.json", 404)
    with pytest.raises(DownloadError, match="HTTP 404"):
        read_url(url, tmp_path, OPTS)
