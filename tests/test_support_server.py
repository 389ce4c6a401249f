"""The loopback HTTP server and its faults, observed with httpx as a client."""

from __future__ import annotations

import email.utils
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple

import httpx
import pytest
from support.server import LoopbackServer

BODY = os.urandom(200_000)


def _stream(url: str, **kwargs: object) -> Tuple[httpx.Response, bytes, BaseException]:
    """GET ``url`` streaming; returns the response, the bytes received and the error that ended it."""
    got = bytearray()
    with httpx.Client(timeout=10, trust_env=False) as client, client.stream("GET", url, **kwargs) as response:  # type: ignore[arg-type]
        try:
            for chunk in response.iter_raw():
                got += chunk
        except httpx.HTTPError as e:
            return response, bytes(got), e
    raise AssertionError(f"download of {url} completed ({len(got)} bytes) instead of failing")


@pytest.fixture
def body_server(loopback_server: LoopbackServer) -> LoopbackServer:
    assert loopback_server.root is not None
    (loopback_server.root / "files").mkdir()
    (loopback_server.root / "files" / "body.bin").write_bytes(BODY)
    return loopback_server


def test_serves_files_and_registered_bodies_over_get_and_head(body_server, http):
    s = body_server
    r = http.get(s.url("/files/body.bin"))
    assert r.status_code == 200 and r.content == BODY
    assert r.headers["content-length"] == str(len(BODY)) and r.http_version == "HTTP/1.1"
    h = http.head(s.url("/files/body.bin"))
    assert h.status_code == 200 and h.content == b"" and h.headers["content-length"] == str(len(BODY))

    url = s.add("/meta/downloads.json", b'{"a": 1}', content_type="application/json")
    r = http.get(url)
    assert r.json() == {"a": 1} and r.headers["content-type"] == "application/json"
    # PBS names contain '+': URLs carry it as %2B and the server decodes it.
    url = s.add("/20990101/cpython-3.12.1+20990101-x.tar.gz", b"archive")
    assert "%2B" in url and http.get(url).content == b"archive"

    assert http.get(s.url("/files/missing.bin")).status_code == 404
    assert http.get(s.base_url + "/files/%2E%2E/%2E%2E/etc/passwd").status_code == 404
    s.remove("/meta/downloads.json")
    assert http.get(s.url("/meta/downloads.json")).status_code == 404


def test_request_log_records_method_path_and_headers(body_server, http):
    s = body_server
    http.get(s.url("/files/body.bin"), headers={"X-Attempt": "1"})
    http.head(s.base_url + "/files/body.bin?x=1")  # the query is not part of the path
    (m1, p1, h1), (m2, p2, _) = s.requests
    assert (m1, p1, h1["x-attempt"]) == ("GET", "/files/body.bin", "1")
    assert (m2, p2) == ("HEAD", "/files/body.bin")
    assert s.count("/files/body.bin") == 2 and s.count("/files/body.bin", "HEAD") == 1
    s.clear_requests()
    assert s.requests == []


