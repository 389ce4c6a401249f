"""Finding interpreters outside the managed install dir (paths, names, PATH, other managers)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import NotFoundError
from .requests import PythonRequest


def _in_dir(d: Path) -> Path | None:
    """The interpreter of a venv or installation directory."""
    for rel in ("bin/python3", "bin/python", "Scripts/python.exe", "python.exe"):
        if (d / rel).is_file():
            return d / rel
    return None


def resolve_path_request(req: PythonRequest, cwd: Path) -> Path:
    """The executable a path or name request designates; :class:`NotFoundError` if there is none."""
    if req.kind == "name":
        assert req.name is not None
        found = shutil.which(req.name)
        if found is None:
            raise NotFoundError(f"no executable named {req.name!r} on PATH", "check the name or give a path")
        return Path(found)
    assert req.path is not None
    path = req.path if req.path.is_absolute() else cwd / req.path
    if path.is_dir():
        exe = _in_dir(path)
        if exe is None:
            raise NotFoundError(f"{path} holds no Python interpreter", "give the path of an interpreter or a venv")
        return exe
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise NotFoundError(f"{path} is not an executable interpreter", "check the path")
