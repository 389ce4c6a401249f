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
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterator, Optional, TypeVar

from .errors import ChecksumError, DownloadError, OfflineError

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")
ProgressCallback = Callable[[int], None]  # called with the number of new bytes
CHUNK = 1024 * 1024
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class FetchOptions:
    """Network knobs; the defaults can be changed with environment variables."""

    timeout: float = 30.0  # seconds without progress (connect, read) — SHIMKIT_HTTP_TIMEOUT
    retries: int = 3  # further attempts after the first — SHIMKIT_HTTP_RETRIES
    backoff: float = 0.5  # first delay; doubles each attempt
    offline: bool = False

    @classmethod
    def from_env(cls, offline: bool = False) -> FetchOptions:
        return cls(
            timeout=_env_float("SHIMKIT_HTTP_TIMEOUT", 30.0),
            retries=int(_env_float("SHIMKIT_HTTP_RETRIES", 3)),
            backoff=_env_float("SHIMKIT_HTTP_BACKOFF", 0.5),
            offline=offline,
        )


class TransientError(DownloadError):
    """A failure worth retrying (reset, truncation, timeout, 5xx)."""


class Body:
    """A non-seekable reader over a response body that hashes and counts what passes through."""

    def __init__(
        self, chunks: Iterator[bytes], total: Optional[int], url: str, progress: Optional[ProgressCallback] = None
    ) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._eof = False
        self.total = total
        self.url = url
        self.read_bytes = 0
        self._hash = hashlib.sha256()
        self._progress = progress

    def _next(self) -> bytes:
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
            if self._progress is not None:
                self._progress(len(chunk))
        return chunk

    def drain(self) -> None:
        """Consume what is left (a tar reader may stop before the archive's trailing padding)."""
        while not self._eof:
            self._account(self._next())
        self._buffer = b""

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
            raise ChecksumError(
                f"checksum mismatch for {what}: expected sha256 {expected}, got {self.hexdigest()}",
                "the archive is corrupted or was tampered with; nothing was installed — retry, or check your mirror",
            )


_client: Optional[httpx.Client] = None


def client(options: FetchOptions) -> httpx.Client:
    """One shared client (connection pool) per process; httpx is imported only when needed."""
    global _client
    if _client is None:
        import httpx

        from . import __version__

        _client = httpx.Client(
            follow_redirects=True,
            max_redirects=10,
            timeout=httpx.Timeout(options.timeout),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
            # identity: the bytes hashed must be the archive's own, never a transfer encoding of it
            headers={"User-Agent": f"shimkit/{__version__}", "Accept-Encoding": "identity"},
        )
    return _client


def _short(url: str) -> str:
    return url if len(url) < 120 else url[:100] + "…" + url[-18:]


@contextlib.contextmanager
def open_body(url: str, options: FetchOptions, progress: Optional[ProgressCallback] = None) -> Iterator[Body]:
    """Open ``url`` (http, https or file) as a hashed :class:`Body`; errors become DownloadErrors."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file" or (not parsed.scheme and url.startswith("/")):
        path = Path(urllib.parse.unquote(parsed.path))
        try:
            fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise DownloadError(f"cannot read {path}: {exc.strerror}", "check the mirror path") from None
        with fh:
            size = os.fstat(fh.fileno()).st_size
            yield Body(iter(lambda: fh.read(CHUNK), b""), size, url, progress)
        return
    if parsed.scheme not in ("http", "https"):
        raise DownloadError(f"unsupported URL scheme in {_short(url)}", "use http://, https:// or file://")
    if options.offline:
        raise OfflineError(
            f"{_short(url)} needs the network but offline mode is on",
            "unset --offline/SHIMKIT_OFFLINE, or install from a local archive or file:// mirror",
        )
    with _http_body(url, options, progress=progress) as (_response, body):
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
) -> Iterator[tuple[httpx.Response, Body]]:
    """GET ``url``; yield the response and its body.  Every httpx error, before or during the
    body, becomes a DownloadError (a TransientError when worth retrying).  Statuses in ``accept``
    are yielded instead of raised (304 for conditional requests)."""
    import httpx

    try:
        # a per-request timeout: the shared client may have been made with other options
        timeout = httpx.Timeout(options.timeout)
        with client(options).stream("GET", url, headers=headers, timeout=timeout) as response:
            status = response.status_code
            if (status >= 400 or status == 304) and status not in accept:
                raise _status_error(status, response.reason_phrase, url)
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else None
            yield response, Body(_guard(response.iter_raw(CHUNK), url), total, url, progress)
    except httpx.TooManyRedirects:
        raise DownloadError(
            f"too many redirects for {_short(url)}", "the server redirects in a loop; check the mirror URL"
        ) from None
    except (httpx.TimeoutException, httpx.TransportError, httpx.StreamError) as exc:
        raise _transport_error(exc, url, "connection failed for") from None


def _transport_error(exc: Exception, url: str, what: str) -> TransientError:
    """The retryable error for a timeout or a connection problem (``what`` says when it happened)."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return TransientError(
            f"timed out downloading {_short(url)}", "the server is slow; raise SHIMKIT_HTTP_TIMEOUT or retry"
        )
    detail = exc or type(exc).__name__
    return TransientError(f"{what} {_short(url)}: {detail}", "check your network or mirror and retry")


def _guard(chunks: Iterator[bytes], url: str) -> Iterator[bytes]:
    """Turn httpx errors raised mid-body (inside a reader's read()) into TransientErrors."""
    import httpx

    try:
        yield from chunks
    except (httpx.TimeoutException, httpx.TransportError, httpx.StreamError) as exc:
        raise _transport_error(exc, url, "connection lost while downloading") from None


def with_retries(
    action: Callable[[int], T], options: FetchOptions, on_retry: Optional[Callable[[int, Exception], None]] = None
) -> T:
    """Run ``action(attempt)``; retry it on :class:`TransientError` with exponential backoff."""
    attempt = 0
    while True:
        try:
            return action(attempt)
        except TransientError as exc:
            if attempt >= options.retries:
                exc.message += f" (after {attempt + 1} attempts)"
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            time.sleep(options.backoff * (2**attempt))
            attempt += 1


def fetch_bytes(url: str, options: Optional[FetchOptions] = None) -> bytes:
    """Download a small document (a metadata file) with retries."""
    opts = options or FetchOptions.from_env()

    def once(_: int) -> bytes:
        with open_body(url, opts) as body:
            data = body.read()
            body.verify(None, _short(url))
            return data

    return with_retries(once, opts)


@dataclass(frozen=True)
class Fetched:
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
        with _http_body(url, opts, headers=headers, accept=frozenset({304} if headers else ())) as (response, body):
            new_etag = response.headers.get("etag")
            new_lm = response.headers.get("last-modified")
            if response.status_code == 304:
                return Fetched(None, new_etag or etag, new_lm or last_modified)
            data = body.read()
            body.verify(None, _short(url))
            return Fetched(data, new_etag, new_lm)

    return with_retries(once, opts)
