"""Printing, in one place: results on stdout, everything else (notes, warnings, errors,
progress and the ``-v`` trace) on stderr.

Levels: ``-q`` keeps results and errors, ``-qq`` only errors; ``-v``/``-vv`` add the trace
(:mod:`shimkit.tracing`).  Progress bars (rich) appear only when stderr is a terminal.
"""

from __future__ import annotations

import os
import sys

from ..redact import for_terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

_quiet = 0
_verbose = 0


def configure(quiet: int = 0, verbose: int = 0) -> None:
    """Set the output levels from ``-q``/``-v`` (and SHIMKIT_VERBOSE); routes the core's
    warnings and trace lines here."""
    global _quiet, _verbose
    from .. import tracing

    _quiet = quiet
    _verbose = 0 if quiet else max(verbose, tracing.env_level())
    tracing.configure(_verbose, _trace_line if _verbose else None)
    _show_core_warnings()


def quiet() -> bool:
    return _quiet > 0


def verbose() -> int:
    return _verbose


def out(text: str = "") -> None:
    """A result (stdout), exactly as given: a path printed by `find` must stay usable."""
    if _quiet < 2:
        sys.stdout.write(text + "\n")


def status(text: str) -> None:
    """A confirmation of what was done on stdout ("Pinned 3.12 in …"), hidden by -q."""
    if not _quiet:
        sys.stdout.write(for_terminal(text) + "\n")


def note(text: str) -> None:
    """Progress information (stderr), hidden by -q."""
    if not _quiet:
        sys.stderr.write(for_terminal(text) + "\n")


def warn(text: str) -> None:
    """A warning (stderr), hidden by -q (which keeps only results and errors)."""
    if not _quiet:
        sys.stderr.write(f"warning: {for_terminal(text)}\n")


def error(text: str) -> None:
    sys.stderr.write(f"error: {for_terminal(text)}\n")


def _trace_line(text: str) -> None:
    sys.stderr.write(f"shimkit: {for_terminal(text)}\n")


def _show_core_warnings() -> None:
    """Core modules report non-fatal trouble with ``warnings.warn(..., ShimkitWarning)``: each is
    shown as one ``warning:`` line (or hidden by -q), never with a file name and line number."""
    import warnings

    from ..errors import ShimkitWarning

    previous = warnings.showwarning

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if isinstance(category, type) and issubclass(category, ShimkitWarning):
            warn(str(message))
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def is_terminal() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def confirm(question: str) -> bool:
    """Ask on the terminal (stderr/stdin); only called when stdin is a TTY."""
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer:  # EOF
        sys.stderr.write("\n")
        return False
    return answer.strip().lower() in ("y", "yes")


def seconds(value: float) -> str:
    return f"{value:.1f}s" if value >= 0.1 else f"{value * 1000:.0f}ms"


class CliReporter:
    """Installer reporter: a rich progress bar per download and a spinner for long steps on a
    TTY; on a non-TTY nothing but notes (and the steps with -v)."""

    def __init__(self) -> None:
        import threading

        self._progress: Any = None
        self._lock = threading.Lock()
        self._tasks: dict[str, Any] = {}
        self._steps: dict[str, Any] = {}
        if is_terminal() and not _quiet:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=Console(stderr=True, no_color="NO_COLOR" in os.environ),
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

    def step(self, label: str, text: str) -> None:
        """A long step of one installation ("verifying", "compiling bytecode", "linking"): a
        spinner line on a terminal; a trace line with -v."""
        from .. import tracing

        tracing.debug(f"{label}: {text}")
        if self._progress is None:
            return
        with self._lock:
            task = self._steps.get(label)
            if task is None:
                self._steps[label] = self._progress.add_task(f"{label}: {text}", total=None)
            else:
                self._progress.update(task, description=f"{label}: {text}")

    def info(self, text: str) -> None:
        if _quiet:
            return
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            note(text)

    def warn(self, text: str) -> None:
        if _quiet:
            return
        if self._progress is not None:
            self._progress.console.print(f"warning: {text}", markup=False, highlight=False)
        else:
            warn(text)
