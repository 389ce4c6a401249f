"""Stopping at once on Ctrl+C (SIGINT) and SIGTERM, worker threads included.

Python turns SIGINT into :class:`KeyboardInterrupt` in the main thread only; threads that download
and unpack would carry on to the end.  So the installer, when its main thread is interrupted,
calls :func:`cancel`: every worker raises :class:`Cancelled` at its next :func:`check` (each chunk
read or written), and what blocks without checking (a socket read, a helper process) is cut short
by the callbacks registered with :class:`on_cancel`.  :func:`install_handlers` makes SIGTERM do
what SIGINT does, so both end the same way: staging removed, lock released, ``interrupted``, 130.

Cheap to import (every command calls :func:`install_handlers`): no imports at module level.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Callable, Optional

_cancelled = False
_callbacks: dict[int, Callable[[], None]] = {}


class Cancelled(BaseException):
    """Raised in a worker once the command was interrupted.  Not an ``Exception``, like
    KeyboardInterrupt: no ``except Exception`` (nor a retry loop) may swallow it."""


def install_handlers() -> None:
    """Make SIGTERM raise KeyboardInterrupt in the main thread, as SIGINT does.

    ``_signal``, not ``signal``: the latter imports enum (5 ms) on every command.  Does nothing
    outside the main thread or where SIGTERM cannot be caught; a SIGTERM that is ignored (the
    parent's choice) stays ignored.
    """
    import _signal  # type: ignore[import-not-found,unused-ignore]

    try:
        if _signal.getsignal(_signal.SIGTERM) != _signal.SIG_IGN:
            _signal.signal(_signal.SIGTERM, _signal.default_int_handler)
    except (ValueError, OSError, AttributeError):  # not the main thread; a platform without it
        pass


def cancel() -> None:
    """Tell every worker to stop, and cut short whatever blocks them (see :class:`on_cancel`)."""
    global _cancelled
    _cancelled = True
    for callback in list(_callbacks.values()):
        try:
            callback()
        except Exception:
            pass


def reset() -> None:
    """Forget an earlier :func:`cancel` (a new operation starts in the same process)."""
    global _cancelled
    _cancelled = False


def cancelled() -> bool:
    return _cancelled


def check() -> None:
    """Raise :class:`Cancelled` if the command was interrupted."""
    if _cancelled:
        raise Cancelled()


def sleep(seconds: float) -> None:
    """``time.sleep`` that ends early (raising :class:`Cancelled`) when the command is interrupted."""
    import time

    end = time.monotonic() + seconds
    while True:
        check()
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.05))


class on_cancel:
    """Within the ``with`` block, :func:`cancel` also calls ``callback`` (from the thread that
    cancels: it must only cut something short, e.g. shut a socket down or kill a process)."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback = callback
        self._id: Optional[int] = None

    def __enter__(self) -> on_cancel:
        self._id = id(self)
        _callbacks[self._id] = self._callback
        if _cancelled:
            self._callback()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._id is not None:
            _callbacks.pop(self._id, None)
