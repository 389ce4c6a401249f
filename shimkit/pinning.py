"""Running processes stay on the patch they started with: the ``sitecustomize`` hook of an installation.

Every CPython installation gets ``shimkit/pin_sitecustomize.py`` as ``<stdlib>/sitecustomize.py``
(see that file for what it does at interpreter start, and docs/design.md for why this mechanism).
The installer writes it in staging, before the rename that makes an installation visible; for
installations made before shimkit had it, :func:`ensure_hooks` adds it whenever an install or
upgrade holds the lock. An installation that ships a ``sitecustomize`` of its own is left alone.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Iterable

from .model.key import PythonKey
from .store import Installation

HOOK_NAME = "sitecustomize.py"
_SOURCE = Path(__file__).with_name("pin_sitecustomize.py")
# The first line of the hook's docstring: how shimkit recognises a hook it wrote (of any version).
MARKER = b"shimkit: keep this process on the patch release it started with."

# Compiled at every optimisation level, so that no start (-O, -OO, PYTHONDONTWRITEBYTECODE, a
# read-only install dir) ever compiles the hook again.  What py_compile does, through the import
# system's frozen module: importing py_compile from a stdlib without bytecode costs ~80 ms.  Never
# fails (it runs after the installer's verification report, in the same process).
COMPILE = (
    "try:\n"
    "    import sys, os\n"
    "    _src = sys.argv[1]\n"
    "    _ext = sys.modules.get('_frozen_importlib_external')\n"
    "    if _ext is None or not hasattr(_ext, '_code_to_timestamp_pyc'):\n"
    "        import py_compile\n"
    "        for _level in (0, 1, 2):\n"
    "            py_compile.compile(_src, optimize=_level, doraise=True)\n"
    "    else:\n"
    "        with open(_src, 'rb') as _f:\n"
    "            _data = _f.read()\n"
    "        _st = os.stat(_src)\n"
    "        for _level in (0, 1, 2):\n"
    "            _code = compile(_data, _src, 'exec', dont_inherit=True, optimize=_level)\n"
    "            _pyc = _ext.cache_from_source(_src, optimization=_level or '')\n"
    "            try:\n"
    "                os.mkdir(os.path.dirname(_pyc))\n"
    "            except OSError:\n"
    "                pass\n"
    "            _ext._write_atomic(_pyc, _ext._code_to_timestamp_pyc(_code, _st.st_mtime, _st.st_size), 0o644)\n"
    "except Exception:\n"
    "    pass\n"
)


def hook_source() -> bytes:
    return _SOURCE.read_bytes()


def stdlib_dir(root: Path, key: PythonKey) -> Path:
    """Where an installation's standard library (and so the hook, and PEP 668's marker) lives."""
    if key.platform.os == "windows":
        return root / "Lib"
    if key.implementation == "pypy":
        return root / "lib" / f"pypy{key.major}.{key.minor}"
    return root / "lib" / f"python{key.major}.{key.minor}{'t' if key.freethreaded else ''}"


def hook_path(root: Path, key: PythonKey) -> Path:
    return stdlib_dir(root, key) / HOOK_NAME


def has_current_hook(root: Path, key: PythonKey) -> bool:
    try:
        return hook_path(root, key).read_bytes() == hook_source()
    except OSError:
        return False


def write_hook(root: Path, key: PythonKey) -> tuple[bool, Path]:
    """Write (or update) the hook's source into the installation at ``root``, not compiled (the
    installer compiles it in its verification run: :data:`COMPILE`).  Returns whether the
    installation now has the current hook (False for non-CPython keys, a missing standard library,
    or a ``sitecustomize`` of its own) and the hook's path."""
    target = hook_path(root, key)
    if key.implementation != "cpython" or not target.parent.is_dir():
        return False, target
    source = hook_source()
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        current = None
    if current == source:
        return True, target
    if current is not None and MARKER not in current:
        return False, target  # the installation's own sitecustomize: never replaced
    tmp = target.with_name(f".{HOOK_NAME}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(source)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return True, target


def install_hook(root: Path, key: PythonKey, *, timeout: float = 60.0) -> bool:
    """Write (or update) the hook into the installation at ``root`` and compile it with the
    installation's own interpreter.  Returns whether the installation now has the current hook:
    False for non-CPython keys, a missing standard library, or a ``sitecustomize`` of its own."""
    if key.implementation == "cpython" and has_current_hook(root, key):
        return True
    ok, target = write_hook(root, key)
    if not ok:
        return False
    exe = Installation(key, root).executable
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:  # without bytecode the hook still works; each start then compiles it (slower)
        subprocess.run(
            [str(exe), "-I", "-S", "-c", COMPILE, str(target)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        pass
    return True


def ensure_hooks(installations: Iterable[Installation]) -> list[Installation]:
    """Give every installation that lacks it the current hook (installations made by an older
    shimkit); returns those changed.  The caller holds the store lock.  Failures (a read-only
    installation) are not errors: that installation just keeps following its link."""
    changed = []
    for inst in installations:
        if inst.key.implementation != "cpython" or has_current_hook(inst.path, inst.key):
            continue
        try:
            if install_hook(inst.path, inst.key):
                changed.append(inst)
        except OSError:
            continue
    return changed
