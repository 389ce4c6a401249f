"""Choosing an interpreter: the order sources are asked in, the preference, and the answer.

Resolution order (``shimkit find``, ``shimkit venv -p``, ``pin --resolved``); the first
candidate of :mod:`shimkit.sources` that satisfies the request wins: ``venv`` (skipped with
``system=True``, ``--system``), ``managed``, ``path``, then the other managers.

``python-preference`` reorders and filters: ``managed`` (the order above), ``system`` (PATH and
other managers before managed), ``only-managed`` (no system interpreters; a venv only if its
base interpreter is managed), ``only-system`` (no managed; a venv only if its base is not
managed).  ``--managed-python`` and ``--no-managed-python`` mean ``only-managed`` and
``only-system``.

A request without an implementation prefers CPython, and pre-releases are chosen only when
nothing else matches (a matching venv is always taken: it is what the directory uses).  The
search never downloads: :mod:`shimkit.provision` installs what is missing when a command may
(``python-downloads = automatic``) and asks again.  Nothing found is a
:class:`~shimkit.errors.NotFoundError` (exit 2).

How a request matches an installation or an interpreter is :mod:`shimkit.model.request`.
"""

from __future__ import annotations

import os

from . import tracing
from . import versionfile as vf
from .errors import NotFoundError, RequestError, UsageError, VerificationError
from .model.request import PythonRequest
from .probecache import probe_cached
from .sources import Candidate, Sources

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Callable, Iterator, Mapping, Optional, Union

    from _typeshed import StrPath

    from .model.key import PlatformTriple
    from .probe import InterpreterInfo
    from .settings import Settings

    Warn = Callable[[str], None]

ANY = PythonRequest.ANY
MAX_REQUESTS = 16  # distinct requests read from one version file
MAX_BAD_WORDS = 3  # warnings about unusable words in one version file
DEFAULT_GLOBAL = "\0the user's global pin"  # a sentinel no real path can equal


def ignore_warning(_: str) -> None:
    """The default ``warn``: a caller that passes none does not want them."""


def pinned_requests(
    cwd: str,
    settings: Settings,
    warn: Warn,
    *,
    session: bool = True,
    global_file: Union[StrPath, None] = DEFAULT_GLOBAL,
    environ: Optional[Mapping[str, str]] = None,
) -> tuple[list[PythonRequest], Optional[vf.Found]]:
    """Every request pinned for ``cwd``, in the shell hooks' order: ``SHIMKIT_PYTHON`` (this
    shell's override, when ``session``), else the version files (or ``requires-python``, or the
    global pin) unless ``no_config``.  The first valid one is *the* Python; the others only add
    their ``python3.X`` in the hooks (pyenv's several versions).  Bad words are dropped with a
    warning naming where they came from; a pin with no valid request is an error, not some
    other Python.  ``global_file``: the global pin (default: the user's; None: none)."""
    found = vf.session_override(environ) if session else None
    if found is None:
        if settings.no_config:
            return [], None
        if global_file is DEFAULT_GLOBAL:
            global_file = vf.global_version_file()
        found = vf.discover(
            cwd,
            ceilings=vf.ceiling_dirs(None if environ is None else dict(environ)),
            global_file=global_file,
            warn=warn,
        )
    if found is None:
        return [], None
    out: list[PythonRequest] = []
    bad = 0
    for line in found.lines:
        if len(out) >= MAX_REQUESTS:
            break  # a huge file: its first requests are all anyone meant
        try:
            req = PythonRequest.parse(line, allow_paths=False)
            if req not in out:
                out.append(req)
        except RequestError as exc:
            bad += 1
            if bad <= MAX_BAD_WORDS:  # a binary file must not flood the terminal
                warn(vf.bad_line_message(found, line, exc.message))
    if bad > MAX_BAD_WORDS:
        warn(f"ignoring {bad - MAX_BAD_WORDS} more unusable words in {found.describe()}")
    if out:
        return out, found
    if not found.lines:
        warn(f"{found.describe()} holds no Python request; ignoring it")
    elif found.source != vf.SOURCE_REQUIRES_PYTHON:
        raise NotFoundError(
            f"{found.describe()} holds no valid Python request",
            "replace it, e.g. with `shimkit pin 3.12`"
            if found.source != vf.SOURCE_SESSION
            else "change it with `shimkit shell 3.12`, or drop it with `shimkit shell --unset`",
        )
    return [], found


