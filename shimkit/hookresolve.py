"""What a shell hook or shim puts first on PATH in a directory: the one resolution the hooks'
helper (``shimkit hook-resolve``), ``shimkit doctor`` and the shims' fallback share.

It is ``shimkit find``'s resolution by construction: the requests come from
:func:`shimkit.discovery.pinned_requests` and each is looked up with
:class:`shimkit.discovery.Search` under the ``python-preference`` in force (managed
installations, PATH, pyenv, uv, mise), ignoring virtual environments (activating one is the
user's business; the hook only chooses the interpreter underneath).

Output protocol of :meth:`Resolution.protocol` (what ``hook-resolve`` prints):

* line 1: the directory to put first on PATH, or an empty line when nothing applies;
* every further line: a message for the user (a warning about a bad version file, or a hint
  that the pinned version is not installed).  The hooks print them on stderr once per
  project visit; they cache the whole output by version-file path and content.

The directory is the interpreter's own ``bin/`` when one managed, pyenv, uv or mise
installation is pinned; otherwise (an interpreter found on PATH, whose directory holds
everything else too, or several pinned versions) a directory of links made for this answer in
the cache dir: ``python``, ``python3``, ``pip``, ``pip3`` and ``python3.X`` for the first
version, ``python3.Y`` (and ``pip3.Y``) for each further one.

It never downloads (a prompt hook must not), and says "run: shimkit install X" only when the
download list in force (read offline: the embedded one, the refreshed cache, or a local
override) has X for this platform.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Callable, Mapping, Optional, Sequence

    from _typeshed import StrPath

    from .discovery import Search
    from .model.key import PlatformTriple
    from .model.request import PythonRequest
    from .settings import Settings
    from .sources import Candidate

LINKS_DIR = "hook-bin"  # under the cache dir
DEDICATED = ("managed", "pyenv", "uv", "mise")  # sources whose bin/ holds one interpreter's commands


class Resolution:
    """What a hook should do in one directory."""

    __slots__ = ("bin_dir", "exe", "extra", "messages", "origin", "request", "source")

    def __init__(self) -> None:
        self.bin_dir: Optional[str] = None  # put first on PATH (None: nothing applies)
        self.exe: Optional[str] = None  # the interpreter `python` runs there
        self.extra: list[str] = []  # the interpreters of the further pinned versions
        self.request: Optional[str] = None  # the request text that was used (raw, stripped)
        # "SHIMKIT_PYTHON", "version-file", "versions-file", "requires-python", "global", ""
        self.source = ""
        self.origin = ""  # where the request came from: a file path or "SHIMKIT_PYTHON"
        self.messages: list[str] = []

    def protocol(self) -> str:
        """The hook protocol text (see the module docstring)."""
        lines = [self.bin_dir or ""]
        lines += [m.replace("\n", " ") for m in self.messages]
        return "\n".join(lines) + "\n"


def download_exists(req: PythonRequest, settings: Settings, host: PlatformTriple) -> Optional[bool]:
    """Whether the download list in force offers ``req`` for ``host``, read without the network;
    None when that cannot be told offline (see :func:`shimkit.downloads.load_offline`)."""
    from .downloads import load_offline, select_downloads

    if not req.is_installable:
        return False
    metadata = load_offline(settings.downloads_json, settings.cache_dir)
    return None if metadata is None else bool(select_downloads(req, metadata.downloads, host))


def _names(c: Candidate) -> list[str]:
    """``python3.12`` (and ``python3.13t`` for a free-threaded build) for a candidate."""
    name = f"python{c.version.major}.{c.version.minor}"
    return [name, name + "t"] if "freethreaded" in (c.variant or "") else [name]


def _sibling(exe: str, name: str) -> Optional[str]:
    path = os.path.join(os.path.dirname(exe), name)
    return path if os.path.isfile(path) else None


def link_dir(primary: Candidate, extra: list[Candidate], cache_dir: StrPath) -> Optional[str]:
    """A directory of links to the chosen interpreters (see the module docstring), made once per
    set of interpreters and replaced atomically; None where links cannot be made."""
    import hashlib

    links: dict[str, str] = {}
    for name in ("python", "python3", *_names(primary)):
        links[name] = primary.exe
    for tool in ("pip", "pip3", *(n.replace("python", "pip") for n in _names(primary))):
        target = _sibling(primary.exe, tool)
        if target is not None:
            links[tool] = target
    for c in extra:
        for name in _names(c):
            links.setdefault(name, c.exe)
            pip = _sibling(c.exe, name.replace("python", "pip"))
            if pip is not None:
                links.setdefault(name.replace("python", "pip"), pip)
    digest = hashlib.sha256(repr(sorted(links.items())).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    parent = os.path.join(cache_dir, LINKS_DIR)
    target_dir = os.path.join(parent, digest)
    if all(os.path.islink(os.path.join(target_dir, n)) for n in links):
        return target_dir
    import tempfile

    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
        for name, target in links.items():
            os.symlink(target, os.path.join(tmp, name))
        try:
            os.rename(tmp, target_dir)
        except OSError:  # another shell made it first: use theirs
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    except (OSError, NotImplementedError):
        return None
    return target_dir


def _missing(req_text: str, res: Resolution, req: PythonRequest, settings: Settings, host: PlatformTriple) -> None:
    where = f"{req_text} ({res.origin})"
    exists = download_exists(req, settings, host)
    if exists is False:
        res.messages.append(
            f"shimkit: Python {where} is not installed (nor found on this machine), "
            f"and no download of it exists for {host}"
        )
    else:
        import shlex

        res.messages.append(f"shimkit: Python {where} is not installed; run: shimkit install {shlex.quote(req_text)}")


def resolve(
    start: StrPath,
    settings: Settings,
    *,
    host: Optional[PlatformTriple] = None,
    global_file: Optional[StrPath] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Resolution:
    """Resolve the requests for ``start`` the way ``find`` does (see the module docstring).

    ``global_file`` is the global pin the hook baked in (None: none).  Bad words in version
    files are reported; paths and executable names are never accepted."""
    from . import discovery
    from .errors import NotFoundError, RequestError
    from .model.request import PythonRequest

    triple = host or settings.host
    res = Resolution()
    warnings: list[str] = []
    try:
        reqs, found = discovery.pinned_requests(
            os.fspath(start), settings, warnings.append, global_file=global_file, environ=environ
        )
    except NotFoundError:  # a pin with no valid request: its bad words were reported; choose nothing
        reqs, found = [], None
    res.messages += [f"shimkit: warning: {w}" for w in warnings]
    if found is None or not reqs:
        return res
    res.source, res.origin = found.source, found.file
    res.request = str(reqs[0]) if found.source != "requires-python" else found.lines[0]
    for line in found.lines:  # the raw text of the first request, as the user wrote it
        try:
            if PythonRequest.parse(line, allow_paths=False) == reqs[0]:
                res.request = line
                break
        except RequestError:  # a bad word was already reported
            continue
    search = discovery.Search(settings, os.fspath(start), settings.python_preference, True, host=triple)
    primary = search.first(reqs[0])
    if primary is None:
        if found.source != "requires-python":  # a project's requires-python is not a pin
            _missing(res.request, res, reqs[0], settings, triple)
        return res
    extra = further_interpreters(
        search, reqs[1:], primary, missing=lambda req: _missing(str(req), res, req, settings, triple)
    )
    res.exe, res.extra = primary.exe, [c.exe for c in extra]
    res.bin_dir = path_dir(primary, extra, settings.cache_dir)
    return res


def further_interpreters(
    search: Search,
    reqs: Sequence[PythonRequest],
    primary: Candidate,
    missing: Optional[Callable[[PythonRequest], None]] = None,
) -> list[Candidate]:
    """The interpreters of a pin's further requests (each ``python3.X`` goes on PATH beside the
    first's), in order, without the primary one; ``missing(req)`` for a request nothing satisfies."""
    out = []
    for req in reqs:
        c = search.first(req)
        if c is None:
            if missing is not None:
                missing(req)
        elif c.exe != primary.exe:
            out.append(c)
    return out


def path_dir(primary: Candidate, extra: list[Candidate], cache_dir: StrPath) -> Optional[str]:
    """The directory to put first on PATH for these interpreters (see the module docstring):
    the interpreter's own ``bin/`` when it is a dedicated one and alone, else a link directory."""
    if not extra and primary.source in DEDICATED:
        return os.path.dirname(primary.exe)
    made = link_dir(primary, extra, cache_dir)
    if made is None and primary.source in DEDICATED:
        return os.path.dirname(primary.exe)
    return made
