"""``.python-version`` / ``.python-versions`` discovery and project boundaries (design notes §4).

The contract of :func:`discover` (the shell hooks implement the same walk in shell;
``tests/test_versionfile.py`` checks it against a straightforward reference on random trees):

0. ``start`` is the *logical* working directory (``$PWD`` when it names the current directory,
   as shells keep it: a symlinked directory is walked through its link's parents), made
   absolute and normalized (``..`` and ``.`` removed lexically); ceilings are normalized the
   same way and compared as strings.
1. At each directory ``D``, from ``start`` upward:

   a. if ``D`` is a ceiling path (``SHIMKIT_CEILING_PATHS``), stop without entering it
      (nothing in ``D`` or above is looked at, except the global file);
   b. if ``D/.python-version`` is a regular, readable file, it is the answer; else the same
      for ``D/.python-versions``.  (With ``multiple=True`` — ``install`` with no argument —
      ``.python-versions`` is tried first.)  An unreadable file is skipped with a warning;
   c. if ``D`` holds a ``pyproject.toml`` (any kind of file) and no boundary is known yet,
      ``D`` is the first project, and the boundary is ``D`` itself, or, when ``D`` is a member
      of a workspace, the workspace root (see :func:`project_root`);
   d. if ``D`` is the boundary, stop; otherwise continue with the parent, until ``/``.

2. If no version file was found and there is a first project: its ``requires-python``, else
   (for a workspace member) the workspace root's ``requires-python``, is the answer.
3. Otherwise the global file (``<user config dir>/.python-version``), if it is a regular,
   readable file, is the answer; else there is none.

Workspace membership: the nearest ancestor of the project holding a ``pyproject.toml`` (not
crossing a ceiling) declares ``[tool.uv.workspace]`` or ``[tool.shimkit.workspace]`` whose
``members`` globs match the project's relative path (``*`` never crosses ``/``, ``**`` matches
any number of directories) and whose ``exclude`` globs do not.

Reading a file: the first 64 KiB, decoded as UTF-8 (invalid bytes replaced), a leading BOM
dropped; lines split on ``\\n``, ``\\r\\n`` or ``\\r``; a ``#`` and everything after it dropped
(mise); each line split into words on whitespace (pyenv).  The first word of each line is a
request; a further word on the same line is one only when it looks like one (a digit, and only
the characters of requests: ``3.12 3.9``, ``3.12 pypy3.10``); other words are free text, as
pyenv treats everything after a line's first word (``2.7.6 one`` pins 2.7.6).
Every file kind holds a list: the first valid request is *the* Python (``python``,
``python3``, what ``find`` answers), the others add their ``python3.X`` inside the project
(pyenv's several versions, for tox and nox).  The walk stops at the first existing file even if
it holds no usable request (callers warn and fall back to their default).

File contents are untrusted: lines are returned raw, and only :func:`requests_from` turns them
into requests, refusing paths, executable names and anything malformed (pyenv's CVE-2022-35861
came from using such a line as a path).

This module is on the hot path of ``shimkit find``/``pin`` and the shell hooks' helper: it
imports only ``os`` and ``stat`` at load time (no pathlib, dataclasses or packaging).
"""

from __future__ import annotations

import os
import stat

from .errors import StoreError
from .pyprojects import (  # re-exported: the project side of the walk lives there
    MAX_PYPROJECT_BYTES,
    PYPROJECT,
    _exists,
    _norm,
    _path,
    _workspace_root,
    find_project_root,
    glob_match,
    project_requirements,
    project_root,
    read_pyproject,
    requires_python,
    scan_requires_python,
)
from .safeio import UnsafeFile, describe_refusal, read_bounded, write_text_atomic

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time (mypy knows the name)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Callable, Mapping, Optional, Sequence

    from _typeshed import StrPath

    from .model.request import PythonRequest

    Warn = Callable[[str], None]

VERSION_FILE = ".python-version"
VERSIONS_FILE = ".python-versions"
CEILING_ENV = "SHIMKIT_CEILING_PATHS"
MAX_FILE_BYTES = 64 * 1024  # a version file is a few bytes; never read a huge one whole

SOURCE_VERSION_FILE = "version-file"
SOURCE_VERSIONS_FILE = "versions-file"
SOURCE_REQUIRES_PYTHON = "requires-python"
SOURCE_GLOBAL = "global"
SOURCE_SESSION = "SHIMKIT_PYTHON"  # the session override `shimkit shell` sets; ``file`` is the variable name
SESSION_ENV = "SHIMKIT_PYTHON"


