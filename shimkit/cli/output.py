"""Printing: results on stdout, everything else (progress, notes, warnings) on stderr.

Progress bars (rich) appear only when stderr is a terminal; ``--quiet`` silences notes.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Callable, Optional

from ..redact import for_terminal

_quiet = False


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


def out(text: str = "") -> None:
    """A result line (stdout), exactly as given (a path printed by `find` must stay usable)."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """Progress information (stderr), hidden by --quiet."""
    if not _quiet:
        sys.stderr.write(for_terminal(text) + "\n")


def warn(text: str) -> None:
    """A warning (stderr), shown even with --quiet."""
    sys.stderr.write(f"warning: {for_terminal(text)}\n")


def error(text: str) -> None:
    sys.stderr.write(f"error: {for_terminal(text)}\n")


def show_core_warnings() -> None:
    """Print warnings that core code raises as Python warnings (it never prints) like our own.

    Core modules report non-fatal trouble (a damaged metadata cache, a failed automatic refresh)
    with ``warnings.warn(..., MetadataWarning)``; shown here as one ``warning:`` line each.
    """
    import warnings

    from ..metadata_cache import MetadataWarning

    previous = warnings.showwarning

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if isinstance(category, type) and issubclass(category, MetadataWarning):
            warn(str(message))
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def _color_ok() -> bool:
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


class CliReporter:
    """Installer reporter: a rich progress bar per download on a TTY, plain notes otherwise."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._lock = threading.Lock()
        self._tasks: dict[str, Any] = {}
        if sys.stderr.isatty() and not _quiet and os.environ.get("TERM") != "dumb":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=Console(stderr=True, no_color=not _color_ok()),
                transient=True,
            )

    def __enter__(self) -> CliReporter:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def download_started(self, label: str, total: Optional[int]) -> Callable[[int], None]:
        if self._progress is None:
            return lambda n: None
        with self._lock:
            task = self._progress.add_task(label, total=total)
            self._tasks[label] = task
        progress = self._progress
        return lambda n: progress.advance(task, n)

    def download_finished(self, label: str) -> None:
        if self._progress is None:
            return
        with self._lock:
            task = self._tasks.pop(label, None)
            if task is not None:
                self._progress.remove_task(task)

    def info(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            note(text)

    def warn(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(f"warning: {text}", markup=False, highlight=False)
        else:
            warn(text)


def seconds(value: float) -> str:
    return f"{value:.1f}s" if value >= 0.1 else f"{value * 1000:.0f}ms"
