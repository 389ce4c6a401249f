"""``.python-version`` / ``.python-versions`` discovery and project boundaries (design notes §4).

The contract of :func:`discover` (the shell hooks and the shims implement the same walk in
shell; ``tests/`` check that they agree on random trees):

1. Start in ``start`` (the working directory).  At each directory ``D``, from ``start`` upward:
   a. if ``D`` is a ceiling path (``SHIMKIT_CEILING_PATHS``), stop without entering it;
   b. if ``D/.python-version`` (or ``D/.python-versions`` when several versions are wanted,
      with ``.python-version`` as fallback and vice versa) is a regular, readable file, it is
      the answer;
   c. if ``D`` holds a ``pyproject.toml`` it is a project boundary: unless it is a member of a
      workspace further up (an ancestor ``pyproject.toml`` with a ``[tool.uv.workspace]`` or
      ``[tool.shimkit.workspace]`` table), the walk ends here, and the project's
      ``requires-python`` (if any) is the answer; a member continues to its workspace root,
      which is then the boundary;
   d. otherwise continue with the parent, until the filesystem root.
2. If nothing was found, the global file (``<config dir>/.python-version``) is the answer.

File contents are untrusted: lines are returned raw, and only :func:`requests_from` turns them
into requests, refusing paths, executable names and anything malformed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from .errors import RequestError, StoreError
from .requests import PythonRequest, parse_request

VERSION_FILE = ".python-version"
VERSIONS_FILE = ".python-versions"
PYPROJECT = "pyproject.toml"
MAX_FILE_BYTES = 64 * 1024  # a version file is a few bytes; never read a huge one whole


@dataclass(frozen=True)
class Found:
    """Where a request came from."""

    path: Path  # the version file, pyproject.toml, or global file
    source: str  # "version-file", "versions-file", "requires-python", "global"
    lines: tuple[str, ...]  # raw request texts (untrusted)
    project_root: Optional[Path]


def ceiling_paths(environ: Optional[dict[str, str]] = None) -> tuple[Path, ...]:
    """Directories listed in ``SHIMKIT_CEILING_PATHS`` (``os.pathsep``-separated, absolute only)."""
    raw = (environ if environ is not None else os.environ).get("SHIMKIT_CEILING_PATHS", "")
    return tuple(Path(os.path.normpath(p)) for p in raw.split(os.pathsep) if p and os.path.isabs(p))


def read_lines(path: Path) -> list[str]:
    """The request lines of a version file: non-empty, not comments, stripped; BOM and CRLF tolerated.

    Raises OSError if the file cannot be read; a file with NUL bytes or invalid UTF-8 yields
    its lines anyway (they then fail request parsing with a warning naming the file).
    """
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        data = data[:MAX_FILE_BYTES]
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


_WORKSPACE_RE = re.compile(r"^\s*\[\s*tool\s*\.\s*(uv|shimkit)\s*\.\s*workspace\s*\]", re.MULTILINE)


def _load_toml(path: Path) -> dict[str, object]:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
    try:
        with open(path, "rb") as fh:
            data: dict[str, object] = tomllib.load(fh)
        return data
    except (OSError, ValueError):
        return {}


def _workspace_members(root: Path) -> Optional[tuple[list[str], list[str]]]:
    """(members, exclude) globs if ``root/pyproject.toml`` declares a workspace."""
    path = root / PYPROJECT
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not _WORKSPACE_RE.search(text):  # cheap check before parsing TOML
        return None
    tool = _load_toml(path).get("tool")
    if not isinstance(tool, dict):
        return None
    for name in ("shimkit", "uv"):
        ws = tool.get(name, {}).get("workspace") if isinstance(tool.get(name), dict) else None
        if isinstance(ws, dict):
            members = [m for m in ws.get("members", []) if isinstance(m, str)]
            exclude = [m for m in ws.get("exclude", []) if isinstance(m, str)]
            return members, exclude
    return None


def _workspace_root(project: Path, ceilings: Sequence[Path]) -> Path:
    """The workspace root ``project`` belongs to, or ``project`` itself."""
    import fnmatch

    for parent in project.parents:
        if parent in ceilings:
            break
        if not _is_file(parent / PYPROJECT):
            continue
        ws = _workspace_members(parent)
        if ws is None:
            continue
        rel = project.relative_to(parent).as_posix()
        members, exclude = ws
        if any(fnmatch.fnmatchcase(rel, m) for m in members) and not any(
            fnmatch.fnmatchcase(rel, x) for x in exclude
        ):
            return parent
        break  # the nearest enclosing project is not a workspace of ours: stop
    return project


def project_root(start: Path, ceilings: Sequence[Path] = ()) -> Optional[Path]:
    """The project boundary for ``start``: nearest ``pyproject.toml`` dir (or its workspace root)."""
    for d in (start, *start.parents):
        if d in ceilings:
            return None
        if _is_file(d / PYPROJECT):
            return _workspace_root(d, ceilings)
    return None


def requires_python(pyproject: Path) -> Optional[str]:
    """``[project] requires-python`` of a pyproject.toml, if it is a string."""
    project = _load_toml(pyproject).get("project")
    if isinstance(project, dict):
        value = project.get("requires-python")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def discover(
    start: Path,
    *,
    ceilings: Sequence[Path] = (),
    global_file: Optional[Path] = None,
    multiple: bool = False,
) -> Optional[Found]:
    """Find the request for ``start`` following the module's contract; None if nothing applies."""
    start = Path(os.path.abspath(start))
    names = (VERSIONS_FILE, VERSION_FILE) if multiple else (VERSION_FILE, VERSIONS_FILE)
    boundary: Optional[Path] = None
    first_project: Optional[Path] = None
    for d in (start, *start.parents):
        if d in ceilings:
            break
        for name in names:
            candidate = d / name
            if _is_file(candidate):
                try:
                    lines = read_lines(candidate)
                except OSError:
                    continue  # unreadable: as if absent (a warning is the caller's business)
                source = "versions-file" if name == VERSIONS_FILE else "version-file"
                return Found(candidate, source, tuple(lines), boundary or project_root(d, ceilings))
        if boundary is None and _is_file(d / PYPROJECT):
            first_project = d
            boundary = _workspace_root(d, ceilings)
        if boundary is not None and d == boundary:
            break
    if first_project is not None:
        spec = requires_python(first_project / PYPROJECT)
        if spec is None and boundary is not None and boundary != first_project:
            spec = requires_python(boundary / PYPROJECT)
            first_project = boundary if spec else first_project
        if spec is not None:
            return Found(first_project / PYPROJECT, "requires-python", (spec,), boundary)
    if global_file is not None and _is_file(global_file):
        try:
            lines = read_lines(global_file)
        except OSError:
            return None
        return Found(global_file, "global", tuple(lines), None)
    return None


def requests_from(found: Found, warn: Callable[[str], None]) -> list[PythonRequest]:
    """Parse the lines of ``found`` as requests; each bad line is dropped with a warning naming the file.

    Paths and executable names are refused: a checked-out repository must not be able to make
    shimkit run a program of its choosing (pyenv's CVE-2022-35861).
    """
    out = []
    for line in found.lines:
        try:
            out.append(parse_request(line, allow_paths=False))
        except RequestError as exc:
            shown = line if len(line) <= 40 else line[:37] + "..."
            warn(f"ignoring {shown!r} in {found.path}: {exc.message}")
    return out


def global_version_file() -> Path:
    """The user-level pin: ``<user config dir>/shimkit/.python-version``."""
    from .dirs import user_config_dir

    return user_config_dir() / VERSION_FILE


def write_version_file(path: Path, requests: Sequence[PythonRequest]) -> None:
    """Write requests atomically (temp file in the same directory, then rename)."""
    text = "".join(f"{r}\n" for r in requests)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc.strerror}", "check the directory's permissions") from None