class Found:
    """Where a request came from: the file, what kind of source it is, and its raw lines.

    ``path`` and ``project_root`` are :class:`~pathlib.Path` objects built on first access
    (``file`` and :meth:`root_dir` are the plain strings, for the hot path).
    """

    __slots__ = ("_ceilings", "_root", "_root_from", "file", "lines", "source")

    def __init__(
        self,
        path: StrPath,
        source: str,
        lines: Sequence[str],
        project_root: Optional[StrPath] = None,
        *,
        root_from: Optional[str] = None,
        ceilings: Sequence[str] = (),
    ) -> None:
        self.file = os.fspath(path)
        self.source = source
        self.lines = tuple(lines)
        self._root: Optional[str] = None if project_root is None else os.fspath(project_root)
        # a version file found below any pyproject.toml: the project root is searched for lazily
        self._root_from = root_from if project_root is None else None
        self._ceilings = tuple(ceilings)

    @property
    def path(self) -> Path:
        return _path(self.file)

    def root_dir(self) -> Optional[str]:
        """The project root (string) the file belongs to, if any."""
        if self._root_from is not None:
            self._root = find_project_root(self._root_from, self._ceilings)
            self._root_from = None
        return self._root

    @property
    def project_root(self) -> Optional[Path]:
        root = self.root_dir()
        return None if root is None else _path(root)

    def _identity(self) -> tuple[str, str, tuple[str, ...], Optional[str]]:
        return (self.file, self.source, self.lines, self.root_dir())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Found) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return f"Found({self.file!r}, {self.source!r}, {self.lines!r}, project_root={self.root_dir()!r})"

    def describe(self) -> str:
        """Where the request came from, for messages: ``/x/.python-version``, ``requires-python in …``."""
        if self.source == SOURCE_REQUIRES_PYTHON:
            return f"requires-python in {self.file}"
        if self.source == SOURCE_GLOBAL:
            return f"the global pin {self.file}"
        if self.source == SOURCE_SESSION:
            return f"{SESSION_ENV}, this shell's override"
        return self.file


# ---- small helpers -----------------------------------------------------------------------
def session_override(environ: Optional[Mapping[str, str]] = None) -> Optional[Found]:
    """The request ``shimkit shell`` set for this shell session (``SHIMKIT_PYTHON``), if any."""
    value = (os.environ if environ is None else environ).get(SESSION_ENV, "").strip()
    return Found(SESSION_ENV, SOURCE_SESSION, (value,)) if value else None


def ceiling_dirs(environ: Optional[dict[str, str]] = None) -> tuple[str, ...]:
    """Directories listed in ``SHIMKIT_CEILING_PATHS`` (``os.pathsep``-separated; relative ones ignored)."""
    raw = (os.environ if environ is None else environ).get(CEILING_ENV, "")
    return tuple(os.path.normpath(p) for p in raw.split(os.pathsep) if p and os.path.isabs(p))


def ceiling_paths(environ: Optional[dict[str, str]] = None) -> tuple[Path, ...]:
    """:func:`ceiling_dirs` as :class:`~pathlib.Path` objects."""
    return tuple(_path(p) for p in ceiling_dirs(environ))


def logical_cwd() -> str:
    """The working directory as the shell sees it: ``$PWD`` if it names the current directory
    (keeping symlinked components, so the walk agrees with the shell hooks), else ``os.getcwd()``."""
    pwd = os.environ.get("PWD", "")
    if pwd and os.path.isabs(pwd):
        try:
            a, b = os.stat(pwd), os.stat(".")
            if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
                return os.path.normpath(pwd)
        except OSError:
            pass
    try:
        return os.getcwd()
    except FileNotFoundError:
        raise StoreError("the working directory no longer exists", "cd to an existing directory") from None