def pinned_request(
    cwd: str, settings: Settings, warn: Warn, *, session: bool = True
) -> tuple[Optional[PythonRequest], Optional[vf.Found]]:
    """The first of :func:`pinned_requests`: the request ``find`` resolves for ``cwd``."""
    reqs, found = pinned_requests(cwd, settings, warn, session=session)
    return (reqs[0] if reqs else None), found


def effective_preference(settings: Settings, *, managed_only: bool = False, no_managed: bool = False) -> str:
    """``python-preference`` with ``--managed-python``/``--no-managed-python`` applied."""
    if managed_only and no_managed:
        raise UsageError("--managed-python and --no-managed-python exclude each other")
    if managed_only:
        return "only-managed"
    if no_managed:
        return "only-system"
    return settings.python_preference


class Search:
    """One search over the sources in the order a preference gives."""

    def __init__(
        self, settings: Settings, cwd: str, preference: str, system: bool, host: Optional[PlatformTriple] = None
    ) -> None:
        from .dirs import user_data_dir

        self.preference = preference
        self.system = system
        self.sources = Sources(
            install_dir=settings.install_dir,
            cache_dir=settings.cache_dir,
            data_dir=user_data_dir(),
            host=host or settings.host,
            cwd=cwd,
            preference=preference,
        )

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return self.sources.skipped

    def candidates(self, req: PythonRequest) -> Iterator[Candidate]:
        s = self.sources
        if not self.system:
            yield from s.venvs()
        managed = self.preference != "only-system"
        system = self.preference != "only-managed"
        if managed and self.preference != "system":
            yield from s.managed(req)
        if system:
            yield from s.on_path(req)
            yield from s.other_managers()
        if managed and self.preference == "system":
            yield from s.managed(req)

    def first(self, req: PythonRequest) -> Optional[Candidate]:
        """The first preferred match; else the first match (a pre-release, or not CPython when the
        request names no implementation)."""
        fallback: Optional[Candidate] = None
        for c in self.candidates(req):
            # (managed candidates were already matched by their key)
            if c.key is None and not req.matches_interpreter(c.implementation, c.version, c.variant):
                tracing.trace(
                    f"{c.source}: {c.exe} is {c.implementation} {c.version}{c.variant and '+' + c.variant}; "
                    f"does not satisfy {req}"
                )
                continue
            tracing.trace(f"{c.source}: {c.exe} ({c.implementation} {c.version}) satisfies {req}")
            cpython_ok = req.implementation is not None or c.implementation == "cpython"
            if c.source == "venv" or (not c.prerelease and cpython_ok):
                return c
            if fallback is None:
                fallback = c
        return fallback


class Outcome:
    """What :func:`locate` found, and what it was looking for."""

    __slots__ = ("candidate", "found", "request", "skipped")

    def __init__(
        self,
        candidate: Optional[Candidate],
        request: PythonRequest,
        found: Optional[vf.Found],
        skipped: list[tuple[str, str]],
    ) -> None:
        self.candidate = candidate
        self.request = request
        self.found = found  # the version file the request came from, if it did
        self.skipped = skipped


def locate(
    req: Optional[PythonRequest],
    settings: Settings,
    cwd: str,
    *,
    system: bool = False,
    preference: Optional[str] = None,
    warn: Warn = ignore_warning,
) -> Outcome:
    """Search without downloading.  ``req=None`` means the pin for ``cwd`` (version files,
    ``requires-python``, the global pin), else any interpreter."""
    found = None
    if req is None:
        req, found = pinned_request(cwd, settings, warn)
        tracing.debug(f"request {req or 'any'} from {found.describe() if found else 'no pin (none applies here)'}")
    if req is None:
        req = ANY
    search = Search(settings, cwd, preference or settings.python_preference, system)
    tracing.debug(
        f"searching for {req} (python-preference {search.preference}"
        f"{', virtual environments skipped' if system else ''})"
    )
    chosen = search.first(req)
    for path, reason in search.skipped:
        tracing.debug(f"skipped {path}: {reason}")
    tracing.debug(f"chose {chosen.exe} ({chosen.source})" if chosen else "nothing matches")
    return Outcome(chosen, req, found, search.skipped)


