"""Bin dir entries: ``python3.12`` -> ``<install dir>/cpython-3.12-linux-x86_64-gnu/bin/python3.12``.

Entries go *through* the minor-version link, so a patch upgrade (which repoints only that link)
moves them without touching the bin dir.  On POSIX an entry is a symlink; on Windows a
trampoline ``python3.12.exe`` (:mod:`shimkit.trampoline`).

Ownership: an entry is *managed* iff it points into the install dir.  Managed entries are
replaced freely; anything else is never replaced without ``force``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from pathlib import Path
from typing import Optional

from .errors import StoreError
from .model.key import PythonKey
from .record import Record
from .store import Installation, Store

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from _typeshed import StrPath

IS_WINDOWS = sys.platform == "win32"


class BinEntry(Record, frozen=True):
    """One executable in the bin dir and where it should lead."""

    name: str  # file name in the bin dir: python3.12, python3.13t, python3, python (.exe on Windows)
    target: Path  # the interpreter path through the minor-version link


def entry_names(key: PythonKey, default: bool) -> list[str]:
    """``python3.12`` (``python3.13t`` free-threaded; ``pypy3.10`` for PyPy), plus ``python3``/``python``."""
    stem = {"cpython": "python", "pypy": "pypy", "graalpy": "graalpy"}[key.implementation]
    names = [f"{stem}{key.minor_version}"]
    if default:
        names += [f"{stem}{key.major}", stem] if key.implementation == "cpython" else [f"{stem}{key.major}"]
    if key.platform.os == "windows":
        names = [n + ".exe" for n in names]
    return names


def entries_for(store: Store, inst: Installation, default: bool = False) -> list[BinEntry]:
    """The bin entries of an installation, targets going through its minor-version link."""
    target = store.executable_through_link(inst)
    return [BinEntry(name, target) for name in entry_names(inst.key, default)]


def _read_target(path: Path) -> Optional[str]:
    if IS_WINDOWS:  # pragma: no cover - covered by tests/windows with the platform substituted
        from .trampoline import read_trampoline

        t = read_trampoline(path)
        return str(t) if t is not None else None
    try:
        return os.readlink(path)
    except OSError:
        return None


def is_managed(path: Path, install_dir: StrPath) -> bool:
    """Whether the bin entry at ``path`` was made by shimkit (it points into ``install_dir``)."""
    if IS_WINDOWS:  # pragma: no cover - a shimkit trampoline whose target lies in the install dir
        from .trampoline import is_managed as trampoline_is_managed

        return trampoline_is_managed(path, install_dir)
    target = _read_target(path)
    if target is None:
        return False
    target_path = Path(target) if os.path.isabs(target) else path.parent / target
    root = os.path.abspath(install_dir)
    return os.path.abspath(target_path).startswith(root + os.sep)


def current_target(path: Path) -> Optional[str]:
    return _read_target(path)


def _write(path: Path, target: Path) -> None:
    """Create or replace ``path`` atomically (create beside it, then rename over it)."""
    if IS_WINDOWS:  # pragma: no cover
        from .trampoline import write_trampoline

        write_trampoline(path, target)
        return
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sweep_temporaries(names: set[str], bin_dir: StrPath, install_dir: StrPath) -> None:
    """Delete ``.NAME.xxxxxxxx.tmp`` entries a killed run left between :func:`_write`'s two steps."""
    try:
        listing = os.listdir(bin_dir)
    except OSError:
        return
    for item in listing:
        parts = item.split(".")
        # ".python3.12.1a2b3c4d.tmp" splits into ["", "python3", "12", "1a2b3c4d", "tmp"]
        if len(parts) < 4 or parts[0] or parts[-1] != "tmp" or ".".join(parts[1:-2]) not in names:
            continue
        path = Path(bin_dir, item)
        if is_managed(path, install_dir):
            with contextlib.suppress(OSError):
                path.unlink()


