"""``pyproject.toml`` files: project boundaries, workspaces and ``requires-python``.

Split from :mod:`shimkit.versionfile` (which re-exports these names): the version-file walk
asks here where a project ends and what its ``requires-python`` is.  On the hot path of
``find`` and the hooks' helper: only ``os`` and ``stat`` at load time; the TOML parser only
when a file is not in the plain layout :func:`scan_requires_python` reads line by line.
"""

from __future__ import annotations

import os

from .safeio import UnsafeFile, describe_refusal, read_bounded

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time (mypy knows the name)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Callable, Optional, Sequence

    from _typeshed import StrPath

    Warn = Callable[[str], None]

PYPROJECT = "pyproject.toml"
MAX_PYPROJECT_BYTES = 256 * 1024  # a larger pyproject.toml is not read at all (ignored with a warning)


def _path(p: str) -> Path:
    from pathlib import Path

    return Path(p)


def _norm(p: StrPath) -> str:
    return os.path.normpath(os.path.abspath(os.fspath(p)))


def _exists(path: str) -> bool:
    try:
        os.stat(path)
        return True
    except (OSError, ValueError):
        return False


def read_pyproject(path: StrPath, warn: Optional[Warn] = None) -> Optional[bytes]:
    """The bytes of a ``pyproject.toml``, or None: one that is not a regular file or is larger
    than :data:`MAX_PYPROJECT_BYTES` is ignored (with a warning), as is an unreadable one."""
    try:
        return read_bounded(path, MAX_PYPROJECT_BYTES)
    except UnsafeFile as exc:
        if warn is not None:
            warn(describe_refusal(path, exc))
        return None
    except OSError:
        return None


def _load_toml(path: str, data: Optional[bytes] = None) -> dict[str, object]:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
    if data is None:
        data = read_pyproject(path)
        if data is None:
            return {}
    try:
        doc: dict[str, object] = tomllib.loads(data.decode("utf-8"))
        return doc
    except (ValueError, RecursionError):  # TOMLDecodeError and UnicodeDecodeError are ValueErrors
        return {}


def _workspace_globs(root: str, warn: Optional[Warn] = None) -> Optional[tuple[list[str], list[str]]]:
    """(members, exclude) globs if ``root/pyproject.toml`` declares a workspace."""
    path = os.path.join(root, PYPROJECT)
    data = read_pyproject(path, warn)
    if data is None or b"workspace" not in data:  # cheap check before parsing TOML
        return None
    tool = _load_toml(path, data).get("tool")
    if not isinstance(tool, dict):
        return None
    for name in ("shimkit", "uv"):
        section = tool.get(name)
        ws = section.get("workspace") if isinstance(section, dict) else None
        if isinstance(ws, dict):
            members = ws.get("members", [])
            exclude = ws.get("exclude", [])
            return (
                [m for m in members if isinstance(m, str)] if isinstance(members, list) else [],
                [x for x in exclude if isinstance(x, str)] if isinstance(exclude, list) else [],
            )
    return None


def glob_match(rel: str, pattern: str) -> bool:
    """Whether the relative path ``rel`` matches a workspace glob (``*`` stays within one directory,
    ``**`` matches any number of directories).

    Time is linear in (path components x pattern components): one pass over the pattern keeps
    the set of path positions reachable so far (a repository's ``**/**/…/**`` must not hang
    every ``cd`` in it).
    """
    from fnmatch import fnmatchcase

    parts = [p for p in rel.split("/") if p and p != "."]
    pats = [p for p in pattern.replace("\\", "/").split("/") if p and p != "."]
    n = len(parts)
    reach = [True] + [False] * n  # reach[i]: the pattern so far matches parts[:i]
    for pat in pats:
        if pat == "**":
            first = next((i for i in range(n + 1) if reach[i]), None)
            if first is None:
                return False
            reach = [i >= first for i in range(n + 1)]
        else:
            reach = [False] + [reach[i] and fnmatchcase(parts[i], pat) for i in range(n)]
        if not any(reach):
            return False
    return reach[n]


def _workspace_root(project: str, ceilings: Sequence[str], warn: Optional[Warn] = None) -> str:
    """The workspace root ``project`` belongs to, or ``project`` itself."""
    d = project
    while True:
        parent = os.path.dirname(d)
        if parent == d or parent in ceilings:
            return project
        d = parent
        if not _exists(os.path.join(d, PYPROJECT)):
            continue
        ws = _workspace_globs(d, warn)
        if ws is not None:
            rel = os.path.relpath(project, d).replace(os.sep, "/")
            members, exclude = ws
            if any(glob_match(rel, m) for m in members) and not any(glob_match(rel, x) for x in exclude):
                return d
        return project  # the nearest enclosing project does not claim this one: stop


