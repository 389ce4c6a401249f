"""What ``shimkit doctor``'s checks report (:class:`Finding`) and look at (:class:`Context`),
and the small PATH helpers they share (split from :mod:`shimkit.doctor`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

from .record import Record
from .settings import Settings

STATUSES = ("ok", "info", "warn", "error")
HOOK_VAR = "_SHIMKIT_ADDED"  # exported by every hook while it has put an installation on PATH
HOOK_SHELL_VAR = "SHIMKIT_SHELL_HOOK"  # set by the hooks' `shimkit` function when it calls shimkit


class Finding(Record, frozen=True):
    """One result of a check."""

    check: str  # config, shimkit, path, hook, links, bin, venvs
    status: str  # ok, info, warn, error
    message: str
    fix: str = ""  # what the user should do (problems only)
    fixable: bool = False  # `shimkit doctor --fix` repairs it

    @property
    def is_problem(self) -> bool:
        return self.status in ("warn", "error")

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "status": self.status,
            "message": self.message,
            "fix": self.fix or None,
            "fixable": self.fixable,
        }


class Context(Record, frozen=True):
    """Everything the checks look at (explicit, so tests can point them anywhere)."""

    settings: Settings
    environ: Mapping[str, str]
    cwd: Path
    shell: Optional[str] = None  # canonical shell name, if known


def home_short(path: object, environ: Mapping[str, str]) -> str:
    """``path`` with the home directory written as ``~`` (for messages)."""
    text = str(path)
    home = environ.get("HOME", "")
    if home and home != os.sep and (text == home or text.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + text[len(home.rstrip(os.sep)) :]
    return text


def _within(path: str, root: str) -> bool:
    root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _path_dirs(environ: Mapping[str, str]) -> list[str]:
    return [d for d in environ.get("PATH", "").split(os.pathsep) if d]


def _same_dir(a: str, b: str) -> bool:
    norm = os.path.normcase
    if norm(os.path.abspath(os.path.expanduser(a))) == norm(os.path.abspath(b)):
        return True
    try:
        return os.path.samefile(os.path.expanduser(a), b)
    except OSError:
        return False


def _first_on_path(name: str, environ: Mapping[str, str]) -> Optional[tuple[str, str]]:
    """(directory, file) of the first executable ``name`` on PATH."""
    for d in _path_dirs(environ):
        candidate = os.path.join(os.path.expanduser(d), name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return d, candidate
    return None
