"""Fast ``shimkit init SHELL``: every new shell runs it, so it answers from a cached rendering."""

from __future__ import annotations

from ..shell import fast_init as run

__all__ = ["run"]
