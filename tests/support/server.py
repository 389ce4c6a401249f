"""A real HTTP/1.1 server on 127.0.0.1 with per-path fault injection, for download tests.

    with LoopbackServer(root=tmp_path) as server:      # serves files under root
        server.add("/downloads.json", b"{}")             # and/or in-memory bodies
        server.fail_times("/a.tar.gz", 2, status=503)    # two 503s, then the file
        httpx.get(server.url("/a.tar.gz"))
        assert [r.method for r in server.requests_for("/a.tar.gz")] == ["GET"] * 3

Faults are keyed by the decoded URL path (no query); a key containing ``*`` is an fnmatch
pattern.  Every request, faulty or not, is logged in ``requests`` as ``(method, path, headers)``
with lower-case header names.  Files and bodies get an ``ETag`` and a ``Last-Modified`` header, and
``If-None-Match`` / ``If-Modified-Since`` produce 304.
"""

from __future__ import annotations

import contextlib
import email.utils
import fnmatch
import hashlib
import mimetypes
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Set, Tuple, Union
from urllib.parse import quote, unquote, urlsplit

try:  # Linux: bytes still unacknowledged in a socket's send queue
    import termios

    _OUTQ: Optional[int] = termios.TIOCOUTQ
except (ImportError, AttributeError):  # pragma: no cover - other platforms
    _OUTQ = None


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


AUTO = _Auto()
"""Default for ``etag``/``last_modified``: derive from the content (bodies) or stat (files)."""

_CHUNK = 64 * 1024


class RequestRecord(NamedTuple):
    """One request the server received."""

    method: str
    path: str  # decoded, without the query string
    headers: Dict[str, str]  # lower-case names