def not_found(outcome: Outcome, settings: Settings, preference: str) -> NotFoundError:
    """The one-line error for a search that found nothing."""
    req = outcome.request
    what = "no Python interpreter found" if req.is_any else f"no Python interpreter satisfies {req}"
    if outcome.found is not None:
        what += f" (requested by {outcome.found.describe()})"
    hints = []
    if preference == "only-managed":
        hints.append("only managed installations were considered (python-preference only-managed or --managed-python)")
    elif preference == "only-system":
        hints.append("managed installations were not considered (python-preference only-system or --no-managed-python)")
    if preference != "only-system" and req.is_installable:
        missing = _no_download(req, settings)
        if missing is not None:  # `shimkit install` would fail: say why instead
            hints.append(f"{missing.message}; {missing.hint}" if missing.hint else missing.message)
        else:
            hint = "install it with `shimkit install" + ("" if req.is_any else f" {req}") + "`"
            if settings.offline:
                hint += " (offline mode is on)"
            elif settings.python_downloads != "automatic":
                hint += f" (python-downloads is {settings.python_downloads})"
            hints.append(hint)
    if outcome.skipped:
        shown = "; ".join(f"{p}: {r}" for p, r in outcome.skipped[:3])
        more = f" and {len(outcome.skipped) - 3} more" if len(outcome.skipped) > 3 else ""
        hints.append(f"skipped unusable candidates: {shown}{more}")
    return NotFoundError(what, "; ".join(hints) or None)


def _no_download(req: PythonRequest, settings: Settings) -> Optional[NotFoundError]:
    """Why ``shimkit install REQ`` would find no download, judged from the download list on disk
    (never the network); None when a download exists or the list cannot be read offline."""
    from .downloads import load_offline, no_download_error, select_downloads

    metadata = load_offline(settings.downloads_json, settings.cache_dir)
    if metadata is None or select_downloads(req, metadata.downloads, settings.host):
        return None
    return no_download_error(req, metadata, settings.host)


class FoundInterpreter:
    """An interpreter chosen for a command, probed."""

    __slots__ = ("info", "key", "path", "source")

    def __init__(self, path: Path, info: InterpreterInfo, source: str, key: Optional[Any] = None) -> None:
        self.path = path
        self.info = info
        self.source = source  # one of shimkit.sources.SOURCES
        self.key = key  # managed installations only (a PythonKey)

    def to_json(self) -> dict[str, Any]:
        c = Candidate(
            str(self.path),
            self.source,
            self.info.implementation,
            self.info.parsed_version,
            self.info.variant,
            key=self.key,
        )
        return c.to_json()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FoundInterpreter) and (self.path, self.info, self.source, self.key) == (
            other.path,
            other.info,
            other.source,
            other.key,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.source))

    def __repr__(self) -> str:
        return f"FoundInterpreter({str(self.path)!r}, {self.info.version!r}, source={self.source!r})"


def to_found(c: Candidate, settings: Settings) -> FoundInterpreter:
    """The :class:`FoundInterpreter` for a candidate (managed ones are probed now, through the cache)."""
    from pathlib import Path

    from .probe import InterpreterInfo

    if c.key is None:
        assert c.info is not None
        return FoundInterpreter(Path(c.exe), InterpreterInfo.from_json(c.info), c.source)
    from .store import Installation, Store

    store = Store(settings.install_dir)
    inst = Installation(c.key, store.root / str(c.key))
    through = store.executable_through_link(inst)
    # the link goes to the newest patch of the minor version: only use it if that is this one
    path = through if os.path.normpath(c.exe) == os.path.normpath(through) else inst.executable
    try:
        info = probe_cached(path, settings.cache_dir)
    except VerificationError as exc:
        raise VerificationError(
            f"managed installation {inst.key} does not run: {exc.message}",
            f"reinstall it with `shimkit install --reinstall {inst.key}`",
        ) from None
    return FoundInterpreter(path, info, "managed", inst.key)


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
        raise NotFoundError(f"{path} holds no Python interpreter", "give the path of an interpreter or a venv")
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise NotFoundError(f"{path} is not an executable interpreter", "check the path")


def explicit(req: PythonRequest, settings: Settings, cwd: Path) -> FoundInterpreter:
    """The interpreter a path or name request designates, probed (it must run)."""
    exe = resolve_path_request(req, cwd)
    try:
        info = probe_cached(exe, settings.cache_dir)
    except VerificationError as exc:  # the one interpreter asked for does not run: nothing matches
        raise NotFoundError(exc.message, exc.hint) from None
    return FoundInterpreter(exe, info, "explicit")