def _regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def split_requests(text: str) -> list[str]:
    """The request words of a version file's text (see the module docstring)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    out = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            out.append(words[0])
            out.extend(w for w in words[1:] if _version_like(w))
    return out


_REQUEST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@+*<>=!~,_-")


def _version_like(word: str) -> bool:
    """Whether a further word on a line is meant as a request (it holds a digit and only the
    characters requests are spelled with); anything else is free text, as pyenv ignores it."""
    return any("0" <= c <= "9" for c in word) and set(word) <= _REQUEST_CHARS


def read_lines(path: StrPath) -> list[str]:
    """The requests of a version file (:func:`split_requests`); BOM and CRLF tolerated.

    Raises OSError if the file cannot be read or is not a regular file (a FIFO, a device: see
    :func:`shimkit.safeio.read_bounded`); a file with NUL bytes or invalid UTF-8 yields its lines
    anyway (they then fail request parsing with a warning naming the file).
    """
    data = read_bounded(path, MAX_FILE_BYTES, truncate=True)
    if len(data) >= MAX_FILE_BYTES and b"\n" in data:
        data = data[: data.rindex(b"\n")]  # cut short: its last, partial line is no request
    return split_requests(data.decode("utf-8", "replace"))


def _read_found(path: str, source: str, warn: Optional[Warn]) -> Optional[list[str]]:
    try:
        lines = read_lines(path)
    except UnsafeFile as exc:
        if warn is not None:
            warn(describe_refusal(path, exc))
        return None
    except OSError as exc:
        if warn is not None:
            warn(f"cannot read {path} ({exc.strerror or exc}); ignoring it")
        return None
    return lines


# ---- the walk ------------------------------------------------------------------------------
def _once(warn: Warn) -> Warn:
    seen: set[str] = set()

    def once(message: str) -> None:
        if message not in seen:
            seen.add(message)
            warn(message)

    return once


def discover(
    start: StrPath,
    *,
    ceilings: Sequence[StrPath] = (),
    global_file: Optional[StrPath] = None,
    multiple: bool = False,
    warn: Optional[Warn] = None,
) -> Optional[Found]:
    """Find the request for ``start`` following the module's contract; None if nothing applies.

    ``warn`` receives one message per version file or pyproject.toml that exists but is not
    read (unreadable, not a regular file, too large).
    """
    if warn is not None:
        warn = _once(warn)
    ceil = tuple({os.path.normpath(os.fspath(c)) for c in ceilings})
    names = (
        ((VERSIONS_FILE, SOURCE_VERSIONS_FILE), (VERSION_FILE, SOURCE_VERSION_FILE))
        if multiple
        else ((VERSION_FILE, SOURCE_VERSION_FILE), (VERSIONS_FILE, SOURCE_VERSIONS_FILE))
    )
    boundary: Optional[str] = None
    first_project: Optional[str] = None
    d = _norm(start)
    while d not in ceil:
        for name, source in names:
            candidate = os.path.join(d, name)
            if _regular(candidate):
                lines = _read_found(candidate, source, warn)
                if lines is not None:
                    if boundary is not None:
                        return Found(candidate, source, lines, boundary)
                    return Found(candidate, source, lines, root_from=d, ceilings=ceil)
        if boundary is None and _exists(os.path.join(d, PYPROJECT)):
            first_project = d
            boundary = _workspace_root(d, ceil, warn)
        if d == boundary:
            break
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    if first_project is not None:
        projects = [first_project] if boundary in (None, first_project) else [first_project, boundary]
        for project in projects:
            pyproject = os.path.join(project, PYPROJECT)
            spec = requires_python(pyproject, warn)
            if spec is not None:
                return Found(pyproject, SOURCE_REQUIRES_PYTHON, (spec,), boundary)
    if global_file is not None:
        gf = os.fspath(global_file)
        if _regular(gf):
            lines = _read_found(gf, SOURCE_GLOBAL, warn)
            if lines is not None:
                return Found(gf, SOURCE_GLOBAL, lines, None)
    return None


def requests_from(found: Found, warn: Warn) -> list[PythonRequest]:
    """Parse the lines of ``found`` as requests; each bad line is dropped with a warning naming the file.

    Paths and executable names are refused: a checked-out repository must not be able to make
    shimkit run a program of its choosing (pyenv's CVE-2022-35861).
    """
    from .errors import RequestError
    from .model.request import parse_request

    out = []
    for line in found.lines:
        try:
            out.append(parse_request(line, allow_paths=False))
        except RequestError as exc:
            warn(bad_line_message(found, line, exc.message))
    return out


def bad_line_message(found: Found, line: str, why: str) -> str:
    """The warning for an unusable line (shown truncated and with control characters escaped)."""
    shown = line if len(line) <= 40 else line[:37] + "..."
    return f"ignoring {shown!r} in {found.describe()}: {why}"


def global_version_file() -> str:
    """The user-level pin: ``<user config dir>/shimkit/.python-version``."""
    from .dirs import user_config_dir

    return os.path.join(user_config_dir(), VERSION_FILE)


def write_version_file(path: StrPath, requests: Sequence[PythonRequest | str]) -> None:
    """Write requests atomically (temp file in the same directory, then rename), one per line."""
    path = os.fspath(path)
    text = "".join(f"{r}\n" for r in requests)
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        write_text_atomic(path, text)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}", "check the directory's permissions") from None


def remove_version_file(path: StrPath) -> None:
    """Delete a version file; :class:`StoreError` if that fails."""
    try:
        os.unlink(path)
    except OSError as exc:
        raise StoreError(
            f"cannot remove {os.fspath(path)}: {exc.strerror or exc}", "check the directory's permissions"
        ) from None


__all__ = [
    "MAX_PYPROJECT_BYTES",
    "PYPROJECT",
    "find_project_root",
    "glob_match",
    "project_requirements",
    "project_root",
    "read_pyproject",
    "requires_python",
    "scan_requires_python",
]
