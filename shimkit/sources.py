"""Where interpreters come from: virtual environments, managed installations, ``PATH`` and other
managers (pyenv, uv, mise).  Each source yields :class:`Candidate` objects lazily, probing
through :mod:`shimkit.probecache`; :mod:`shimkit.discovery` decides their order and the choice.

- ``venv``: the active virtual environment (``$VIRTUAL_ENV``), then a ``.venv`` in the working
  directory or a parent, up to the project boundary;
- ``managed``: shimkit's installations, newest first; the path goes through the minor-version
  link (so a venv made from it follows patch upgrades) unless the request names a patch, or the
  link points at another patch;
- ``path``: ``python`` and ``python3`` in each ``PATH`` directory in order (what typing them
  runs), then ``python3.X`` (newest first within one directory); relative entries and the shim
  directories of shimkit, pyenv and mise are skipped, and so are entries that resolve into the
  install dir or belong to a virtual environment;
- ``pyenv`` (``$PYENV_ROOT/versions``), ``uv`` (``$UV_PYTHON_INSTALL_DIR``, else
  ``<data>/uv/python``), ``mise`` (``$MISE_DATA_DIR/installs/python``, else
  ``<data>/mise/installs/python``): interpreters of other managers, as system interpreters.
"""

from __future__ import annotations

import os
import sys

from . import layout
from . import versionfile as vf
from .model.version import DIGITS, Version
from .probecache import interpreter_info, variant_of, venv_home, venv_of

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Iterator, Optional

    from .model.key import PlatformTriple, PythonKey
    from .model.request import PythonRequest

SOURCES = ("venv", "managed", "path", "pyenv", "uv", "mise", "explicit")
IS_WINDOWS = sys.platform == "win32"


class Candidate:
    """An interpreter a source offers."""

    __slots__ = ("exe", "implementation", "info", "key", "source", "variant", "version")

    def __init__(
        self,
        exe: str,
        source: str,
        implementation: str,
        version: Version,
        variant: str,
        info: Optional[dict[str, Any]] = None,
        key: Optional[PythonKey] = None,
    ) -> None:
        self.exe = exe
        self.source = source  # one of SOURCES
        self.implementation = implementation
        self.version = version
        self.variant = variant
        self.info = info  # the probe report (None for managed installations: their key says it all)
        self.key = key  # managed installations only

    @classmethod
    def probed(cls, exe: str, source: str, info: dict[str, Any]) -> Candidate:
        return cls(exe, source, info["implementation"], Version.parse(info["version"]), variant_of(info), info)

    @property
    def prerelease(self) -> bool:
        return self.version.is_prerelease

    def to_json(self) -> dict[str, Any]:
        """The ``find --output-format json`` object."""
        return {
            "path": self.exe,
            "version": str(self.version),
            "implementation": self.implementation,
            "variant": self.variant or None,
            "source": self.source,
            "key": None if self.key is None else str(self.key),
        }

    def __repr__(self) -> str:
        return f"Candidate({self.exe!r}, {self.source!r}, {self.implementation} {self.version}{self.variant})"


def venv_python(venv: str) -> Optional[str]:
    """The interpreter of a virtual environment directory (one holding ``pyvenv.cfg``)."""
    if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        return None
    for rel in (("Scripts", "python.exe"),) if IS_WINDOWS else (("bin", "python"), ("bin", "python3")):
        exe = os.path.join(venv, *rel)
        if os.path.isfile(exe):
            return exe
    return None


def project_venvs(cwd: str) -> list[str]:
    """``.venv`` directories from ``cwd`` up to the project boundary (or ``/``), nearest first."""
    out = []
    ceilings = vf.ceiling_dirs()
    boundary = vf.find_project_root(cwd, ceilings)
    d = os.path.normpath(cwd)
    while d not in ceilings:
        candidate = os.path.join(d, ".venv")
        if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
            out.append(candidate)
        parent = os.path.dirname(d)
        if d == boundary or parent == d:
            break
        d = parent
    return out


def _path_names(d: str, req: PythonRequest, versioned: bool) -> Iterator[str]:
    """``python`` and ``python3``, or (``versioned``) the ``python3.X`` names in ``d``, newest first."""
    exe = ".exe" if IS_WINDOWS else ""
    if not versioned:
        for name in ("python", "python3"):
            if os.path.isfile(os.path.join(d, name + exe)):
                yield name + exe
        return
    if req.minor is not None:
        name = f"python{req.minor}{'t' if req.freethreaded else ''}{exe}"
        if os.path.isfile(os.path.join(d, name)):
            yield name
        return
    try:
        names = os.listdir(d)
    except OSError:
        return
    found = []
    for n in names:
        stem = n[: -len(exe)] if exe and n.endswith(exe) else n
        if not stem.startswith("python3."):
            continue
        minor = stem[len("python3.") :]
        gil = not minor.endswith("t")
        minor = minor if gil else minor[:-1]
        if minor and all(c in DIGITS for c in minor):
            found.append((int(minor), gil, n))
    for _minor, _gil, n in sorted(found, reverse=True):
        yield n


def _version_dirs(root: str) -> list[str]:
    """Interpreters in a pyenv/mise-style ``versions`` directory, newest first by name."""
    try:
        entries = [e for e in os.scandir(root) if not e.is_symlink() and e.is_dir()]
    except OSError:
        return []

    def order(name: str) -> tuple[int, tuple[int, ...], str]:
        head = name
        for i, c in enumerate(name):
            if c not in DIGITS and c != ".":
                head = name[:i]
                break
        parts = head.split(".")[:3]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            return (0, (), name)
        return (1, tuple(int(p or 0) for p in parts), name)

    out = []
    for e in sorted(entries, key=lambda e: order(e.name), reverse=True):
        for rel in ("bin/python3", "bin/python", "python.exe"):
            exe = os.path.join(e.path, rel)
            if os.path.isfile(exe):
                out.append(exe)
                break
    return out


