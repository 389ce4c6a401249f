"""The verbose channel: what was looked up and why, which URLs, how long each step took.

Core modules call :func:`debug` (``-v``) and :func:`trace` (``-vv``); they cost one comparison
while nobody listens.  The command line decides where the lines go (:func:`configure`), so the
core stays silent.  ``SHIMKIT_VERBOSE=1|2`` turns the channel on without a flag (hooks, CI).
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional

_level = 0
_sink: Optional[Callable[[str], None]] = None
_started = time.monotonic()


def env_level() -> int:
    """The level ``SHIMKIT_VERBOSE`` asks for (0 when unset or not a number)."""
    raw = os.environ.get("SHIMKIT_VERBOSE", "").strip()
    return int(raw) if raw.isdigit() else (1 if raw.lower() in ("true", "yes", "on") else 0)


def configure(level: int, sink: Optional[Callable[[str], None]]) -> None:
    global _level, _sink
    _level, _sink = level, sink


def level() -> int:
    return _level if _sink is not None else 0


def debug(message: str) -> None:
    """A ``-v`` line: a decision or a step (a URL fetched, a source searched, a cache used)."""
    if _level >= 1 and _sink is not None:
        _sink(f"{time.monotonic() - _started:7.3f}s {message}")


def trace(message: str) -> None:
    """A ``-vv`` line: the detail behind a decision (each candidate considered, each header)."""
    if _level >= 2 and _sink is not None:
        _sink(f"{time.monotonic() - _started:7.3f}s   {message}")
