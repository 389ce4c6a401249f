"""Finding interpreters: virtual environments, managed installations, PATH and other managers.

Resolution order (``shimkit find``, ``shimkit venv -p``, ``pin --resolved``); the first
candidate that satisfies the request wins:

1. ``venv``: the active virtual environment (``$VIRTUAL_ENV``), then a ``.venv`` in the working
   directory or a parent, up to the project boundary (see :mod:`shimkit.versionfile`);
   skipped with ``system=True`` (``--system``);
2. ``managed``: shimkit's installations, newest first (stable releases before pre-releases).
   The path goes through the minor-version link (so a venv made from it follows patch
   upgrades) unless the request names a patch, or the link points at another patch;
3. ``path``: ``python`` and ``python3`` in each ``PATH`` directory in order (what typing them
   runs), then ``python3.X`` in each directory (newest first within one); relative entries and
   the shim directories of shimkit, pyenv and mise are skipped, and so are entries that resolve
   into the install dir or belong to a virtual environment;
4. other managers' interpreters, as system interpreters: ``pyenv`` (``$PYENV_ROOT/versions``),
   ``uv`` (``$UV_PYTHON_INSTALL_DIR``, else ``<data>/uv/python``), ``mise``
   (``$MISE_DATA_DIR/installs/python``, else ``<data>/mise/installs/python``).

``python-preference`` reorders and filters: ``managed`` (the order above), ``system`` (3-4
before 2), ``only-managed`` (no 3-4; a venv only if its base interpreter is managed),
``only-system`` (no 2; a venv only if its base is not managed).  ``--managed-python`` and
``--no-managed-python`` mean ``only-managed`` and ``only-system``.

A request without an implementation prefers CPython, and pre-releases are chosen only when
nothing else matches (a matching venv is always taken: it is what the directory uses).  When
nothing matches, ``python-downloads = automatic`` (not offline, managed installations allowed)
installs the request and finds it; otherwise :class:`~shimkit.errors.NotFoundError` (exit 2).

Probing: interpreters other than managed ones are run once (``-I -S`` and a tiny script, see
:mod:`shimkit.probe`); the answer is cached in ``<user cache dir>/interpreters/`` keyed by path
and the executable's mtime, size and inode.  Broken candidates (not executable, non-zero exit,
garbage output, a hang past ``SHIMKIT_PROBE_TIMEOUT`` seconds, default 10) are skipped; their
failure is cached for an hour.

Hot path: ``find`` and ``pin`` run in a fresh process many times a day, so this module imports
only ``os``, ``sys`` and ``re`` at load time and works on strings.  Plain version requests
(``3.12``, ``3.13t``, ``3.12.1``), settings from the environment and the host platform on
common Linux systems are handled by small "lean" helpers (each checked against the full
implementation by ``tests/test_discovery.py``); anything else goes through
:mod:`shimkit.requests`, :mod:`shimkit.settings` and :mod:`shimkit.platform`, imported on demand.
"""

from __future__ import annotations

import os
import re
import stat
import sys

from . import versionfile as vf
from .errors import NotFoundError, UsageError, VerificationError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time (mypy knows the name)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Callable, Iterator, Optional, Union

    from .installer import Reporter
    from .keys import PlatformTriple, PythonKey
    from .probe import InterpreterInfo
    from .requests import PythonRequest
    from .settings import Settings

    Warn = Callable[[str], None]
    StrPath = Union[str, "os.PathLike[str]"]

SOURCES = ("venv", "managed", "path", "pyenv", "uv", "mise", "explicit")
# Duplicated from shimkit.settings (importing it costs ~10 ms); tests check they agree.
PYTHON_PREFERENCES = ("only-managed", "managed", "system", "only-system")
PYTHON_DOWNLOADS = ("automatic", "manual", "never")
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off", "")

PROBE_TIMEOUT_ENV = "SHIMKIT_PROBE_TIMEOUT"
DEFAULT_PROBE_TIMEOUT = 10.0
ERROR_TTL = 3600.0  # seconds a failed probe is remembered
CACHE_FORMAT = 1
IS_WINDOWS = sys.platform == "win32"


def _noop(_: str) -> None:
    pass


# ---- where things are: a lean view of the settings the search needs -------------------------
class SearchConfig:
    """The settings and directories the search uses (strings; built from :class:`Settings`, or
    straight from the environment by :func:`lean_config` on the hot path)."""

    __slots__ = ("_host", "cache_dir", "config_dir", "data_dir", "downloads", "downloads_json", "install_dir",
                 "no_config", "offline", "preference")

    def __init__(self, *, install_dir: str, preference: str, downloads: str, no_config: bool,
                 offline: bool, cache_dir: str, config_dir: str, data_dir: str,
                 downloads_json: Optional[str] = None) -> None:
        self.install_dir = os.path.abspath(install_dir)
        self.preference = preference
        self.downloads = downloads
        self.no_config = no_config
        self.offline = offline
        self.cache_dir = cache_dir
        self.config_dir = config_dir
        self.data_dir = data_dir
        self.downloads_json = downloads_json
        self._host: Optional[str] = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchConfig:
        from . import dirs

        return cls(
            install_dir=str(settings.install_dir), preference=settings.python_preference,
            downloads=settings.python_downloads, no_config=settings.no_config, offline=settings.offline,
            cache_dir=str(dirs.user_cache_dir()), config_dir=str(dirs.user_config_dir()),
            data_dir=str(dirs.user_data_dir()), downloads_json=settings.downloads_json,
        )

    @property
    def host(self) -> str:
        """The host platform triple, ``linux-x86_64-gnu``."""
        if self._host is None:
            self._host = lean_host()
            if self._host is None:
                from .platform import host

                self._host = str(host())
        return self._host

    @property
    def global_file(self) -> str:
        return os.path.join(self.config_dir, vf.VERSION_FILE)

    def with_flags(self, *, install_dir: Optional[str] = None,
                   no_config: Optional[bool] = None) -> SearchConfig:
        """A copy with command-line flags applied (None: not given)."""
        new = SearchConfig(
            install_dir=self.install_dir if install_dir is None else os.path.expanduser(install_dir),
            preference=self.preference, downloads=self.downloads,
            no_config=self.no_config if no_config is None else no_config, offline=self.offline,
            cache_dir=self.cache_dir, config_dir=self.config_dir, data_dir=self.data_dir,
            downloads_json=self.downloads_json,
        )
        new._host = self._host
        return new