@dataclass(frozen=True)
class _Resource:
    body: Optional[bytes] = None
    file: Optional[Path] = None
    content_type: str = "application/octet-stream"
    etag: Union[str, _Auto, None] = AUTO
    last_modified: Union[float, _Auto, None] = AUTO
    added: float = 0.0

    def data_and_validators(self) -> Tuple[Union[bytes, Path], int, Optional[str], Optional[float]]:
        if self.body is not None:
            size = len(self.body)
            auto_etag = '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'
            auto_lm = self.added
            data: Union[bytes, Path] = self.body
        else:
            assert self.file is not None
            st = self.file.stat()
            size = st.st_size
            auto_etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
            auto_lm = st.st_mtime
            data = self.file
        etag = auto_etag if isinstance(self.etag, _Auto) else self.etag
        lm = auto_lm if isinstance(self.last_modified, _Auto) else self.last_modified
        return data, size, etag, lm


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong for one path.  Several faults may combine (e.g. slow + truncate)."""

    fail_left: int = 0  # this many requests get fail_status, then normal service
    fail_status: int = 500
    status: Optional[int] = None  # every request gets this status
    truncate: Optional[int] = None  # send this many body bytes, then close (FIN)
    reset_after: Optional[int] = None  # send this many body bytes, then RST
    delay: float = 0.0  # seconds to sleep before the response, or before each chunk
    chunk: Optional[int] = None  # with delay: pace the body in chunks of this size
    redirect_to: Optional[str] = None
    redirect_status: int = 302
    redirect_loop: bool = False


def _norm(path: str) -> str:
    path = unquote(path)
    return path if path.startswith("/") else "/" + path


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LoopbackServer

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        # Own thread bookkeeping so stop() can join handlers with a deadline.
        t = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True)
        self.owner._track(request, t)
        t.start()

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        self.owner._untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-body is what half of these tests do on purpose; anything else
        # is a bug in this module and gets the default traceback on stderr.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, socket.timeout)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "shimkit-test-server/1"
    disable_nagle_algorithm = True
    timeout = 60  # an idle keep-alive connection never pins a thread forever
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    # -- helpers

    def _handle(self, head: bool) -> None:
        owner = self.server.owner
        path = unquote(urlsplit(self.path).path)
        owner._record(RequestRecord(self.command, path, {k.lower(): v for k, v in self.headers.items()}))
        owner._enter()
        try:
            self._respond(owner, path, head)
        finally:
            owner._leave()

    def _respond(self, owner: LoopbackServer, path: str, head: bool) -> None:
        plan = owner._take_plan(path)
        if plan.delay and plan.chunk is None and owner._stopping.wait(plan.delay):
            self.close_connection = True
            return
        if plan.redirect_loop:
            self._plain(302, head, {"Location": self.path})
        elif plan.redirect_to is not None:
            self._plain(plan.redirect_status, head, {"Location": plan.redirect_to})
        elif plan.status is not None:
            self._plain(plan.status, head)
        elif plan.fail_left > 0:
            self._plain(plan.fail_status, head)
        else:
            resource = owner._lookup(path)
            if resource is None:
                self._plain(404, head)
            else:
                self._serve(resource, plan, head)

    def _plain(self, code: int, head: bool, headers: Optional[Dict[str, str]] = None) -> None:
        body = f"{code} {self.responses.get(code, ('',))[0]}\n".encode()
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_modified(self, etag: Optional[str], last_modified: Optional[float]) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
            if etag is None:
                return False
            tags = [t.strip() for t in inm.split(",")]
            bare = etag[2:] if etag.startswith("W/") else etag
            return "*" in tags or any((t[2:] if t.startswith("W/") else t) == bare for t in tags)
        ims = self.headers.get("If-Modified-Since")
        if ims is None or last_modified is None:
            return False
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return int(last_modified) <= since

    def _serve(self, resource: _Resource, plan: FaultPlan, head: bool) -> None:
        data, size, etag, last_modified = resource.data_and_validators()
        validators = {}
        if etag is not None:
            validators["ETag"] = etag
        if last_modified is not None:
            validators["Last-Modified"] = email.utils.formatdate(last_modified, usegmt=True)
        if self._not_modified(etag, last_modified):
            self.send_response(304)
            for k, v in validators.items():
                self.send_header(k, v)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(size))  # the full size, even when truncating
        for k, v in validators.items():
            self.send_header(k, v)
        self.end_headers()
        if head:
            return
        limit = size
        for cut in (plan.truncate, plan.reset_after):
            if cut is not None:
                limit = min(limit, cut)
        step = plan.chunk or _CHUNK
        sent = 0
        owner = self.server.owner
        try:
            with open(data, "rb") if isinstance(data, Path) else _Bytes(data) as src:
                while sent < limit:
                    if plan.chunk is not None and plan.delay and owner._stopping.wait(plan.delay):
                        self.close_connection = True
                        return
                    piece = src.read(min(step, limit - sent))
                    if not piece:
                        break
                    self.wfile.write(piece)
                    sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        if plan.reset_after is not None and plan.reset_after < size:
            self._reset()
        elif sent < size:
            self.close_connection = True  # the server then shuts the socket: a clean FIN, short body

    def _reset(self) -> None:
        """Abort the connection with a TCP RST once the client has the bytes sent so far."""
        sock = self.connection
        deadline = time.monotonic() + 2.0
        if _OUTQ is not None:
            import fcntl

            buf = bytearray(4)
            while time.monotonic() < deadline:
                fcntl.ioctl(sock.fileno(), _OUTQ, buf)
                if struct.unpack("i", buf)[0] == 0:
                    break
                time.sleep(0.005)
        else:  # pragma: no cover
            time.sleep(0.05)
        # Linger on with a zero timeout turns close() into an RST instead of a FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()  # drop makefile()'s reference so close() really closes the fd
        sock.close()


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, n: int) -> bytes:
        chunk = self._data[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk

    def __enter__(self) -> _Bytes:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (ephemeral port) serving ``root`` and registered
    bodies, with fault injection.  Use as a context manager or call ``start()``/``stop()``."""

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = Path(root) if root is not None else None
        self._lock = threading.Lock()
        self._resources: Dict[str, _Resource] = {}
        self._faults: Dict[str, FaultPlan] = {}
        self._requests: List[RequestRecord] = []
        self._conns: Set[socket.socket] = set()
        self._threads: List[threading.Thread] = []
        self._stopping = threading.Event()
        self._in_flight = 0
        self._max_in_flight = 0
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle

    def start(self) -> LoopbackServer:
        """Bind 127.0.0.1:0 and serve in a background thread."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"loopback-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, abort open connections, wake sleeping handlers and join them."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        deadline = time.monotonic() + timeout
        for t in [self._thread, *threads]:
            if t is not None:
                t.join(max(0.0, deadline - time.monotonic()))
        self._httpd = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL for ``path`` (percent-encoded; ``+`` becomes ``%2B`` as in PBS URLs)."""
        return self.base_url + quote(_norm(path))

    @property
    def active_threads(self) -> int:
        """Handler threads still running (0 after a clean stop)."""
        with self._lock:
            return sum(t.is_alive() for t in self._threads)

    # -- content

    def add(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/octet-stream",
        etag: Union[str, _Auto, None] = AUTO,
        last_modified: Union[float, _Auto, None] = AUTO,
    ) -> str:
        """Serve ``body`` at ``path``; returns its URL.  ``etag``/``last_modified``: AUTO, a fixed
        value, or None to send no such header."""
        with self._lock:
            self._resources[_norm(path)] = _Resource(
                body=bytes(body), content_type=content_type, etag=etag, last_modified=last_modified, added=time.time()
            )
        return self.url(path)

    def add_file(
        self,
        path: str,
        file: Path,
        *,
        content_type: Optional[str] = None,
        etag: Union[str, _Auto, None] = AUTO,
        last_modified: Union[float, _Auto, None] = AUTO,
    ) -> str:
        """Serve the file ``file`` (read at request time) at ``path``; returns its URL."""
        ctype = content_type or mimetypes.guess_type(str(file))[0] or "application/octet-stream"
        with self._lock:
            self._resources[_norm(path)] = _Resource(
                file=Path(file), content_type=ctype, etag=etag, last_modified=last_modified
            )
        return self.url(path)

    def remove(self, path: str) -> None:
        with self._lock:
            self._resources.pop(_norm(path), None)

    def resources(self) -> Dict[str, _Resource]:
        """A snapshot of the registered paths, for ``restore_resources``."""
        with self._lock:
            return dict(self._resources)

    def restore_resources(self, snapshot: Dict[str, _Resource]) -> None:
        with self._lock:
            self._resources = dict(snapshot)

    def _lookup(self, path: str) -> Optional[_Resource]:
        with self._lock:
            found = self._resources.get(path)
        if found is not None or self.root is None:
            return found
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
            return None
        file = self.root.joinpath(*parts)
        if not file.is_file():
            return None
        ctype = mimetypes.guess_type(str(file))[0] or "application/octet-stream"
        return _Resource(file=file, content_type=ctype)

    # -- faults

    def _update(self, path: str, **changes: object) -> None:
        key = path if "*" in path else _norm(path)
        with self._lock:
            self._faults[key] = replace(self._faults.get(key, FaultPlan()), **changes)  # type: ignore[arg-type]

    def fail_times(self, path: str, n: int, status: int = 500) -> None:
        """The next ``n`` requests for ``path`` (any method) get ``status``; later ones succeed."""
        self._update(path, fail_left=n, fail_status=status)

    def status(self, path: str, code: int) -> None:
        """Every request for ``path`` gets ``code`` (e.g. 404) until the faults are cleared."""
        self._update(path, status=code)

    def truncate(self, path: str, nbytes: int) -> None:
        """Announce the full Content-Length, send ``nbytes`` of the body, then close (FIN)."""
        self._update(path, truncate=nbytes)

    def reset(self, path: str, after: int = 0) -> None:
        """Send ``after`` body bytes, then abort the connection with a TCP RST."""
        self._update(path, reset_after=after)

    def slow(self, path: str, delay: float, chunk: Optional[int] = None) -> None:
        """Sleep ``delay`` seconds before responding; with ``chunk``, send headers at once and
        sleep ``delay`` before every ``chunk``-byte piece of the body instead."""
        self._update(path, delay=delay, chunk=chunk)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """Answer ``path`` with a redirect to ``to`` (a path or an absolute URL)."""
        self._update(path, redirect_to=to, redirect_status=status)

    def redirect_loop(self, path: str) -> None:
        """Answer ``path`` with a 302 to itself, forever."""
        self._update(path, redirect_loop=True)

    def clear_faults(self, path: Optional[str] = None) -> None:
        with self._lock:
            if path is None:
                self._faults.clear()
            else:
                self._faults.pop(path if "*" in path else _norm(path), None)

    def faults(self) -> Dict[str, FaultPlan]:
        with self._lock:
            return dict(self._faults)

    def _take_plan(self, path: str) -> FaultPlan:
        """The plan for this request; consumes one of a fail_times budget."""
        with self._lock:
            key = (
                path
                if path in self._faults
                else next((k for k in self._faults if "*" in k and fnmatch.fnmatchcase(path, k)), None)
            )
            if key is None:
                return FaultPlan()
            plan = self._faults[key]
            if plan.fail_left > 0:
                self._faults[key] = replace(plan, fail_left=plan.fail_left - 1)
            return plan

    # -- request log

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    @property
    def requests(self) -> List[RequestRecord]:
        """Every request so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str, method: Optional[str] = None) -> List[RequestRecord]:
        p = _norm(path)
        return [r for r in self.requests if r.path == p and (method is None or r.method == method)]

    def count(self, path: str, method: Optional[str] = None) -> int:
        return len(self.requests_for(path, method))

    def clear_requests(self) -> None:
        """Empty the request log and reset ``max_in_flight``."""
        with self._lock:
            self._requests.clear()
            self._max_in_flight = self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests handled at the same moment since the log was last cleared: proof
        that a client really downloads in parallel, without timing anything."""
        with self._lock:
            return self._max_in_flight

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def reset_state(self) -> None:
        """Clear faults and the request log (what the per-test fixtures call)."""
        self.clear_faults()
        self.clear_requests()

    # -- connection bookkeeping

    def _track(self, conn: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._conns.add(conn)
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._conns.discard(conn)


__all__ = ["AUTO", "FaultPlan", "LoopbackServer", "RequestRecord"]