class Sources:
    """The candidates of one search, probing lazily and remembering what was skipped."""

    def __init__(
        self, *, install_dir: str, cache_dir: str, data_dir: str, host: PlatformTriple, cwd: str, preference: str
    ) -> None:
        self.install_dir = os.path.abspath(install_dir)
        self.cache_dir = cache_dir
        self.data_dir = data_dir
        self.host = host
        self.cwd = cwd
        self.preference = preference
        self.skipped: list[tuple[str, str]] = []  # (path, reason)
        self._install_real: Optional[str] = None

    def probe(self, exe: str) -> Optional[dict[str, Any]]:
        info, reason = interpreter_info(exe, self.cache_dir)
        if info is None:
            self.skipped.append((exe, reason))
        return info

    def in_install_dir(self, path: str) -> bool:
        """Whether ``path``, or a link on the way from it to the interpreter, is in the install dir."""
        if self._install_real is None:
            self._install_real = os.path.realpath(self.install_dir) + os.sep
        for _ in range(40):  # symlink hops (a loop ends it)
            where = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            if where.startswith(self._install_real):
                return True
            try:
                path = os.path.join(os.path.dirname(where), os.readlink(where))
            except OSError:
                return False
        return False

    def venvs(self) -> Iterator[Candidate]:
        seen: set[str] = set()
        dirs: list[str] = []
        active = os.environ.get("VIRTUAL_ENV", "")
        if active and os.path.isabs(active):
            d = os.path.normpath(active)
            if venv_python(d) is None:
                # what this shell activated is gone: another Python would be a silent surprise
                # (uv: python_find.rs, "Failed to inspect Python interpreter from active virtual environment")
                import shlex

                from .errors import NotFoundError

                raise NotFoundError(
                    f"the active virtual environment {d} has no Python interpreter",
                    f"recreate it with `shimkit venv --clear {shlex.quote(d)}`, or leave it with `deactivate`",
                )
            dirs.append(d)
        dirs.extend(project_venvs(self.cwd))
        for d in dirs:
            if d in seen:
                continue
            seen.add(d)
            exe = venv_python(d)
            if exe is None:
                continue
            if self.preference in ("only-managed", "only-system"):
                home = venv_home(d)
                # a venv made from the bin entry records home = the bin dir: its python's links tell
                managed = (home is not None and self.in_install_dir(home)) or self.in_install_dir(exe)
                if managed != (self.preference == "only-managed"):
                    continue
            info = self.probe(exe)
            if info is not None:
                yield Candidate.probed(exe, "venv", info)

    def managed(self, req: PythonRequest) -> Iterator[Candidate]:
        root = self.install_dir
        try:
            keys = layout.installations(root)
        except OSError:
            keys = []
        for key in keys:
            if not req.matches_key(key, self.host):
                continue
            exe = layout.managed_executable(root, key, through_link=not req.names_patch)
            if exe is None:
                self.skipped.append((os.path.join(root, str(key)), "holds no interpreter"))
                continue
            yield Candidate(exe, "managed", key.implementation, key.version, key.variant, key=key)

    def _system(self, exe: str, source: str, seen: set[str]) -> Optional[Candidate]:
        try:
            real = os.path.realpath(exe)
        except (OSError, ValueError):
            return None
        if real in seen or self.in_install_dir(exe):
            return None
        seen.add(real)
        if venv_of(exe) is not None:
            return None  # a virtual environment's interpreter is not a system interpreter
        info = self.probe(exe)
        return None if info is None else Candidate.probed(exe, source, info)

    def _shim_dirs(self) -> set[str]:
        home = os.path.expanduser("~")
        data_home = os.path.dirname(self.data_dir)
        dirs = {
            os.path.join(self.data_dir, "shims"),
            os.path.join(os.environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv"), "shims"),
            os.path.join(os.environ.get("MISE_DATA_DIR") or os.path.join(data_home, "mise"), "shims"),
        }
        return {os.path.normpath(d) for d in dirs}

    def on_path(self, req: PythonRequest) -> Iterator[Candidate]:
        skip = self._shim_dirs()
        seen: set[str] = set()
        # a relative entry would let the current directory provide "python"
        dirs = [
            d
            for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and os.path.isabs(d) and os.path.normpath(d) not in skip
        ]
        for versioned in (False, True):  # what `python`/`python3` run first, then versioned names
            for d in dirs:
                for name in _path_names(d, req, versioned):
                    c = self._system(os.path.join(d, name), "path", seen)
                    if c is not None:
                        yield c

    def other_managers(self) -> Iterator[Candidate]:
        seen: set[str] = set()
        home = os.path.expanduser("~")
        data_home = os.path.dirname(self.data_dir)  # <XDG_DATA_HOME>
        pyenv = os.environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv")
        for exe in _version_dirs(os.path.join(pyenv, "versions")):
            c = self._system(exe, "pyenv", seen)
            if c is not None:
                yield c
        uv = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.join(data_home, "uv", "python")
        try:
            uv_keys = layout.installations(uv)
        except OSError:
            uv_keys = []
        for key in uv_keys:
            if key.platform != self.host:
                continue
            uv_exe = layout.managed_executable(uv, key, through_link=False)
            c = self._system(uv_exe, "uv", seen) if uv_exe else None
            if c is not None:
                yield c
        mise = os.environ.get("MISE_DATA_DIR") or os.path.join(data_home, "mise")
        for exe in _version_dirs(os.path.join(mise, "installs", "python")):
            c = self._system(exe, "mise", seen)
            if c is not None:
                yield c