def lean_config(environ: Optional[dict[str, str]] = None) -> Optional[SearchConfig]:
    """:class:`SearchConfig` from ``SHIMKIT_*``/``XDG_*`` variables without importing
    :mod:`shimkit.settings`; None when that module is needed: a config file exists (it must be
    validated), a value is invalid (the error must name it), or the platform is not XDG-style."""
    env = os.environ if environ is None else environ
    if sys.platform in ("win32", "darwin"):
        return None
    home = os.path.expanduser("~")

    def xdg(var: str, default: str) -> str:
        value = env.get(var, "").strip()
        base = value if value and os.path.isabs(value) else os.path.join(home, default)
        return os.path.join(base, "shimkit")

    def flag(var: str) -> Optional[bool]:
        value = env.get(var, "").strip().lower()
        return True if value in _TRUE_WORDS else False if value in _FALSE_WORDS else None

    def choice(var: str, choices: tuple[str, ...], default: str) -> Optional[str]:
        raw = env.get(var)
        if raw is None or not raw.strip():
            return default
        value = raw.strip().lower()
        return value if value in choices else None

    no_config, offline = flag("SHIMKIT_NO_CONFIG"), flag("SHIMKIT_OFFLINE")
    preference = choice("SHIMKIT_PYTHON_PREFERENCE", PYTHON_PREFERENCES, "managed")
    downloads = choice("SHIMKIT_PYTHON_DOWNLOADS", PYTHON_DOWNLOADS, "automatic")
    if no_config is None or offline is None or preference is None or downloads is None:
        return None
    config_dir = xdg("XDG_CONFIG_HOME", ".config")
    if not no_config:
        config_file = env.get("SHIMKIT_CONFIG_FILE") or os.path.join(config_dir, "shimkit.toml")
        if os.path.isfile(config_file):
            return None
    data_dir = xdg("XDG_DATA_HOME", ".local/share")
    raw_dir = env.get("SHIMKIT_PYTHON_INSTALL_DIR")
    if raw_dir is not None and raw_dir.strip():
        install_dir = os.path.expanduser(os.path.expandvars(raw_dir))
    else:
        install_dir = os.path.join(data_dir, "python")
    downloads_json = env.get("SHIMKIT_PYTHON_DOWNLOADS_JSON_URL", "").strip() or None
    return SearchConfig(
        install_dir=install_dir, preference=preference, downloads=downloads, no_config=no_config,
        offline=offline, cache_dir=xdg("XDG_CACHE_HOME", ".cache"), config_dir=config_dir, data_dir=data_dir,
        downloads_json=downloads_json,
    )


def config_from_settings_or_env(*, no_config: Optional[bool] = None, install_dir: Optional[str] = None
                                ) -> SearchConfig:
    """The search config for a command: lean when possible, else from :func:`load_settings`
    (which validates the config file and raises :class:`ConfigError` naming file, key and values)."""
    cfg = lean_config()
    if cfg is None:
        from .settings import load_settings

        cfg = SearchConfig.from_settings(load_settings(read_config=not no_config))
    return cfg.with_flags(install_dir=install_dir, no_config=no_config)


_LEAN_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def lean_host() -> Optional[str]:
    """The host triple for glibc Linux on x86_64/aarch64 (and the ``SHIMKIT_HOST_PLATFORM``
    override), without importing :mod:`shimkit.platform`; None elsewhere."""
    override = os.environ.get("SHIMKIT_HOST_PLATFORM")
    if override and len(override.split("-")) == 3:
        return override
    if not sys.platform.startswith("linux"):
        return None
    arch = _LEAN_ARCH.get(os.uname().machine.lower())
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        libc = ""
    if arch is None or not libc.startswith("glibc"):
        return None
    return f"linux-{arch}-gnu"


# ---- requests, as the search sees them -------------------------------------------------------
# Hand-written parsers: compiling the equivalent regular expressions costs more than the rest
# of a `find` run.
_DIGITS = frozenset("0123456789")
_PRE_TAGS = ("rc", "a", "b")


def _canonical_int(text: str) -> bool:
    """A number written as ``str(int(text))`` would write it (no sign, no leading zero)."""
    return bool(text) and all(c in _DIGITS for c in text) and (text == "0" or text[0] != "0")


def _split_release(parts: list[str]) -> Optional[tuple[tuple[int, ...], Optional[str]]]:
    """``["3", "13", "0rc1"]`` -> ``((3, 13, 0), "rc1")``; a pre-release only after a third part."""
    pre = None
    if len(parts) == 3:
        last = parts[2]
        i = 0
        while i < len(last) and last[i] in _DIGITS:
            i += 1
        if i < len(last):
            pre = last[i:]
            if not any(pre.startswith(t) and _canonical_int(pre[len(t):]) for t in _PRE_TAGS):
                return None
            parts = [parts[0], parts[1], last[:i]]
    if not all(_canonical_int(p) for p in parts):
        return None
    return tuple(int(p) for p in parts), pre


def _split_version(version: str) -> Optional[tuple[tuple[int, int, int], Optional[str]]]:
    """``3.12.1`` / ``3.13.0rc1`` (canonical, three parts) -> release and pre-release."""
    parts = version.split(".")
    if len(parts) != 3:
        return None
    split = _split_release(parts)
    if split is None:
        return None
    (a, b, c), pre = split
    return (a, b, c), pre