class LinkReport(Record):
    created: list[Path]
    updated: list[Path]
    unchanged: list[Path]
    refused: list[Path]  # foreign files left alone (no --force)


def install_entries(
    entries: list[BinEntry], bin_dir: StrPath, install_dir: StrPath, *, force: bool = False
) -> LinkReport:
    """Write bin entries; foreign files are refused (reported) unless ``force``."""
    report = LinkReport([], [], [], [])
    bin_dir = Path(bin_dir)
    try:
        bin_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create bin dir {bin_dir}: {exc.strerror}",
            "choose another with --bin-dir or SHIMKIT_BIN_DIR, or pass --no-bin",
        ) from None
    _sweep_temporaries({e.name for e in entries}, bin_dir, install_dir)
    for e in entries:
        path = bin_dir / e.name
        exists = path.exists() or path.is_symlink()
        if exists:
            if _read_target(path) == str(e.target):
                report.unchanged.append(path)
                continue
            if not is_managed(path, install_dir) and not force:
                report.refused.append(path)
                continue
        try:
            _write(path, e.target)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror}", "check the bin dir's permissions") from None
        (report.updated if exists else report.created).append(path)
    return report


def remove_entries_through(link_name: str, bin_dir: StrPath, install_dir: StrPath) -> list[Path]:
    """Remove the managed bin entries that go through the minor-version link ``link_name``."""
    removed: list[Path] = []
    root = os.path.abspath(install_dir)
    prefix = os.path.join(root, link_name) + os.sep
    try:
        names = os.listdir(bin_dir)
    except OSError:
        return removed
    for name in names:
        path = Path(bin_dir, name)
        target = _read_target(path)
        # a relative target is relative to the bin dir, not to wherever this command runs
        if target is not None and os.path.abspath(os.path.join(bin_dir, target)).startswith(prefix):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def managed_entries(bin_dir: StrPath, install_dir: StrPath) -> dict[Path, str]:
    """Every managed entry in the bin dir and its target."""
    out: dict[Path, str] = {}
    try:
        names = sorted(os.listdir(bin_dir))
    except OSError:
        return out
    for name in names:
        path = Path(bin_dir, name)
        if is_managed(path, install_dir):
            target = _read_target(path)
            if target is not None:
                out[path] = target
    return out


def on_path(bin_dir: StrPath, environ: Optional[dict[str, str]] = None) -> bool:
    """Whether ``bin_dir`` is on PATH."""
    env = os.environ if environ is None else environ
    want = os.path.normcase(os.path.abspath(bin_dir))
    return any(
        os.path.normcase(os.path.abspath(os.path.expanduser(p))) == want
        for p in env.get("PATH", "").split(os.pathsep)
        if p
    )


def bin_dir_advice(
    bin_dir: StrPath, *, from_flag: bool = False, environ: Optional[dict[str, str]] = None
) -> Optional[str]:
    """What to tell the user when new entries in ``bin_dir`` are not found from this shell (None:
    they are, it is on PATH).  Only advice that works now: when the running shell's startup file
    already loads shimkit (whose hook puts the bin dir on PATH), a new shell is all it takes."""
    if on_path(bin_dir, environ):
        return None
    if from_flag:  # the shell hook adds the configured bin dir, not one given once with --bin-dir
        return (
            f"{bin_dir} is not on PATH; add it yourself, or make it the bin dir for good "
            "(SHIMKIT_BIN_DIR or bin-dir in shimkit.toml) and run `shimkit update-shell`"
        )
    from . import shellrc
    from .errors import UsageError
    from .shell import detect_shell

    try:
        rc = shellrc.set_up_in(detect_shell(environ), environ=environ)
    except UsageError:  # an unknown shell: update-shell will say so
        rc = None
    if rc is not None:
        return f"{bin_dir} is not on PATH in this shell yet; open a new shell ({rc} sets it up)"
    return f"{bin_dir} is not on PATH; run `shimkit update-shell` to add it"
