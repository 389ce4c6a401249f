"""The one HTTP client of a shimkit process (part of :mod:`shimkit.fetch`, which streams through it).

httpx is imported only when something is downloaded, without its command-line module, and the TLS
context is made only for an https URL: a plain-http mirror never pays for either.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

    import httpx

_client: Optional[httpx.Client] = None
_LIMITS = {"max_connections": 16, "max_keepalive_connections": 8}


def skip_httpx_cli() -> None:
    """Call before the first ``import httpx`` (fetch's ``_http_body``, :func:`client`): its
    ``__init__`` imports ``httpx._main``, the command line (click, rich and pygments, installed
    here because typer needs them), ~65 ms of a ~190 ms import that shimkit never uses.  A
    ``None`` entry in ``sys.modules`` makes that import raise ImportError and httpx falls back to
    a stub.  Only while httpx is not imported yet: later the entry would change nothing, or hide
    a ``_main`` someone imported on purpose."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "not importable"


def client(timeout: float) -> httpx.Client:
    """One shared client (connection pool) per process; httpx is imported only when needed."""
    global _client
    if _client is None:
        skip_httpx_cli()
        import httpx

        from . import __version__

        _client = httpx.Client(
            follow_redirects=True,
            max_redirects=10,
            timeout=httpx.Timeout(timeout),  # (each request passes its own, too)
            transport=_by_scheme_transport(),
            # identity: the bytes hashed must be the archive's own, never a transfer encoding of it
            headers={"User-Agent": f"shimkit/{__version__}", "Accept-Encoding": "identity"},
        )
    return _client


def _by_scheme_transport() -> httpx.BaseTransport:
    """A transport that makes the TLS context (loading the CA bundle: ~100 ms) only when a URL is
    https: plain-http mirrors never pay for it.  Each scheme has a pool of its own; a redirect to
    https goes through the verified one.  (Proxies from the environment are mounted by httpx over
    this transport, as before.)"""
    import threading

    import httpx  # (imported already, by client())

    class ByScheme(httpx.BaseTransport):
        def __init__(self) -> None:
            self._lock = threading.Lock()
            self._pools: dict[bool, httpx.HTTPTransport] = {}

        def _pool(self, https: bool) -> httpx.HTTPTransport:
            with self._lock:
                pool = self._pools.get(https)
                if pool is None:
                    limits = httpx.Limits(**_LIMITS)
                    # verify=False on the plain-http pool builds a bare context, never used: no TLS there
                    pool = self._pools[https] = httpx.HTTPTransport(verify=https, limits=limits)
                return pool

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return self._pool(request.url.scheme == "https").handle_request(request)

        def close(self) -> None:
            with self._lock:
                pools, self._pools = list(self._pools.values()), {}
            for pool in pools:
                pool.close()

    return ByScheme()