class Want:
    """What a request asks of an interpreter, in the form the search needs."""

    text: str = "any"  # canonical request, for messages
    implementation: Optional[str] = None  # None: any implementation, CPython preferred
    names_patch: bool = False
    minor: Optional[str] = None  # "3.12" when the request names one minor version
    freethreaded: bool = False
    installable: bool = True

    def matches_managed(self, m: Managed, host: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def matches_interpreter(self, implementation: str, version: str,
                            variant: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def request(self) -> PythonRequest:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


class SimpleWant(Want):
    """A plain version (or no request at all), matched without packaging (same semantics as
    :meth:`PythonRequest.matches_key` / :meth:`PythonRequest.matches_interpreter`)."""

    def __init__(self, release: tuple[int, ...] = (), pre: Optional[str] = None, freethreaded: bool = False,
                 text: Optional[str] = None) -> None:
        self.release = release
        self.pre = pre
        self.freethreaded = freethreaded
        self.variant = "freethreaded" if freethreaded else ""
        self.any = not release
        self.names_patch = len(release) == 3
        self.minor = f"{release[0]}.{release[1]}" if len(release) >= 2 else None
        self.text = text or "any"

    def _version_ok(self, release: tuple[int, int, int], pre: Optional[str], variant: str) -> bool:
        if variant != self.variant:
            return False
        n = len(self.release)
        if release[:n] != self.release:
            return False
        return n != 3 or pre == self.pre

    def matches_managed(self, m: Managed, host: str) -> bool:
        if m.platform != host or (not self.any and m.implementation != "cpython"):
            return False
        return self._version_ok(m.release, m.pre, m.variant)

    def matches_interpreter(self, implementation: str, version: str, variant: str) -> bool:
        parts = _split_version(version)
        return parts is not None and self._version_ok(parts[0], parts[1], variant)

    def request(self) -> PythonRequest:
        from .requests import PythonRequest, parse_request

        return PythonRequest(kind="any") if self.any else parse_request(self.text, allow_paths=False)


ANY = SimpleWant()


def simple_want(text: str) -> Optional[SimpleWant]:
    """A :class:`SimpleWant` if ``text`` is a plain version request (``3.12``, ``3.13t``, ``any``)."""
    if text in ("any", "default"):
        return ANY
    freethreaded = text.endswith("t")
    parts = (text[:-1] if freethreaded else text).split(".")
    if not 1 <= len(parts) <= 3 or parts[0] not in ("2", "3", "4"):
        return None
    split = _split_release(parts)
    if split is None:
        return None
    return SimpleWant(split[0], split[1], freethreaded, text)


_SPEC_OPS = ("~=", "==", "!=", "<=", ">=", "<", ">")  # two-character operators first


def _clause_ok(op: str, spec: tuple[int, ...], wildcard: bool, release: tuple[int, int, int],
               pre: Optional[str]) -> bool:
    """One PEP 440 clause on a plain-release spec, as ``packaging`` decides it with
    ``prereleases=True`` (including ``<3.13`` refusing ``3.13.0rc1``)."""
    n = len(spec)
    if wildcard:
        return (release[:n] == spec) == (op == "==")
    padded = spec + (0,) * (3 - n)
    cmp = (release > padded) - (release < padded)
    if cmp == 0 and pre is not None:
        cmp = -1  # a pre-release comes before its final release
    if op == ">=":
        return cmp >= 0
    if op == "<=":
        return cmp <= 0
    if op == ">":
        return cmp > 0
    if op == "<":
        return cmp < 0 and not (pre is not None and release == padded)
    if op == "==":
        return cmp == 0
    if op == "!=":
        return cmp != 0
    return cmp >= 0 and release[: n - 1] == spec[: n - 1]  # ~=


class SpecWant(Want):
    """A version specifier over plain releases (``>=3.11,<3.13``, ``==3.12.*``, ``~=3.11.0``: what
    ``requires-python`` holds), matched without importing ``packaging.specifiers`` (~20 ms)."""

    def __init__(self, clauses: list[tuple[str, tuple[int, ...], bool]], text: str) -> None:
        self.clauses = clauses
        self.text = text

    def _ok(self, release: tuple[int, int, int], pre: Optional[str]) -> bool:
        return all(_clause_ok(op, spec, wild, release, pre) for op, spec, wild in self.clauses)

    def matches_managed(self, m: Managed, host: str) -> bool:
        return m.platform == host and m.implementation == "cpython" and not m.variant and self._ok(m.release, m.pre)

    def matches_interpreter(self, implementation: str, version: str, variant: str) -> bool:
        parts = _split_version(version)
        return parts is not None and not variant and self._ok(parts[0], parts[1])

    def request(self) -> PythonRequest:
        from .requests import parse_request

        return parse_request(self.text, allow_paths=False)


def spec_want(text: str) -> Optional[SpecWant]:
    """A :class:`SpecWant` if ``text`` is a specifier over plain releases already written in its
    canonical form (what ``pin`` would write); None for anything else."""
    if not text.startswith(("<", ">", "=", "!", "~")) or text.endswith("t") or " " in text:
        return None
    clauses: list[tuple[str, tuple[int, ...], bool]] = []
    order = []
    for part in text.split(","):
        op = next((o for o in _SPEC_OPS if part.startswith(o)), "")
        version = part[len(op):]
        wildcard = version.endswith(".*")
        parts = (version[:-2] if wildcard else version).split(".")
        if (not op or part.startswith("===") or (wildcard and op not in ("==", "!="))
                or not 1 <= len(parts) <= 3 or not all(_canonical_int(p) for p in parts)
                or (op == "~=" and len(parts) < 2)):
            return None
        clauses.append((op, tuple(int(p) for p in parts), wildcard))
        order.append((text.find(version), op, version))
    # shimkit.requests orders a set's clauses this way; anything else is not canonical
    if order != sorted(set(order)):
        return None
    return SpecWant(clauses, text)


def lean_want(text: str) -> Optional[Want]:
    """A request the search can match without packaging: a plain version or specifier."""
    return simple_want(text) or spec_want(text)


class FullWant(Want):
    """Any :class:`PythonRequest` (specifiers, implementations, keys)."""

    def __init__(self, req: PythonRequest) -> None:
        self.req = req
        self.text = str(req)
        self.implementation = req.implementation
        v = req.version
        self.names_patch = v.names_patch
        self.freethreaded = "freethreaded" in v.variant
        self.minor = f"{v.release[0]}.{v.release[1]}" if v.specifier is None and len(v.release) >= 2 else None
        self.installable = req.is_installable
        self._host: Optional[PlatformTriple] = None

    def matches_managed(self, m: Managed, host: str) -> bool:
        from .keys import PlatformTriple

        if self._host is None or str(self._host) != host:
            self._host = PlatformTriple(*host.split("-"))
        return self.req.matches_key(m.key(), self._host)

    def matches_interpreter(self, implementation: str, version: str, variant: str) -> bool:
        from packaging.version import InvalidVersion, Version

        try:
            return self.req.matches_interpreter(implementation, Version(version), variant)
        except InvalidVersion:
            return False

    def request(self) -> PythonRequest:
        return self.req


def want_for(text: str, *, allow_paths: bool = False) -> Want:
    """The :class:`Want` for a request typed by a user (:class:`RequestError` if malformed)."""
    w = lean_want(text)
    if w is not None:
        return w
    from .requests import parse_request

    return FullWant(parse_request(text, allow_paths=allow_paths))


def pinned_want(cwd: str, cfg: SearchConfig, warn: Warn, *, session: bool = True
                ) -> tuple[Optional[Want], Optional[vf.Found]]:
    """The request for ``cwd``, in the shell hooks' order: ``SHIMKIT_PYTHON`` (this shell's
    override, when ``session``), else the version files (or ``requires-python``, or the global
    pin) unless ``no_config``.  The first valid line wins; bad lines are dropped with a warning
    naming where they came from."""
    found = vf.session_override() if session else None
    if found is None:
        if cfg.no_config:
            return None, None
        found = vf.discover(cwd, ceilings=vf.ceiling_dirs(), global_file=cfg.global_file, warn=warn)
    if found is None:
        return None, None
    for line in found.lines:
        w = lean_want(line)
        if w is not None:
            return w, found
        from .errors import RequestError
        from .requests import parse_request

        try:
            return FullWant(parse_request(line, allow_paths=False)), found
        except RequestError as exc:
            warn(vf.bad_line_message(found, line, exc.message))
    if not found.lines:
        warn(f"{found.describe()} holds no Python request; ignoring it")
    elif found.source != vf.SOURCE_REQUIRES_PYTHON:
        # an explicit pin that cannot be used: answering with some other Python would hide it
        raise NotFoundError(f"{found.describe()} holds no valid Python request",
                            "replace it, e.g. with `shimkit pin 3.12`" if found.source != vf.SOURCE_SESSION
                            else "change it with `shimkit shell 3.12`, or drop it with `shimkit shell --unset`")
    return None, found


# ---- managed installations -------------------------------------------------------------------
_VARIANTS = ("freethreaded", "debug", "freethreaded+debug")
_PLATFORM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_EXE_STEM = {"cpython": "python", "pypy": "pypy", "graalpy": "graalpy"}


class Managed:
    """One installation in a managed-layout directory (shimkit's install dir or uv's)."""

    __slots__ = ("implementation", "name", "platform", "pre", "prerelease", "release", "variant")

    def __init__(self, name: str, implementation: str, release: tuple[int, int, int], pre: Optional[str],
                 variant: str, platform: str, prerelease: Optional[bool] = None) -> None:
        self.name = name
        self.implementation = implementation
        self.release = release
        self.pre = pre
        self.variant = variant
        self.platform = platform
        self.prerelease = pre is not None if prerelease is None else prerelease

    @property
    def version(self) -> str:
        return ".".join(map(str, self.release)) + (self.pre or "")

    @property
    def minor_name(self) -> str:
        """The minor-version link's name: ``cpython-3.12-linux-x86_64-gnu``."""
        suffix = f"+{self.variant}" if self.variant else ""
        return f"{self.implementation}-{self.release[0]}.{self.release[1]}{suffix}-{self.platform}"

    def sort_key(self) -> tuple[bool, tuple[int, int, int], tuple[int, int], bool, str]:
        pre = (3, 0)
        if self.pre is not None:
            tag = self.pre.rstrip("0123456789")
            pre = (_PRE_RANK.get(tag, 0), int(self.pre[len(tag):] or 0))
        return (not self.prerelease, self.release, pre, self.implementation == "cpython", self.name)

    def executable_names(self) -> tuple[str, ...]:
        """Like :meth:`shimkit.keys.PythonKey.executable_names`."""
        if self.platform.startswith("windows-"):
            base = "pythont.exe" if "freethreaded" in self.variant else "python.exe"
            return ("pypy.exe",) if self.implementation == "pypy" else (base,)
        stem = _EXE_STEM[self.implementation]
        mm = f"{self.release[0]}.{self.release[1]}{'t' if 'freethreaded' in self.variant else ''}"
        return (f"bin/{stem}{mm}", f"bin/{stem}{self.release[0]}", f"bin/{stem}")

    def key(self) -> PythonKey:
        from .keys import parse_key

        return parse_key(self.name)

    def __repr__(self) -> str:
        return f"Managed({self.name!r})"


def _platform_part(text: str, extra: str = "") -> bool:
    return bool(text) and all(c in _PLATFORM_CHARS or c in extra for c in text)


def parse_managed_name(name: str) -> Optional[Managed]:
    """A :class:`Managed` for a canonical installation key name (``cpython-3.12.1-linux-x86_64-gnu``,
    ``cpython-3.13.0rc1+freethreaded-…``), else None."""
    parts = name.split("-")
    if len(parts) != 5 or parts[0] not in _EXE_STEM:
        return None
    impl, version, os_, arch, libc = parts
    version, plus, variant = version.partition("+")
    if plus and variant not in _VARIANTS:
        return None
    split = _split_version(version)
    if split is None or not (_platform_part(os_) and _platform_part(arch, "_") and _platform_part(libc)):
        return None
    return Managed(name, impl, split[0], split[1], variant, f"{os_}-{arch}-{libc}")


def _maybe_key(name: str) -> bool:
    """Whether :mod:`shimkit.keys` might accept a name the lean parser refused (``3.12.1.post1`` …)."""
    parts = name.split("-")
    return len(parts) == 5 and parts[0] in _EXE_STEM and parts[1][:1] in _DIGITS and parts[1].count(".") >= 2


def managed_installations(root: str) -> list[Managed]:
    """The installations in ``root``, in :meth:`shimkit.store.Store.installations` order (newest
    first, stable before pre-release; ties broken CPython first, then by name)."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        entries = []
    out: list[Managed] = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or entry.is_symlink() or not entry.is_dir():
            continue
        m = parse_managed_name(name)
        if m is not None:
            out.append(m)
        elif _maybe_key(name):
            return _from_store(root)
    out.sort(key=Managed.sort_key, reverse=True)
    return out


def _from_store(root: str) -> list[Managed]:
    from pathlib import Path

    from .store import Store

    out = []
    for inst in Store(Path(root)).installations():
        k = inst.key
        rel = tuple(k.version.release[:3]) + (0,) * (3 - len(k.version.release))
        pre = "".join(str(p) for p in k.version.pre) if k.version.pre else None
        out.append(Managed(inst.path.name, k.implementation, (rel[0], rel[1], rel[2]), pre, k.variant,
                           str(k.platform), k.is_prerelease))
    out.sort(key=Managed.sort_key, reverse=True)
    return out


def _read_link_name(link: str) -> Optional[str]:
    """The directory name a minor-version link points at (None if it is not a link)."""
    if IS_WINDOWS:  # junctions
        from pathlib import Path

        from .dirlink import read_link

        return read_link(Path(link))
    try:
        return os.path.basename(os.readlink(link).rstrip("/"))
    except OSError:
        return None


def managed_dir(root: str, m: Managed, *, through_link: bool = True) -> str:
    """The directory to reach ``m`` by: its minor-version link when asked and the link points at
    ``m`` (so what is built on it follows upgrades), else the patch directory."""
    if through_link and _read_link_name(os.path.join(root, m.minor_name)) == m.name:
        return os.path.join(root, m.minor_name)
    return os.path.join(root, m.name)


def managed_executable(root: str, m: Managed, *, through_link: bool = True) -> Optional[str]:
    """The interpreter of ``m`` (see :func:`managed_dir`); None if the installation holds none."""
    base = managed_dir(root, m, through_link=through_link)
    for rel in m.executable_names():
        exe = os.path.join(base, rel)
        if os.path.exists(exe):
            return exe
    return None


# ---- probing, with a cache -------------------------------------------------------------------
def probe_timeout() -> float:
    """``SHIMKIT_PROBE_TIMEOUT`` seconds (default 10): how long a candidate may take to answer."""
    try:
        value = float(os.environ.get(PROBE_TIMEOUT_ENV, ""))
        return value if value > 0 else DEFAULT_PROBE_TIMEOUT
    except ValueError:
        return DEFAULT_PROBE_TIMEOUT


def _cache_file(cache_dir: str, exe: str) -> str:
    import binascii

    raw = os.fsencode(exe)
    name = f"{binascii.crc32(raw):08x}{binascii.crc32(raw[::-1]):08x}.json"
    return os.path.join(cache_dir, "interpreters", name)


def _valid_info(info: Any) -> bool:
    return (
        isinstance(info, dict)
        and all(isinstance(info.get(k), str) for k in ("version", "implementation", "prefix", "base_prefix"))
        and _split_version(info["version"]) is not None
    )


def interpreter_info(exe: str, cache_dir: str, *,
                     timeout: Optional[float] = None) -> tuple[Optional[dict[str, Any]], str]:
    """What ``exe`` reports about itself (:meth:`InterpreterInfo.to_json` shape) and "" — or None
    and the reason it cannot be used.  Cached by path + mtime + size + inode."""
    try:
        st = os.stat(exe)
    except OSError as exc:
        return None, exc.strerror or "cannot stat"
    if not stat.S_ISREG(st.st_mode):
        return None, "not a regular file"
    if not os.access(exe, os.X_OK):
        return None, "not executable"
    import json
    import time

    key = f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}:{st.st_dev}"
    path = _cache_file(cache_dir, exe)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if isinstance(data, dict) and data.get("v") == CACHE_FORMAT and data.get("path") == exe \
                and data.get("stat") == key:
            if _valid_info(data.get("info")):
                return data["info"], ""
            error = data.get("error")
            if isinstance(error, str) and time.time() - float(data.get("time", 0)) < ERROR_TTL:
                return None, error
    except (OSError, ValueError, TypeError):
        pass
    from pathlib import Path

    from .probe import probe

    entry: dict[str, Any] = {"v": CACHE_FORMAT, "path": exe, "stat": key, "time": time.time()}
    info: Optional[dict[str, Any]] = None
    reason = ""
    try:
        info = probe(Path(exe), timeout if timeout is not None else probe_timeout()).to_json()
        venv = _venv_of(exe)
        if venv is not None:
            # under -S, site.py never runs, so sys.prefix stays the base prefix; report what a
            # normal start reports (the venv), so `prefix != base_prefix` identifies venvs
            info["prefix"] = venv
        entry["info"] = info
    except VerificationError as exc:
        reason = exc.message.replace(exe, "").strip() or exc.message
        entry["error"] = reason
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from .safeio import write_text_atomic

        write_text_atomic(path, json.dumps(entry))
    except OSError:
        pass  # a read-only cache only costs speed
    return info, reason


def probe_cached(exe: StrPath, cfg: Optional[SearchConfig] = None) -> InterpreterInfo:
    """:class:`InterpreterInfo` for ``exe`` through the cache; :class:`VerificationError` if broken."""
    from .probe import InterpreterInfo

    cache_dir = cfg.cache_dir if cfg is not None else _default_cache_dir()
    info, reason = interpreter_info(os.fspath(exe), cache_dir)
    if info is None:
        raise VerificationError(f"{os.fspath(exe)} cannot be used: {reason}",
                                f"check that `{os.fspath(exe)} -c pass` runs, or name another interpreter")
    return InterpreterInfo.from_json(info)


def _default_cache_dir() -> str:
    from .dirs import user_cache_dir

    return str(user_cache_dir())


def _variant(info: dict[str, Any]) -> str:
    flags = (("freethreaded", info.get("freethreaded")), ("debug", info.get("debug")))
    return "+".join(p for p, on in flags if on)


# ---- candidates ------------------------------------------------------------------------------
class Candidate:
    """An interpreter the search looked at."""

    __slots__ = ("exe", "implementation", "info", "managed", "source", "variant", "version")

    def __init__(self, exe: str, source: str, implementation: str, version: str, variant: str,
                 info: Optional[dict[str, Any]] = None, managed: Optional[Managed] = None) -> None:
        self.exe = exe
        self.source = source
        self.implementation = implementation
        self.version = version
        self.variant = variant
        self.info = info
        self.managed = managed

    @property
    def prerelease(self) -> bool:
        if self.managed is not None:
            return self.managed.prerelease
        parts = _split_version(self.version)
        return parts is None or parts[1] is not None

    @property
    def key(self) -> Optional[str]:
        return self.managed.name if self.managed is not None else None

    def to_json(self) -> dict[str, Any]:
        return result_json(self.exe, self.version, self.implementation, self.variant, self.source, self.key)

    def __repr__(self) -> str:
        return f"Candidate({self.exe!r}, {self.source!r}, {self.implementation} {self.version}{self.variant})"


def result_json(path: str, version: str, implementation: str, variant: str, source: str,
                key: Optional[str]) -> dict[str, Any]:
    """The ``find --output-format json`` object."""
    out: dict[str, Any] = {"path": path, "version": version, "implementation": implementation,
                           "variant": variant or None, "source": source}
    if key is not None:
        out["key"] = key
    return out


def _from_info(exe: str, source: str, info: dict[str, Any]) -> Candidate:
    return Candidate(exe, source, info["implementation"], info["version"], _variant(info), info)


class _Search:
    """One search: the candidates in order, probing lazily, remembering what was skipped."""

    def __init__(self, cfg: SearchConfig, cwd: str, preference: str, system: bool) -> None:
        self.cfg = cfg
        self.cwd = cwd
        self.preference = preference
        self.system = system
        self.skipped: list[tuple[str, str]] = []  # (path, reason)
        self._install_real: Optional[str] = None

    # -- helpers
    def probe(self, exe: str) -> Optional[dict[str, Any]]:
        info, reason = interpreter_info(exe, self.cfg.cache_dir)
        if info is None:
            self.skipped.append((exe, reason))
        return info

    def in_install_dir(self, path: str) -> bool:
        """Whether ``path``, or a link on the way from it to the interpreter, is in the install dir."""
        if self._install_real is None:
            self._install_real = os.path.realpath(self.cfg.install_dir) + os.sep
        for _ in range(40):  # symlink hops (a loop ends it)
            where = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            if where.startswith(self._install_real):
                return True
            try:
                path = os.path.join(os.path.dirname(where), os.readlink(where))
            except OSError:
                return False
        return False

    # -- phases
    def phases(self, want: Want) -> Iterator[Candidate]:
        if not self.system:
            yield from self.venvs()
        managed = self.preference != "only-system"
        system = self.preference != "only-managed"
        if managed and self.preference != "system":
            yield from self.managed(want)
        if system:
            yield from self.on_path(want)
            yield from self.other_managers()
        if managed and self.preference == "system":
            yield from self.managed(want)

    def venvs(self) -> Iterator[Candidate]:
        seen: set[str] = set()
        dirs: list[str] = []
        active = os.environ.get("VIRTUAL_ENV", "")
        if active and os.path.isabs(active):
            dirs.append(os.path.normpath(active))
        dirs.extend(_project_venvs(self.cwd))
        for d in dirs:
            if d in seen:
                continue
            seen.add(d)
            exe = venv_python(d)
            if exe is None:
                continue
            if self.preference in ("only-managed", "only-system"):
                home = _venv_home(d)
                # a venv made from the bin entry records home = the bin dir: its python's links tell
                managed = (home is not None and self.in_install_dir(home)) or self.in_install_dir(exe)
                if managed != (self.preference == "only-managed"):
                    continue
            info = self.probe(exe)
            if info is not None:
                yield _from_info(exe, "venv", info)

    def managed(self, want: Want) -> Iterator[Candidate]:
        root = self.cfg.install_dir
        for m in managed_installations(root):
            if not want.matches_managed(m, self.cfg.host):
                continue
            exe = managed_executable(root, m, through_link=not want.names_patch)
            if exe is None:
                self.skipped.append((os.path.join(root, m.name), "holds no interpreter"))
                continue
            yield Candidate(exe, "managed", m.implementation, m.version, m.variant, managed=m)

    def _probed(self, exe: str, source: str, seen: set[str]) -> Optional[Candidate]:
        try:
            real = os.path.realpath(exe)
        except (OSError, ValueError):
            return None
        if real in seen or self.in_install_dir(exe):
            return None
        seen.add(real)
        if _venv_of(exe) is not None:
            return None  # a virtual environment's interpreter is not a system interpreter
        info = self.probe(exe)
        if info is None:
            return None
        return _from_info(exe, source, info)

    def on_path(self, want: Want) -> Iterator[Candidate]:
        skip = _shim_dirs(self.cfg)
        seen: set[str] = set()
        # a relative entry would let the current directory provide "python"
        dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep)
                if d and os.path.isabs(d) and os.path.normpath(d) not in skip]
        # what `python`/`python3` run first, then versioned names
        for versioned in (False, True):
            for d in dirs:
                for name in _path_names(d, want, versioned):
                    c = self._probed(os.path.join(d, name), "path", seen)
                    if c is not None:
                        yield c

    def other_managers(self) -> Iterator[Candidate]:
        seen: set[str] = set()
        home = os.path.expanduser("~")
        data_home = os.path.dirname(self.cfg.data_dir)  # <XDG_DATA_HOME>
        pyenv = os.environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv")
        for exe in _version_dirs(os.path.join(pyenv, "versions")):
            c = self._probed(exe, "pyenv", seen)
            if c is not None:
                yield c
        uv = os.environ.get("UV_PYTHON_INSTALL_DIR") or os.path.join(data_home, "uv", "python")
        for m in managed_installations(uv):
            if m.platform != self.cfg.host:
                continue
            uv_exe = managed_executable(uv, m, through_link=False)
            c = self._probed(uv_exe, "uv", seen) if uv_exe else None
            if c is not None:
                yield c
        mise = os.environ.get("MISE_DATA_DIR") or os.path.join(data_home, "mise")
        for exe in _version_dirs(os.path.join(mise, "installs", "python")):
            c = self._probed(exe, "mise", seen)
            if c is not None:
                yield c

    # -- the choice
    def first(self, want: Want) -> Optional[Candidate]:
        """The first preferred match; else the first match (a pre-release, or not CPython when the
        request names no implementation)."""
        fallback: Optional[Candidate] = None
        for c in self.phases(want):
            # (managed candidates were already matched by their key)
            if c.managed is None and not want.matches_interpreter(c.implementation, c.version, c.variant):
                continue
            cpython_ok = want.implementation is not None or c.implementation == "cpython"
            preferred = not c.prerelease and cpython_ok
            if c.source == "venv" or preferred:
                return c
            if fallback is None:
                fallback = c
        return fallback


def _shim_dirs(cfg: SearchConfig) -> set[str]:
    home = os.path.expanduser("~")
    data_home = os.path.dirname(cfg.data_dir)
    dirs = {
        os.path.join(cfg.data_dir, "shims"),
        os.path.join(os.environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv"), "shims"),
        os.path.join(os.environ.get("MISE_DATA_DIR") or os.path.join(data_home, "mise"), "shims"),
    }
    return {os.path.normpath(d) for d in dirs}


_PATH_MINOR = r"^python3\.(\d+)(t?)$"


def _path_names(d: str, want: Want, versioned: bool) -> Iterator[str]:
    """``python`` and ``python3``, or (``versioned``) the ``python3.X`` names in ``d``, newest first."""
    exe = ".exe" if IS_WINDOWS else ""
    if not versioned:
        for name in ("python", "python3"):
            if os.path.isfile(os.path.join(d, name + exe)):
                yield name + exe
        return
    if want.minor is not None:
        name = f"python{want.minor}{'t' if want.freethreaded else ''}{exe}"
        if os.path.isfile(os.path.join(d, name)):
            yield name
        return
    try:
        names = os.listdir(d)
    except OSError:
        return
    found = []
    for n in names:
        m = re.match(_PATH_MINOR, n[: -len(exe)] if exe and n.endswith(exe) else n)
        if m:
            found.append((int(m[1]), m[2] == "", n))
    for _minor, _gil, n in sorted(found, reverse=True):
        yield n


_DIR_VERSION = r"^(\d+)\.(\d+)(?:\.(\d+))?"


def _version_dirs(root: str) -> list[str]:
    """Interpreters in a pyenv/mise-style ``versions`` directory, newest first by name."""
    try:
        entries = [e for e in os.scandir(root) if not e.is_symlink() and e.is_dir()]
    except OSError:
        return []

    def order(name: str) -> tuple[int, tuple[int, ...], str]:
        m = re.match(_DIR_VERSION, name)
        if m is None:
            return (0, (), name)
        return (1, tuple(int(p or 0) for p in m.groups()), name)

    out = []
    for e in sorted(entries, key=lambda e: order(e.name), reverse=True):
        for rel in ("bin/python3", "bin/python", "python.exe"):
            exe = os.path.join(e.path, rel)
            if os.path.isfile(exe):
                out.append(exe)
                break
    return out


def venv_python(venv: str) -> Optional[str]:
    """The interpreter of a virtual environment directory (one holding ``pyvenv.cfg``)."""
    if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        return None
    for rel in (("Scripts", "python.exe"),) if IS_WINDOWS else (("bin", "python"), ("bin", "python3")):
        exe = os.path.join(venv, *rel)
        if os.path.isfile(exe):
            return exe
    return None


def _venv_of(exe: str) -> Optional[str]:
    """The virtual environment ``exe`` belongs to: CPython looks for ``pyvenv.cfg`` next to the
    executable (as invoked, symlinks not resolved) or one directory up."""
    d = os.path.dirname(os.path.abspath(exe))
    for venv in (d, os.path.dirname(d)):
        if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            return venv
    return None


def _venv_home(venv: str) -> Optional[str]:
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, sep, value = line.partition("=")
                if sep and key.strip().lower() == "home":
                    return value.strip()
    except OSError:
        pass
    return None


def _project_venvs(cwd: str) -> list[str]:
    """``.venv`` directories from ``cwd`` up to the project boundary (or ``/``), nearest first."""
    out = []
    boundary = vf.find_project_root(cwd, vf.ceiling_dirs())
    ceilings = set(vf.ceiling_dirs())
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


# ---- searching -------------------------------------------------------------------------------
def effective_preference(cfg: SearchConfig, *, managed_only: bool = False, no_managed: bool = False) -> str:
    """``python-preference`` with ``--managed-python``/``--no-managed-python`` applied."""
    if managed_only and no_managed:
        raise UsageError("--managed-python and --no-managed-python exclude each other")
    if managed_only:
        return "only-managed"
    if no_managed:
        return "only-system"
    return cfg.preference


class Outcome:
    """What :func:`locate` found, and what it was looking for."""

    __slots__ = ("candidate", "found", "skipped", "want")

    def __init__(self, candidate: Optional[Candidate], want: Want, found: Optional[vf.Found],
                 skipped: list[tuple[str, str]]) -> None:
        self.candidate = candidate
        self.want = want
        self.found = found
        self.skipped = skipped


def locate(
    want: Optional[Want],
    cfg: SearchConfig,
    cwd: str,
    *,
    system: bool = False,
    preference: Optional[str] = None,
    warn: Warn = _noop,
) -> Outcome:
    """Search without downloading.  ``want=None`` means the pin for ``cwd`` (version files,
    ``requires-python``, the global pin), else any interpreter."""
    found = None
    if want is None:
        want, found = pinned_want(cwd, cfg, warn)
    if want is None:
        want = ANY
    search = _Search(cfg, cwd, preference or cfg.preference, system)
    return Outcome(search.first(want), want, found, search.skipped)


def can_download(cfg: SearchConfig, preference: str, want: Want) -> bool:
    """Whether a missing request may be installed on the fly (``python-downloads = automatic``)."""
    return (cfg.downloads == "automatic" and not cfg.offline and preference != "only-system"
            and want.installable)


def not_found(outcome: Outcome, cfg: SearchConfig, preference: str) -> NotFoundError:
    """The one-line error for a search that found nothing."""
    want = outcome.want
    what = "no Python interpreter found" if want is ANY else f"no Python interpreter satisfies {want.text}"
    if outcome.found is not None:
        what += f" (requested by {outcome.found.describe()})"
    hints = []
    if preference == "only-managed":
        hints.append("only managed installations were considered (python-preference only-managed or "
                     "--managed-python)")
    elif preference == "only-system":
        hints.append("managed installations were not considered (python-preference only-system or "
                     "--no-managed-python)")
    if preference != "only-system" and want.installable:
        hint = "install it with `shimkit install" + ("" if want is ANY else f" {want.text}") + "`"
        if cfg.offline:
            hint += " (offline mode is on)"
        elif cfg.downloads != "automatic":
            hint += f" (python-downloads is {cfg.downloads})"
        hints.append(hint)
    if outcome.skipped:
        shown = "; ".join(f"{p}: {r}" for p, r in outcome.skipped[:3])
        more = f" and {len(outcome.skipped) - 3} more" if len(outcome.skipped) > 3 else ""
        hints.append(f"skipped unusable candidates: {shown}{more}")
    return NotFoundError(what, "; ".join(hints) or None)


# ---- the public API --------------------------------------------------------------------------
class FoundInterpreter:
    """An interpreter :func:`find_interpreter` chose."""

    __slots__ = ("info", "key", "path", "source")

    def __init__(self, path: Path, info: InterpreterInfo, source: str,
                 key: Optional[PythonKey] = None) -> None:
        self.path = path
        self.info = info
        self.source = source  # one of SOURCES
        self.key = key  # managed installations only

    def to_json(self) -> dict[str, Any]:
        return result_json(str(self.path), self.info.version, self.info.implementation, self.info.variant,
                           self.source, None if self.key is None else str(self.key))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FoundInterpreter) and (self.path, self.info, self.source, self.key) == (
            other.path, other.info, other.source, other.key)

    def __hash__(self) -> int:
        return hash((self.path, self.source))

    def __repr__(self) -> str:
        return f"FoundInterpreter({str(self.path)!r}, {self.info.version!r}, source={self.source!r})"


def find_interpreter(
    request: Optional[PythonRequest],
    settings: Settings,
    cwd: Path,
    *,
    system: bool = False,
    managed_only: bool = False,
    no_managed: bool = False,
    reporter: Optional[Reporter] = None,
    warn: Warn = _noop,
    allow_download: bool = True,
) -> FoundInterpreter:
    """The interpreter for ``request`` (None: the pin for ``cwd``, else any), following the
    module's resolution order and ``settings.python_preference``; installs it first when
    nothing matches and ``python-downloads`` is ``automatic`` (and ``allow_download``).

    Managed installations are returned through their minor-version link unless the request
    names a patch.  Raises :class:`NotFoundError` (exit code 2) when nothing matches.
    """
    cfg = SearchConfig.from_settings(settings)
    preference = effective_preference(cfg, managed_only=managed_only, no_managed=no_managed)
    if request is not None and request.kind in ("path", "name"):
        exe = resolve_path_request(request, cwd)
        try:
            info = probe_cached(exe, cfg)
        except VerificationError as exc:  # the one interpreter asked for does not run: nothing matches
            raise NotFoundError(exc.message, exc.hint) from None
        return FoundInterpreter(exe, info, "explicit")
    cwd_s = os.fspath(cwd)
    want: Optional[Want] = None
    if request is not None:
        want = ANY if request.kind == "any" and request.implementation is None else FullWant(request)
    outcome = locate(want, cfg, cwd_s, system=system, preference=preference, warn=warn)
    if outcome.candidate is None and allow_download and can_download(cfg, preference, outcome.want):
        outcome = download_and_locate(outcome, settings, cfg, cwd_s, system=system, preference=preference,
                                      reporter=reporter, warn=warn)
    if outcome.candidate is None:
        raise not_found(outcome, cfg, preference)
    return to_found(outcome.candidate, cfg)


def to_found(c: Candidate, cfg: SearchConfig) -> FoundInterpreter:
    """The :class:`FoundInterpreter` for a candidate (managed ones are probed now, through the cache)."""
    from pathlib import Path

    from .probe import InterpreterInfo

    if c.managed is None:
        assert c.info is not None
        return FoundInterpreter(Path(c.exe), InterpreterInfo.from_json(c.info), c.source)
    from .store import Installation, Store

    store = Store(Path(cfg.install_dir))
    inst = Installation(c.managed.key(), store.root / c.managed.name)
    through = store.executable_through_link(inst)
    # the link goes to the newest patch of the minor version: only use it if that is this one
    path = through if os.path.normpath(c.exe) == os.path.normpath(through) else inst.executable
    try:
        info = probe_cached(path, cfg)
    except VerificationError as exc:
        raise VerificationError(
            f"managed installation {inst.key} does not run: {exc.message}",
            f"reinstall it with `shimkit install --reinstall {inst.key}`",
        ) from None
    return FoundInterpreter(path, info, "managed", inst.key)


def download_and_locate(outcome: Outcome, settings: Settings, cfg: SearchConfig, cwd: str, *, system: bool,
                        preference: str, reporter: Optional[Reporter] = None, warn: Warn = _noop) -> Outcome:
    """Install what ``outcome`` wanted (``python-downloads = automatic``), then search again."""
    from pathlib import Path

    from . import manager

    want = outcome.want
    target = "cpython" if want is ANY else str(want.request())
    try:
        report = manager.install([target], settings, cwd=Path(cwd), reporter=reporter, warn=warn,
                                 bin_options=manager.BinOptions(enabled=False))
    except NotFoundError as exc:
        message = f"no Python interpreter satisfies {want.text}, and {exc.message}"
        raise NotFoundError(message, exc.hint) from None
    for o in report.outcomes:
        if o.error is not None:
            raise o.error
    again = locate(want, cfg, cwd, system=system, preference=preference, warn=warn)
    again.found = outcome.found
    return again


def resolve_path_request(req: PythonRequest, cwd: Path) -> Path:
    """The executable a path or name request designates; :class:`NotFoundError` if there is none."""
    import shutil
    from pathlib import Path

    if req.kind == "name":
        assert req.name is not None
        found = shutil.which(req.name)
        if found is None:
            raise NotFoundError(f"no executable named {req.name!r} on PATH", "check the name or give a path")
        return Path(found)
    assert req.path is not None
    path = req.path if req.path.is_absolute() else Path(cwd) / req.path
    if path.is_dir():
        for rel in ("bin/python3", "bin/python", "Scripts/python.exe", "python.exe"):
            if (path / rel).is_file():
                return path / rel
        raise NotFoundError(f"{path} holds no Python interpreter",
                            "give the path of an interpreter or a venv")
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise NotFoundError(f"{path} is not an executable interpreter", "check the path")


def satisfied_by(want: Want, cfg: SearchConfig, cwd: str) -> Optional[str]:
    """What could satisfy ``want`` (for ``pin``'s warning), in a few words: an installed,
    downloadable or system interpreter; None if nothing.  Never downloads an interpreter."""
    for c in _Search(cfg, cwd, "only-managed", True).managed(want):
        return f"installed {c.key}"
    if want.installable:
        from .errors import ShimkitError

        try:
            from .downloads import load_metadata, select_downloads
            from .keys import PlatformTriple

            metadata = load_metadata(cfg.downloads_json, offline=cfg.offline)
            found = select_downloads(want.request(), metadata.downloads, PlatformTriple(*cfg.host.split("-")))
            if found:
                return f"downloadable {found[0].key_text}"
        except ShimkitError:
            pass  # a missing or unreachable download list only weakens the check
    system = _Search(cfg, cwd, "only-system", True).first(want)
    return None if system is None else f"{system.exe} ({system.source})"
