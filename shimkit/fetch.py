"""HTTP(S) and file:// downloads: streamed, hashed while streaming, retried, bounded in time.

The body is exposed as a non-seekable file object (:class:`Body`) so that the installer can
hash, decompress and unpack an archive in a single pass without writing it to disk first; a
caller that needs the bytes on disk (zip archives) copies the body to a temp file.

Transient failures (connection errors, resets, truncated bodies, timeouts, HTTP 5xx/429) are
retried with exponential backoff by :func:`with_retries`; everything else fails at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import urllib.parse
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterator, Optional, TypeVar

from . import interrupt
from .errors import ChecksumError, DownloadError, OfflineError
from .http_client import client, skip_httpx_cli
from .record import Record

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")
ProgressCallback = Callable[[int], None]  # called with the number of new bytes
CHUNK = 1024 * 1024
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_DOWNLOAD_BYTES = 4 << 30  # without a Content-Length, no archive is larger — SHIMKIT_MAX_DOWNLOAD_BYTES
DEFAULT_DEADLINE = 3600.0  # seconds a whole download may take — SHIMKIT_DOWNLOAD_DEADLINE
DAMAGED_TAIL_BYTES = 16 << 20  # after a decode error, read at most this much more to tell why
MAX_DOCUMENT_BYTES = 64 << 20  # a metadata document (uv's download list is ~4 MB)


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class FetchOptions(Record, frozen=True):
    """Network knobs; the defaults can be changed with environment variables."""

    timeout: float = 30.0  # seconds without progress (connect, read) — SHIMKIT_HTTP_TIMEOUT
    retries: int = 3  # further attempts after the first — SHIMKIT_HTTP_RETRIES
    backoff: float = 0.5  # first delay; doubles each attempt
    offline: bool = False
    deadline: float = DEFAULT_DEADLINE  # seconds for one whole download — SHIMKIT_DOWNLOAD_DEADLINE

    @classmethod
    def from_env(cls, offline: bool = False) -> FetchOptions:
        deadline = _env_float("SHIMKIT_DOWNLOAD_DEADLINE", DEFAULT_DEADLINE)
        return cls(
            timeout=_env_float("SHIMKIT_HTTP_TIMEOUT", 30.0),
            retries=int(_env_float("SHIMKIT_HTTP_RETRIES", 3)),
            backoff=_env_float("SHIMKIT_HTTP_BACKOFF", 0.5),
            offline=offline,
            deadline=deadline if 0 < deadline < 1e9 else DEFAULT_DEADLINE,
        )


def max_download_bytes() -> int:
    """``SHIMKIT_MAX_DOWNLOAD_BYTES`` (default 4 GiB): the most one download may deliver."""
    value = _env_float("SHIMKIT_MAX_DOWNLOAD_BYTES", MAX_DOWNLOAD_BYTES)
    return int(value) if 0 < value < 1 << 60 else MAX_DOWNLOAD_BYTES


class TransientError(DownloadError):
    """A failure worth retrying (reset, truncation, timeout, 5xx)."""


class Body:
    """A non-seekable reader over a response body that hashes and counts what passes through."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        total: Optional[int],
        url: str,
        progress: Optional[ProgressCallback] = None,
        *,
        limit: Optional[int] = None,
    ) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._eof = False
        self.total = total
        self.url = url
        self.read_bytes = 0
        self._hash = hashlib.sha256()
        self._progress = progress
        # never more than promised (Content-Length, a file's size), nor than any archive is
        cap = max_download_bytes()
        self.limit = min(total, cap) if total is not None else cap
        if limit is not None:
            self.limit = min(self.limit, limit)

    def _next(self) -> bytes:
        interrupt.check()  # every chunk: Ctrl+C stops a download at once, even in a worker thread
        try:
            return next(self._chunks)
        except StopIteration:
            self._eof = True
            return b""

    def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes (all remaining bytes if ``n`` < 0); like a raw stream, may return fewer."""
        if n is None or n < 0:
            parts = [self._buffer]
            self._buffer = b""
            while not self._eof:
                parts.append(self._account(self._next()))
            return b"".join(parts)
        if not self._buffer:
            # hand chunks over without copying them (the common case: readers ask for >= a chunk)
            chunk = b""
            while not chunk and not self._eof:
                chunk = self._account(self._next())
            if len(chunk) <= n:
                return chunk
            self._buffer = chunk
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def on_progress(self, callback: Optional[ProgressCallback]) -> None:
        """Report every chunk read from now on to ``callback``."""
        self._progress = callback

    def readable(self) -> bool:
        return True

    def _account(self, chunk: bytes) -> bytes:
        if chunk:
            self._hash.update(chunk)
            self.read_bytes += len(chunk)
            if self.read_bytes > self.limit:
                self._eof = True
                raise DownloadError(
                    f"download of {_short(self.url)} is larger than the {self.limit} bytes it may have",
                    "the server sends more than it announced, or not an archive; check the mirror",
                )
            if self._progress is not None:
                self._progress(len(chunk))
        return chunk

    def drain(self) -> None:
        """Consume what is left (a tar reader may stop before the archive's trailing padding)."""
        while not self._eof:
            self._account(self._next())
        self._buffer = b""

    def drain_up_to(self, limit: int) -> bool:
        """Consume at most ``limit`` more bytes; whether the end was reached."""
        start = self.read_bytes
        while not self._eof and self.read_bytes - start <= limit:
            self._account(self._next())
        return self._eof

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def verify(self, expected: Optional[str], what: str) -> None:
        """Check the sha256 of everything read; :class:`ChecksumError` on mismatch."""
        self.drain()
        if self.total is not None and self.read_bytes != self.total:
            raise TransientError(
                f"download of {what} was truncated: got {self.read_bytes} of {self.total} bytes",
                "check your network or mirror and run the command again",
            )
        if expected is not None and self.hexdigest() != expected.lower():
            # the digest of a local file is not shown: a download list must not make shimkit
            # print a fingerprint of a file of the user's choosing (say /etc/shadow)
            got = "another" if _is_local(self.url) else self.hexdigest()
            raise ChecksumError(
                f"checksum mismatch for {what}: expected sha256 {expected}, got {got}",
                "the archive is corrupted or was tampered with; nothing was installed — retry, or check your mirror",
            )


def _short(url: str) -> str:
    from .redact import redact_url

    url = redact_url(url)
    return url if len(url) < 120 else url[:100] + "…" + url[-18:]


def verify_damaged(body: Body, expected: Optional[str], what: str) -> None:
    """After the archive in ``body`` failed to decode: if little is left, read it and
    :meth:`~Body.verify` (a truncated body is retried, wrong bytes are a checksum error); if much
    is left, stop at once (a 2 GiB garbage body is not read to its end) and let the caller report
    the damaged archive."""
    if body.drain_up_to(DAMAGED_TAIL_BYTES):
        body.verify(expected, what)


def _is_local(url: str) -> bool:
    return url.startswith("/") or urllib.parse.urlsplit(url).scheme == "file"


def _open_local(url: str) -> tuple[IO[bytes], int]:
    """A ``file:`` URL (or a path) opened for reading, with its size: only a regular file, opened
    without blocking (a FIFO or ``/dev/zero`` would never end), and no query or fragment (a
    ``file:///etc/shadow#x.tar.gz`` must not pass for an archive)."""
    import stat

    parsed = urllib.parse.urlsplit(url)
    path = Path(urllib.parse.unquote(parsed.path))
    if parsed.query or parsed.fragment:
        raise DownloadError(
            f"refusing {_short(url)}: a file: URL cannot have a query or fragment", "name the archive file itself"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise DownloadError(f"cannot read {path}: {exc.strerror}", "check the mirror path") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise DownloadError(f"refusing to read {path}: it is not a regular file", "check the mirror path")
    return os.fdopen(fd, "rb"), st.st_size


@contextlib.contextmanager
def open_body(
    url: str, options: FetchOptions, progress: Optional[ProgressCallback] = None, *, limit: Optional[int] = None
) -> Iterator[Body]:
    """Open ``url`` (http, https or file) as a hashed :class:`Body` of at most ``limit`` bytes;
    errors become DownloadErrors."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file" or (not parsed.scheme and url.startswith("/")):
        fh, size = _open_local(url)
        with fh:
            yield Body(iter(lambda: fh.read(CHUNK), b""), size, url, progress, limit=limit)
        return
    if parsed.scheme not in ("http", "https"):
        raise DownloadError(f"unsupported URL scheme in {_short(url)}", "use http://, https:// or file://")
    if options.offline:
        raise OfflineError(
            f"{_short(url)} needs the network but offline mode is on",
            "unset --offline/SHIMKIT_OFFLINE, or install from a local archive or file:// mirror",
        )
    with _http_body(url, options, progress=progress, limit=limit) as (_response, body):
        yield body


def _status_error(status: int, phrase: str, url: str) -> DownloadError:
    """The error for an HTTP error status: 5xx/429/408 are retried, the rest fail at once."""
    reason = f"HTTP {status} {phrase} from {_short(url)}"
    if status in RETRYABLE_STATUS:
        return TransientError(reason, "the server failed; try again later or use another mirror")
    if status == 404:
        return DownloadError(
            reason, "the file is not on the server; check --mirror/--downloads-json, or refresh metadata"
        )
    return DownloadError(reason, "check the URL, your mirror and credentials")


@contextlib.contextmanager
def _http_body(
    url: str,
    options: FetchOptions,
    *,
    headers: Optional[dict[str, str]] = None,
    progress: Optional[ProgressCallback] = None,
    accept: frozenset[int] = frozenset(),
    limit: Optional[int] = None,
) -> Iterator[tuple[httpx.Response, Body]]:
    """GET ``url``; yield the response and its body.  Every httpx error, before or during the
    body, becomes a DownloadError (a TransientError when worth retrying).  Statuses in ``accept``
    are yielded instead of raised (304 for conditional requests)."""
    skip_httpx_cli()  # this is where a download first imports httpx
    import httpx

    try:
        # a per-request timeout: the shared client may have been made with other options
        timeout = httpx.Timeout(options.timeout)
        with (
            client(options.timeout).stream("GET", url, headers=headers, timeout=timeout) as response,
            _deadline(response, options.deadline) as expired,
        ):
            status = response.status_code
            if (status >= 400 or status == 304) and status not in accept:
                raise _status_error(status, response.reason_phrase, url)
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            chunks = _guard(response.iter_raw(CHUNK), url, expired, options.deadline)
            yield response, Body(chunks, total, url, progress, limit=limit)
    except httpx.TooManyRedirects:
        raise DownloadError(
            f"too many redirects for {_short(url)}", "the server redirects in a loop; check the mirror URL"
        ) from None
    except (httpx.TimeoutException, httpx.TransportError, httpx.StreamError) as exc:
        raise _transport_error(exc, url, "connection failed for") from None
    except httpx.InvalidURL as exc:
        raise DownloadError(
            f"invalid URL {_short(repr(url)[1:-1])}: {exc}", "check the download list or mirror"
        ) from None


@contextlib.contextmanager
def _deadline(response: httpx.Response, seconds: float) -> Iterator[list[bool]]:
    """Cut the connection under ``response`` once ``seconds`` have passed since the request (a
    server dripping a byte every few seconds never trips the read timeout); yields a flag list,
    ``[True]`` once cut."""
    import socket
    import threading

    expired: list[bool] = []

    def shut() -> None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut() -> None:
        expired.append(True)
        shut()

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        with interrupt.on_cancel(shut):  # Ctrl+C: a read blocked on a slow server returns at once
            yield expired
    finally:
        timer.cancel()


def _transport_error(exc: Exception, url: str, what: str) -> TransientError:
    """The retryable error for a timeout or a connection problem (``what`` says when it happened)."""
    import httpx  # (imported already: only an httpx request gets here)

    if isinstance(exc, httpx.TimeoutException):
        return TransientError(
            f"timed out downloading {_short(url)}", "the server is slow; raise SHIMKIT_HTTP_TIMEOUT or retry"
        )
    detail = exc or type(exc).__name__
    return TransientError(f"{what} {_short(url)}: {detail}", "check your network or mirror and retry")


def _guard(
    chunks: Iterator[bytes], url: str, expired: Optional[list[bool]] = None, deadline: float = DEFAULT_DEADLINE
) -> Iterator[bytes]:
    """Turn httpx errors raised mid-body (inside a reader's read()) into TransientErrors, and a
    connection cut by :func:`_deadline` into a DownloadError saying so."""
    import httpx  # (imported already: only an httpx request gets here)

    try:
        for chunk in chunks:
            if expired:
                break
            yield chunk
    except (httpx.TimeoutException, httpx.TransportError, httpx.StreamError) as exc:
        interrupt.check()  # a connection cut by Ctrl+C is no network failure to retry
        if not expired:
            raise _transport_error(exc, url, "connection lost while downloading") from None
    if expired:
        raise DownloadError(
            f"download of {_short(url)} did not finish within {deadline:.0f}s",
            "the server is too slow; raise SHIMKIT_DOWNLOAD_DEADLINE or use another mirror",
        )


def with_retries(
    action: Callable[[int], T], options: FetchOptions, on_retry: Optional[Callable[[int, Exception], None]] = None
) -> T:
    """Run ``action(attempt)``; retry it on :class:`TransientError` with exponential backoff."""
    attempt = 0
    while True:
        try:
            return action(attempt)
        except TransientError as exc:
            interrupt.check()
            if attempt >= options.retries:
                exc.message += f" (after {attempt + 1} attempts)"
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            interrupt.sleep(options.backoff * (2**attempt))
            attempt += 1


def fetch_bytes(url: str, options: Optional[FetchOptions] = None, *, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """Download a small document (a metadata file, at most ``limit`` bytes) with retries."""
    opts = options or FetchOptions.from_env()

    def once(_: int) -> bytes:
        with open_body(url, opts, limit=limit) as body:
            data = body.read()
            body.verify(None, _short(url))
            return data

    return with_retries(once, opts)


class Fetched(Record, frozen=True):
    """A small document fetched by :func:`fetch_if_changed`, with the validators to send next time."""

    body: Optional[bytes]  # None: the server answered 304 Not Modified
    etag: Optional[str]
    last_modified: Optional[str]

    @property
    def not_modified(self) -> bool:
        return self.body is None


def fetch_if_changed(
    url: str, options: Optional[FetchOptions] = None, *, etag: Optional[str] = None, last_modified: Optional[str] = None
) -> Fetched:
    """Download a small document unless it is unchanged since ``etag``/``last_modified``.

    A conditional GET (``If-None-Match`` / ``If-Modified-Since``): an unchanged document costs one
    request answered by ``304 Not Modified`` and no body.  Errors, retries, the offline check and
    the truncation check are those of :func:`fetch_bytes`; ``file://`` URLs are simply read.
    """
    opts = options or FetchOptions.from_env()
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return Fetched(fetch_bytes(url, opts), None, None)
    if opts.offline:
        raise OfflineError(f"{_short(url)} needs the network but offline mode is on", "unset --offline/SHIMKIT_OFFLINE")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    def once(_: int) -> Fetched:
        with _http_body(
            url, opts, headers=headers, accept=frozenset({304} if headers else ()), limit=MAX_DOCUMENT_BYTES
        ) as (response, body):
            new_etag = response.headers.get("etag")
            new_lm = response.headers.get("last-modified")
            if response.status_code == 304:
                return Fetched(None, new_etag or etag, new_lm or last_modified)
            data = body.read()
            body.verify(None, _short(url))
            return Fetched(data, new_etag, new_lm)

    return with_retries(once, opts)
