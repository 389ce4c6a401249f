"""PEP 668: every managed installation is marked externally managed, as uv marks its own.

A managed interpreter is shared by every project pinned to it, and the shell hook puts its
``bin/`` on PATH; without the mark a bare ``pip install six`` typed in a project (or in a venv
made without pip) changes that shared installation for everyone.  With an ``EXTERNALLY-MANAGED``
file in the standard library directory, pip refuses and prints the message below, which says
what to do instead (``shimkit venv``).  ``pip install --break-system-packages`` still works for
someone who means it, and a virtual environment made from the installation is not affected
(pip only looks at the base interpreter's stdlib when it runs outside a venv).

:func:`mark` is called by the installer for each new installation (in the staging directory,
before the commit); installations made by an older shimkit get the file from :func:`mark_all`
at the next ``install`` or ``upgrade``, as they get the pinning hook (no lock needed: the file is
replaced atomically and a vanished installation is skipped).
"""

from __future__ import annotations

import os

from .pinning import stdlib_dir
from .safeio import write_text_atomic

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pathlib import Path

    from .model.key import PythonKey
    from .store import Installation, Store

FILE_NAME = "EXTERNALLY-MANAGED"

MESSAGE = """\
This Python is managed by shimkit and shared by every project that pins it:
packages are not installed into it.

Make a virtual environment for your project and install there:

    shimkit venv
    source .venv/bin/activate   (fish: .venv/bin/activate.fish; see `shimkit venv`)
    pip install <package>

(pip install --break-system-packages overrides this, at your own risk.)"""


def text() -> str:
    """The file's content: an ini file whose ``Error`` is what pip prints."""
    body = MESSAGE.replace("\n", "\n ")  # continuation lines of the ini value
    return f"[externally-managed]\nError={body}\n"


def is_marked(root: Path, key: PythonKey) -> bool:
    return os.path.isfile(stdlib_dir(root, key) / FILE_NAME)


def mark(root: Path, key: PythonKey) -> bool:
    """Write the marker into the installation at ``root``; False where it has no stdlib dir."""
    lib = stdlib_dir(root, key)
    if not lib.is_dir():
        return False
    target = lib / FILE_NAME
    wanted = text()
    try:
        if target.read_text(encoding="utf-8") == wanted:
            return True
    except (OSError, UnicodeError):
        pass
    write_text_atomic(target, wanted)
    return True


def mark_all(store: Store) -> list[Installation]:
    """Mark every installation in ``store`` that lacks the current marker; returns those
    changed.  An installation that cannot be written (read-only) just stays unmarked."""
    from .errors import StoreError

    try:
        installations = store.installations()
    except StoreError:  # no install dir (yet)
        return []
    changed = []
    for inst in installations:
        try:
            lib = stdlib_dir(inst.path, inst.key)
            if (lib / FILE_NAME).is_file() and (lib / FILE_NAME).read_text(encoding="utf-8") == text():
                continue
            if mark(inst.path, inst.key):
                changed.append(inst)
        except (OSError, UnicodeError):
            continue
    return changed