def find_project_root(start: StrPath, ceilings: Sequence[StrPath] = ()) -> Optional[str]:
    """The project boundary for ``start`` (string form of :func:`project_root`)."""
    ceil = {os.path.normpath(os.fspath(c)) for c in ceilings}
    d = _norm(start)
    while True:
        if d in ceil:
            return None
        if _exists(os.path.join(d, PYPROJECT)):
            return _workspace_root(d, tuple(ceil))
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def project_root(start: StrPath, ceilings: Sequence[StrPath] = ()) -> Optional[Path]:
    """The project boundary for ``start``: the nearest directory holding a ``pyproject.toml``, or,
    for a workspace member, its workspace root; None outside a project."""
    root = find_project_root(start, ceilings)
    return None if root is None else _path(root)


_HEADER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. ")


def scan_requires_python(text: str) -> tuple[bool, Optional[str]]:
    """``(certain, value)``: ``[project] requires-python`` read line by line, for the hot path
    (importing the TOML parser costs more than the rest of ``find``).  ``certain`` is False for
    anything beyond the plain layout every pyproject.toml uses (multi-line strings, quoted or
    dotted keys, inline tables, escapes, a header-like line inside an array …): the caller then
    parses the file properly.  ``tests/test_versionfile.py`` checks it against ``tomllib``."""
    if '"""' in text or "'''" in text:
        return False, None
    table = ""
    value: Optional[str] = None
    previous = ""
    for raw in text.split("\n"):  # TOML's line ends only (str.splitlines knows many more)
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            end = line.find("]")
            name = line[1:end].strip() if end > 0 else ""
            rest = line[end + 1 :].strip() if end > 0 else "x"
            if line.startswith("[["):
                name, rest = "[[array]]", ""
            elif not name or not all(c in _HEADER_CHARS for c in name) or (rest and not rest.startswith("#")):
                return False, None
            if previous.endswith((",", "[")):
                return False, None  # an array element, not a table header
            table = ".".join(part.strip() for part in name.split("."))
        elif "requires-python" in line and table in ("", "project"):
            key, eq, rhs = line.partition("=")
            rhs = rhs.strip()
            quote = rhs[:1]
            close = rhs.find(quote, 1) if quote in ("'", '"') else -1
            after = rhs[close + 1 :].strip() if close > 0 else "x"
            if (
                table != "project"
                or key.strip() != "requires-python"
                or not eq
                or close < 0
                or (quote == '"' and "\\" in rhs[1:close])
                or (after and not after.startswith("#"))
                or value is not None
            ):
                return False, None
            value = rhs[1:close]
        previous = line
    return True, (value.strip() or None) if value is not None else None


def requires_python(pyproject: StrPath, warn: Optional[Warn] = None) -> Optional[str]:
    """``[project] requires-python`` of a pyproject.toml, if it is a non-empty string (None for
    one :func:`read_pyproject` does not read)."""
    data = read_pyproject(pyproject, warn)
    if data is None:
        return None
    if b"requires-python" not in data:  # skip the TOML parser (and its import) if absent
        return None
    try:
        certain, value = scan_requires_python(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None  # not TOML (which is UTF-8)
    if certain:
        return value
    project = _load_toml(os.fspath(pyproject), data).get("project")
    if isinstance(project, dict):
        value = project.get("requires-python")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def project_requirements(start: StrPath, ceilings: Sequence[StrPath] = ()) -> list[tuple[str, str]]:
    """``(requires-python, pyproject.toml path)`` of the project ``start`` belongs to and, for a
    workspace member, of its workspace root; empty outside a project or without the key."""
    ceil = tuple({os.path.normpath(os.fspath(c)) for c in ceilings})
    d = _norm(start)
    while d not in ceil:
        if _exists(os.path.join(d, PYPROJECT)):
            out = []
            for project in dict.fromkeys((d, _workspace_root(d, ceil))):
                pyproject = os.path.join(project, PYPROJECT)
                spec = requires_python(pyproject)
                if spec is not None:
                    out.append((spec, pyproject))
            return out
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return []