def test_fail_times_then_success(body_server, http):
    s = body_server
    s.fail_times("/files/body.bin", 2, status=503)
    codes = [http.get(s.url("/files/body.bin")).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    s.fail_times("/files/body.bin", 1)
    assert http.head(s.url("/files/body.bin")).status_code == 500  # HEAD counts too; default 500
    assert http.get(s.url("/files/body.bin")).content == BODY
    assert s.count("/files/body.bin") == 5


def test_status_is_permanent_until_cleared(body_server, http):
    s = body_server
    s.status("/files/body.bin", 404)
    assert [http.get(s.url("/files/body.bin")).status_code for _ in range(3)] == [404] * 3
    assert http.head(s.url("/files/body.bin")).status_code == 404
    s.clear_faults("/files/body.bin")
    assert http.get(s.url("/files/body.bin")).status_code == 200


def test_pattern_faults_match_many_paths(body_server, http):
    s = body_server
    s.add("/v/a", b"a")
    s.add("/w/a", b"a")
    s.status("/v/*", 410)
    assert http.get(s.url("/v/a")).status_code == 410
    assert http.get(s.url("/w/a")).status_code == 200


def test_truncate_announces_full_length_and_closes_early(body_server, http):
    s = body_server
    s.truncate("/files/body.bin", 1000)
    response, got, error = _stream(s.url("/files/body.bin"))
    assert response.headers["content-length"] == str(len(BODY))
    assert got == BODY[:1000]
    assert isinstance(error, httpx.RemoteProtocolError)  # "peer closed connection without ... complete"
    s.clear_faults()
    assert http.get(s.url("/files/body.bin")).content == BODY  # the server is fine afterwards


def test_reset_sends_some_bytes_then_rst(body_server, http):
    s = body_server
    s.reset("/files/body.bin", after=5000)
    response, got, error = _stream(s.url("/files/body.bin"))
    assert response.status_code == 200
    assert got == BODY[:5000]
    assert isinstance(error, httpx.ReadError)
    chain = []
    e: object = error
    while isinstance(e, BaseException):
        chain.append(e)
        e = e.__cause__ or e.__context__
    assert any(isinstance(c, ConnectionResetError) for c in chain), chain  # an RST, not a FIN
    s.clear_faults()
    assert http.get(s.url("/files/body.bin")).content == BODY


def test_slow_before_response_trips_read_timeouts(body_server, http):
    s = body_server
    s.slow("/files/body.bin", 1.0)
    with pytest.raises(httpx.ReadTimeout):
        http.get(s.url("/files/body.bin"), timeout=httpx.Timeout(5, read=0.2))
    start = time.monotonic()
    assert http.get(s.url("/files/body.bin"), timeout=5).content == BODY
    assert time.monotonic() - start >= 1.0


def test_slow_chunks_pace_the_body(body_server, http):
    s = body_server
    s.add("/small", b"x" * 2000)
    s.slow("/small", 0.6, chunk=1000)
    start = time.monotonic()
    arrivals: List[float] = []
    with http.stream("GET", s.url("/small"), timeout=5) as r:
        headers_at = time.monotonic() - start
        for _ in r.iter_raw():
            arrivals.append(time.monotonic() - start)
    # Generous bounds: a loaded CI box delays loopback replies by tenths of a second.
    assert headers_at < 0.6  # headers are not delayed in chunk mode
    assert arrivals[-1] - headers_at >= 1.2 - 0.01  # two chunks, 0.6 s before each


def test_redirects(body_server, http):
    s = body_server
    s.redirect("/old", "/files/body.bin")
    r = http.get(s.url("/old"), follow_redirects=True)
    assert r.content == BODY and [h.status_code for h in r.history] == [302]
    s.redirect("/moved", s.url("/files/body.bin"), status=301)
    r = http.get(s.url("/moved"), follow_redirects=True)
    assert r.content == BODY and [h.status_code for h in r.history] == [301]
    s.redirect_loop("/loop")
    with pytest.raises(httpx.TooManyRedirects):
        http.get(s.url("/loop"), follow_redirects=True)
    assert s.count("/loop") > 10


def test_etag_and_last_modified_give_304(body_server, http):
    s = body_server
    url = s.url("/files/body.bin")
    r = http.get(url)
    etag, last_modified = r.headers["etag"], r.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": last_modified},
    ):
        r = http.get(url, headers=headers)
        assert r.status_code == 304 and r.content == b"", headers
        assert r.headers["etag"] == etag
    assert http.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    # If-None-Match wins over If-Modified-Since.
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert http.get(url, headers=both).status_code == 200
    old = email.utils.formatdate(time.time() - 10 * 86400, usegmt=True)
    file = s.root / "files" / "body.bin"
    os.utime(file, (time.time() - 86400, time.time() - 86400))
    assert http.get(url, headers={"If-Modified-Since": old}).status_code == 200
    # A changed file gets a new validator: the old ETag no longer matches.
    file.write_bytes(b"new content")
    r = http.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.content == b"new content" and r.headers["etag"] != etag

    s.add("/mem", b"one")
    first = http.get(s.url("/mem")).headers["etag"]
    assert http.get(s.url("/mem"), headers={"If-None-Match": first}).status_code == 304
    s.add("/mem", b"two")
    assert http.get(s.url("/mem"), headers={"If-None-Match": first}).status_code == 200
    s.add("/plain", b"x", etag=None, last_modified=None)
    r = http.get(s.url("/plain"))
    assert "etag" not in r.headers and "last-modified" not in r.headers


def test_concurrent_downloads_are_served_in_parallel(body_server, http):
    s = body_server
    s.slow("/files/body.bin", 0.5)
    with ThreadPoolExecutor(6) as pool:
        bodies = list(pool.map(lambda _: http.get(s.url("/files/body.bin"), timeout=10).content, range(6)))
    assert bodies == [BODY] * 6
    assert s.count("/files/body.bin") == 6
    assert s.max_in_flight >= 3, "requests were not handled concurrently"
    s.clear_requests()
    http.get(s.url("/files/body.bin"))
    assert s.max_in_flight == 1  # one client at a time stays at one


def test_keep_alive_connection_serves_many_requests(body_server):
    s = body_server
    with httpx.Client(trust_env=False) as client:
        for _ in range(5):
            assert client.get(s.url("/files/body.bin")).content == BODY
    assert s.count("/files/body.bin") == 5


def test_stop_aborts_in_flight_requests_and_releases_the_port(tmp_path: Path, http):
    server = LoopbackServer(tmp_path).start()
    server.add("/slow", b"x" * 10)
    server.slow("/slow", 30)
    url = server.url("/slow")
    outcome: List[object] = []
    client = threading.Thread(target=lambda: outcome.append(_try_get(url)))
    client.start()
    deadline = time.monotonic() + 5
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 4.0  # did not wait out the 30 s sleep
    client.join(5)
    assert isinstance(outcome[0], httpx.HTTPError)
    assert server.active_threads == 0
    with pytest.raises(httpx.ConnectError):
        http.get(url, timeout=2)
    server.stop()  # idempotent


def _try_get(url: str) -> object:
    try:
        return httpx.get(url, timeout=60, trust_env=False)
    except httpx.HTTPError as e:
        return e


def test_context_manager_and_reset_state(tmp_path: Path, http):
    with LoopbackServer() as server:
        server.add("/a", b"a")
        server.status("/a", 500)
        http.get(server.url("/a"))
        server.reset_state()
        assert server.faults() == {} and server.requests == []
        assert http.get(server.url("/a")).content == b"a"
        port = server.port
    with pytest.raises(httpx.ConnectError):
        http.get(f"http://127.0.0.1:{port}/a", timeout=2)
