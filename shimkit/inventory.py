"""What ``shimkit list`` shows: installed interpreters (managed ones, those on PATH and of other
managers, as ``uv python list`` shows them) and the downloads available, one :class:`ListRow` each.

Cheap to import: the install dir is read through :mod:`shimkit.layout` and the other interpreters
through discovery's probe-cached sources (as ``find`` reads them), all with ``str`` paths; the
download list is loaded only when downloads are listed, so ``list --only-installed`` starts
without pathlib, json or dataclasses.
"""

from __future__ import annotations

import os

from . import layout
from .errors import StoreError, UsageError
from .model.key import PythonKey
from .model.request import PythonRequest
from .model.version import Version

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

    from .download_list import Download
    from .model.key import PlatformTriple
    from .settings import Settings
    from .sources import Candidate


class ListRow:
    """One row of ``list``: a managed installation, a system interpreter or a download (an
    installed row may carry the download it came from)."""

    __slots__ = ("download", "executable", "key", "minor_link", "system")

    def __init__(
        self,
        key: PythonKey,
        *,
        executable: Optional[str] = None,
        minor_link: Optional[str] = None,
        download: Optional[Download] = None,
        system: Optional[Candidate] = None,
    ) -> None:
        self.key = key
        self.executable = executable  # a managed installation's interpreter (its patch directory)
        self.minor_link = minor_link  # the minor-version link, when it points at this installation
        self.download = download
        self.system = system  # an interpreter on PATH or of another manager (pyenv, uv, mise)

    @property
    def installed(self) -> bool:
        return self.executable is not None or self.system is not None

    @property
    def source(self) -> str:
        """``managed``, ``download``, or where a system interpreter was found (``path``, ``pyenv`` …)."""
        if self.system is not None:
            return self.system.source
        return "managed" if self.executable is not None else "download"

    def with_download(self, download: Download) -> ListRow:
        return ListRow(
            self.key, executable=self.executable, minor_link=self.minor_link, download=download, system=self.system
        )

    def to_json(self, upgrade: Optional[Download] = None) -> dict[str, object]:
        """The one row schema of ``list --output-format json`` (docs/reference/json.md);
        ``upgrade`` is the newer patch ``list --outdated`` found (null otherwise)."""
        k = self.key
        return {
            "key": str(k),
            "version": str(k.version),
            "implementation": k.implementation,
            "variant": k.variant or None,
            "os": k.platform.os,
            "arch": k.platform.arch,
            "libc": k.platform.libc,
            "installed": self.installed,
            "source": self.source,
            "path": self.executable if self.executable is not None else (self.system.exe if self.system else None),
            "minor_link": self.minor_link,
            "url": self.download.url if self.download else None,
            "sha256": self.download.sha256 if self.download else None,
            "upgrade": None
            if upgrade is None
            else {
                "key": upgrade.key_text,
                "version": str(upgrade.key.version),
                "url": upgrade.url,
                "sha256": upgrade.sha256,
            },
        }


def managed_row(install_dir: str, key: PythonKey) -> ListRow:
    """The row of the managed installation ``key`` in ``install_dir``."""
    root = os.path.abspath(install_dir)
    exe = layout.managed_executable(root, key, through_link=False)
    if exe is None:  # an installation without its interpreter: show where it should be
        exe = os.path.join(root, str(key), key.executable_names()[0])
    link = os.path.join(root, key.minor_key)
    return ListRow(key, executable=exe, minor_link=link if layout.read_link_name(link) == str(key) else None)


def list_rows(
    settings: Settings,
    *,
    request: Optional[PythonRequest] = None,
    only_installed: bool = False,
    only_downloads: bool = False,
    all_versions: bool = False,
    all_platforms: bool = False,
    system: bool = True,
    cwd: Optional[str] = None,
) -> list[ListRow]:
    """Installed interpreters (managed ones and, with ``system``, those on PATH and of other
    managers) and available downloads, newest first.

    Without ``all_versions`` only the newest download of each minor version is listed (every
    installed one always is).  Pre-releases are listed only where no stable release of that minor
    version exists, unless ``all_versions``.
    """
    if only_installed and only_downloads:
        raise UsageError("--only-installed and --only-downloads exclude each other")
    host = settings.host
    req = request or PythonRequest(kind="any")
    rows: dict[str, ListRow] = {}
    if not only_downloads:
        try:
            keys = layout.installations(settings.install_dir)
        except OSError as exc:  # as the store says it
            raise StoreError(f"cannot read install dir {settings.install_dir}: {exc.strerror}") from None
        for key in keys:
            if req.matches_key(key, None if all_platforms else host) or (
                req.kind == "any" and req.implementation is None and (all_platforms or key.platform == host)
            ):
                rows[str(key)] = managed_row(settings.install_dir, key)
        if system:
            for c in system_interpreters(settings, req, cwd=cwd):
                rows.setdefault(f"{c.exe}\0system", ListRow(_key_of(c, host), system=c))
    if not only_installed:
        _add_downloads(rows, settings, req, host, all_versions=all_versions, all_platforms=all_platforms)
    out = list(rows.values())
    out.sort(
        key=lambda r: (r.key.implementation == "cpython", r.key.sort_key(), str(r.key.platform), r.key.variant == ""),
        reverse=True,
    )
    return out


def _add_downloads(
    rows: dict[str, ListRow],
    settings: Settings,
    req: PythonRequest,
    host: PlatformTriple,
    *,
    all_versions: bool,
    all_platforms: bool,
) -> None:
    from .downloads import select_downloads
    from .manager import metadata_for

    metadata = metadata_for(settings)
    if all_platforms:
        candidates = [d for d in metadata.downloads if req.matches_key(d.key) or req.kind == "any"]
        candidates = [d for d in candidates if req.kind != "any" or req.implementation in (None, d.key.implementation)]
    elif req.kind == "any" and req.implementation is None:
        candidates = [d for d in metadata.downloads if d.key_text.endswith(f"-{host}")]
    else:
        candidates = select_downloads(req, metadata.downloads, host)
    seen_minor: set[str] = set()
    candidates.sort(key=lambda d: (d.key.sort_key(), d.build), reverse=True)
    stable_minors = {d.key.minor_key for d in candidates if not d.key.is_prerelease}
    for d in candidates:
        name = d.key_text
        group = d.key.minor_key
        if name in rows:
            rows[name] = rows[name].with_download(d.with_mirror(settings.mirror))
            seen_minor.add(group)  # the newest download of this minor is installed: no older one to offer
            continue
        if not all_versions:
            if group in seen_minor or (d.key.is_prerelease and group in stable_minors):
                continue
            seen_minor.add(group)
        rows[name] = ListRow(d.key, download=d.with_mirror(settings.mirror))


def system_interpreters(settings: Settings, req: PythonRequest, *, cwd: Optional[str] = None) -> list[Candidate]:
    """Interpreters on PATH and of pyenv, uv and mise that satisfy ``req`` (probed through the cache)."""
    from .discovery import Search

    search = Search(settings, cwd or os.getcwd(), "only-system", True)
    seen: set[str] = set()
    out = []
    for c in (*search.sources.on_path(req), *search.sources.other_managers()):
        real = os.path.realpath(c.exe)
        if real not in seen and (req.is_any or req.matches_interpreter(c.implementation, c.version, c.variant)):
            seen.add(real)
            out.append(c)
    return out


def _key_of(c: Candidate, host: PlatformTriple) -> PythonKey:
    """The key a system interpreter would have as an installation (how ``list`` names it)."""
    v = c.version
    return PythonKey(c.implementation, Version(v.padded(3), v.pre), c.variant, host)
