"""Opt-in ``python`` shims for places without a shell hook (scripts, cron, IDEs, ``#!/usr/bin/env python``).

``shimkit shims enable`` writes small POSIX ``sh`` scripts (``templates/shim.sh.j2``) named
``python``, ``python3``, ``pip`` and ``pip3`` into a shims dir of their own; the user opts in by
putting that dir on PATH.  Each shim resolves the request for the *working directory* with the
rules of the shell hooks (``SHIMKIT_PYTHON``, the version-file walk, the global pin), resolves a
plain pin without starting a process and anything else with one ``shimkit hook-resolve`` call,
then ``exec``\\ s the installation's executable (through the minor-version link for ``3.12``).
With nothing pinned, or the pin not installed, it runs the next command of that name on PATH,
skipping the shims dir (however often and however spelled it is on PATH), so the system
``python3`` is never shadowed outside pinned projects.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import __version__
from .errors import StoreError, UsageError
from .record import Record, field
from .safeio import write_text_atomic
from .settings import Settings

# shim name -> executables tried in the installation's bin/, in order
SHIM_NAMES: dict[str, tuple[str, ...]] = {
    "python": ("python", "python3"),
    "python3": ("python3",),
    "pip": ("pip", "pip3"),
    "pip3": ("pip3",),
}
MARKER = "# shimkit shim for "


def default_dir() -> Path:
    from .dirs import default_shims_dir

    return Path(default_shims_dir())


def _check_platform() -> None:
    if sys.platform == "win32":
        raise UsageError(
            "shims are POSIX sh scripts and do not work on Windows",
            "use the PowerShell hook (`shimkit init pwsh`) or the python3.X entries of the bin dir",
        )


def render_shim(name: str, settings: Settings, shims_dir: Path, *, sh_path: str = "/bin/sh") -> str:
    """The text of the shim ``name`` (one of :data:`SHIM_NAMES`)."""
    from . import shell as shell_mod
    from .platform import host
    from .shellrender import jinja_env
    from .versionfile import global_version_file

    dirs = shell_mod.template_dirs("templates") + shell_mod.template_dirs("shells")
    if not dirs:
        raise StoreError("shimkit's templates are missing", "reinstall shimkit")
    env = jinja_env(dirs)
    text: str = env.get_template("shim.sh.j2").render(
        version=__version__,
        name=name,
        candidates=SHIM_NAMES[name],
        sh_path=sh_path,
        shims_dir=os.path.abspath(shims_dir),
        install_dir=settings.install_dir,
        host=str(host()),
        global_file=os.path.abspath(global_version_file()),
        cmd=shell_mod.shimkit_command(),
        consts="literal",
        read_d="env",
    )
    return text


def is_shim(path: Path) -> bool:
    """Whether ``path`` is a file written by ``shims enable`` (its second line names shimkit)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    lines = head.split(b"\n")
    return len(lines) > 1 and lines[0].startswith(b"#!") and lines[1].startswith(MARKER.encode())


class EnableReport(Record):
    shims_dir: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def enable(settings: Settings, *, shims_dir: Optional[Path] = None, sh_path: str = "/bin/sh") -> EnableReport:
    """Write (or refresh) every shim atomically; files shimkit did not write are never replaced."""
    _check_platform()
    target = Path(os.path.abspath(shims_dir if shims_dir is not None else default_dir()))
    report = EnableReport(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {target}: {exc.strerror}", "choose another dir with --shims-dir") from None
    for name in SHIM_NAMES:
        path = target / name
        text = render_shim(name, settings, target, sh_path=sh_path)
        if path.exists() or path.is_symlink():
            if not is_shim(path):
                raise StoreError(
                    f"{path} exists and is not a shimkit shim",
                    "move it away; the shims dir should hold nothing else",
                )
            try:
                if path.read_bytes() == text.encode("utf-8", "surrogateescape"):
                    report.unchanged.append(name)
                    continue
            except OSError:
                pass
        try:
            write_text_atomic(path, text, mode=0o755)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", "check the directory's permissions") from None
        report.written.append(name)
    return report


def disable(*, shims_dir: Optional[Path] = None) -> list[Path]:
    """Remove the shims (only files shimkit wrote); returns what was removed."""
    _check_platform()
    target = Path(os.path.abspath(shims_dir if shims_dir is not None else default_dir()))
    removed = []
    for name in SHIM_NAMES:
        path = target / name
        if is_shim(path):
            try:
                path.unlink()
            except OSError as exc:
                raise StoreError(f"cannot remove {path}: {exc.strerror}") from None
            removed.append(path)
    return removed


class PathState(Record):
    """Where the shims dir is on PATH, and which other commands of the shims' names are around it."""

    on_path: bool
    position: Optional[int]  # 1-based index of the first occurrence
    before: dict[str, list[Path]]  # name -> executables on PATH before the shims (they win)
    after: dict[str, list[Path]]  # name -> executables after the shims (used when nothing is pinned)


def _same_dir(a: str, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == str(b)


def path_state(shims_dir: Path, path: Optional[str] = None, names: Sequence[str] = tuple(SHIM_NAMES)) -> PathState:
    """Analyse ``path`` (default ``$PATH``) for ``shims_dir``."""
    entries = (os.environ.get("PATH", "") if path is None else path).split(os.pathsep)
    position = None
    before: dict[str, list[Path]] = {n: [] for n in names}
    after: dict[str, list[Path]] = {n: [] for n in names}
    for i, entry in enumerate(entries, 1):
        if not entry:
            continue
        if _same_dir(entry, shims_dir):
            if position is None:
                position = i
            continue
        for n in names:
            exe = Path(entry) / n
            if exe.is_file() and os.access(exe, os.X_OK):
                (before if position is None else after)[n].append(exe)
    return PathState(position is not None, position, before, after)


def status_lines(settings: Settings, *, shims_dir: Optional[Path] = None, path: Optional[str] = None) -> list[str]:
    """What ``shimkit shims status`` prints."""
    _check_platform()
    target = Path(os.path.abspath(shims_dir if shims_dir is not None else default_dir()))
    lines = [f"shims dir: {target}"]
    present = []
    for name in SHIM_NAMES:
        p = target / name
        if not is_shim(p):
            continue
        try:
            current = p.read_bytes() == render_shim(name, settings, target).encode("utf-8", "surrogateescape")
        except OSError:
            current = False
        present.append(name if current else f"{name} (outdated: run `shimkit shims enable`)")
    lines.append("shims: " + (", ".join(present) if present else "none (run `shimkit shims enable`)"))
    state = path_state(target, path)
    if not state.on_path:
        lines.append("on PATH: no (add it first on PATH: `shimkit update-shell --shims` does it for your shell)")
        return lines
    lines.append(f"on PATH: yes, entry {state.position}")
    for name in SHIM_NAMES:
        if state.before[name]:
            lines.append(f"  {name}: {state.before[name][0]} comes first, so the shim is not used")
        elif state.after[name]:
            lines.append(f"  {name}: before {', '.join(str(p) for p in state.after[name])}")
        else:
            lines.append(f"  {name}: no other {name} on PATH (unpinned directories get 'not found')")
    return lines
