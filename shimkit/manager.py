"""High-level operations behind ``install``, ``uninstall`` and ``list`` (the CLI only prints).

Every function takes a :class:`~shimkit.settings.Settings` and returns plain data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import fetch, platform
from .downloads import Download, Metadata, load_metadata, select_downloads
from .errors import NotFoundError, RequestError, ShimkitError, UsageError
from .installer import Outcome, Reporter, Source, install_sources, local_archive_source, resolve
from .keys import PythonKey
from .requests import PythonRequest, parse_installable, parse_request
from .settings import Settings
from .store import Installation, Store
from .versionfile import ceiling_paths, discover, global_version_file, requests_from

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2", ".zip")
DEFAULT_REQUEST = PythonRequest(kind="any", implementation="cpython")


def metadata_for(settings: Settings) -> Metadata:
    return load_metadata(settings.downloads_json, offline=settings.offline)


def _is_local_archive(target: str) -> bool:
    return target.lower().endswith(ARCHIVE_SUFFIXES) and ("/" in target or os.sep in target or os.path.exists(target))


def default_requests(cwd: Path, settings: Settings, warn: Callable[[str], None]) -> tuple[list[PythonRequest], str]:
    """What ``install`` with no argument installs: the version files' requests, else the newest stable."""
    if not settings.no_config:
        found = discover(cwd, ceilings=ceiling_paths(), global_file=global_version_file(), multiple=True)
        if found is not None:
            reqs = [r for r in requests_from(found, warn) if r.is_installable]
            if reqs:
                return reqs, str(found.path)
    return [DEFAULT_REQUEST], "the newest stable release"


@dataclass
class InstallReport:
    outcomes: list[Outcome] = field(default_factory=list)
    satisfied: list[tuple[PythonRequest, Installation, Optional[Download]]] = field(default_factory=list)


def install(
    targets: Sequence[str],
    settings: Settings,
    *,
    cwd: Path,
    reinstall: bool = False,
    reporter: Optional[Reporter] = None,
    warn: Callable[[str], None] = lambda s: None,
    on_committed: Optional[Callable[[Outcome], None]] = None,
) -> InstallReport:
    """Install every target (a request or a local archive path).

    A request already satisfied by an installation is not installed again (``upgrade`` moves to
    newer patches); ``reinstall`` installs the best download again regardless.
    """
    store = Store(settings.install_dir)
    host = platform.host()
    report = InstallReport()
    requests: list[PythonRequest] = []
    archives: list[Path] = []
    if targets:
        for t in targets:
            if _is_local_archive(t):
                archives.append(Path(t).expanduser())
            else:
                requests.append(parse_installable(t))
    else:
        requests, _ = default_requests(cwd, settings, warn)

    metadata: Optional[Metadata] = None
    if requests or archives:
        try:
            metadata = metadata_for(settings)
        except ShimkitError:
            if requests:
                raise
            # local archives install without metadata; their checksums are then unknown

    sources: list[Source] = []
    installed = store.installations()
    for req in requests:
        have = [i for i in installed if req.matches_key(i.key, host)]
        if have and not reinstall:
            best_dl = None
            if metadata is not None:
                found = select_downloads(req, metadata.downloads, host)
                best_dl = found[0] if found else None
            report.satisfied.append((req, have[0], best_dl))
            continue
        assert metadata is not None
        sources.append(resolve(req, metadata, host, settings.mirror))
    for path in archives:
        src = local_archive_source(path, metadata)
        if src.sha256 is None:
            warn(f"no checksum known for {path.name}; installing it unverified")
        sources.append(src)

    if sources:
        options = fetch.FetchOptions.from_env(offline=settings.offline)
        report.outcomes = install_sources(
            sources, store, reinstall=reinstall, options=options, reporter=reporter, on_committed=on_committed
        )
    return report


@dataclass
class UninstallResult:
    removed: list[PythonKey] = field(default_factory=list)
    link_changes: dict[str, tuple[Optional[str], Optional[str]]] = field(default_factory=dict)


def uninstall(
    targets: Sequence[str],
    settings: Settings,
    *,
    all_: bool = False,
    before_remove: Optional[Callable[[Store, Installation], None]] = None,
) -> UninstallResult:
    """Remove installations matching the targets; repoint or remove their minor-version links."""
    store = Store(settings.install_dir)
    host = platform.host()
    if not targets and not all_:
        raise UsageError("nothing to uninstall", "name versions (e.g. `shimkit uninstall 3.12.1`) or pass --all")
    requests = [parse_request(t, allow_paths=False) for t in targets]
    result = UninstallResult()
    with store.locked():
        installed = store.installations()
        chosen: list[Installation] = []
        for req in requests:
            matches = [i for i in installed if req.matches_key(i.key, None if req.kind == "key" else host)]
            if not matches:
                raise NotFoundError(f"no installed Python matches {req}", "`shimkit list --only-installed` shows them")
            chosen.extend(m for m in matches if m not in chosen)
        if all_:
            chosen = installed
        for inst in chosen:
            change = store.uninstall(inst, before_unlink=before_remove)
            result.removed.append(inst.key)
            if change[0] != change[1]:
                result.link_changes[inst.key.minor_key] = change
    return result


@dataclass(frozen=True)
class ListRow:
    key: PythonKey
    installation: Optional[Installation]
    download: Optional[Download]
    linked: bool  # the minor-version link points at this installation

    def to_json(self, store: Store) -> dict[str, object]:
        k = self.key
        return {
            "key": str(k),
            "version": str(k.version),
            "implementation": k.implementation,
            "variant": k.variant or None,
            "os": k.platform.os,
            "arch": k.platform.arch,
            "libc": k.platform.libc,
            "installed": self.installation is not None,
            "path": str(self.installation.executable) if self.installation else None,
            "minor_link": str(store.link_path(k)) if self.linked else None,
            "url": self.download.url if self.download else None,
            "sha256": self.download.sha256 if self.download else None,
        }


def list_rows(
    settings: Settings,
    *,
    request: Optional[PythonRequest] = None,
    only_installed: bool = False,
    only_downloads: bool = False,
    all_versions: bool = False,
    all_platforms: bool = False,
) -> list[ListRow]:
    """Installed interpreters and available downloads, newest first.

    Without ``all_versions`` only the newest download of each minor version is listed (every
    installed one always is).  Pre-releases are listed only where no stable release of that minor
    version exists, unless ``all_versions``.
    """
    if only_installed and only_downloads:
        raise UsageError("--only-installed and --only-downloads exclude each other")
    store = Store(settings.install_dir)
    host = platform.host()
    req = request or PythonRequest(kind="any")
    rows: dict[str, ListRow] = {}
    links = store.minor_links()
    if not only_downloads:
        for inst in store.installations():
            if req.matches_key(inst.key, None if all_platforms else host) or (
                req.kind == "any" and req.implementation is None and (all_platforms or inst.key.platform == host)
            ):
                linked = links.get(inst.key.minor_key) == str(inst.key)
                rows[str(inst.key)] = ListRow(inst.key, inst, None, linked)
    if not only_installed:
        metadata = metadata_for(settings)
        if all_platforms:
            candidates = [d for d in metadata.downloads if req.matches_key(d.key) or req.kind == "any"]
            candidates = [d for d in candidates if req.kind != "any" or req.implementation in (None, d.key.implementation)]
        else:
            any_impl = PythonRequest(kind="any") if req.kind == "any" and req.implementation is None else None
            if any_impl is not None:
                candidates = [d for d in metadata.downloads if d.key_text.endswith(f"-{host}")]
            else:
                candidates = select_downloads(req, metadata.downloads, host)
        seen_minor: set[tuple[str, str]] = set()
        candidates.sort(key=lambda d: (d.key.sort_key(), d.build), reverse=True)
        stable_minors = {(d.key.minor_key, "") for d in candidates if not d.key.is_prerelease}
        for d in candidates:
            name = d.key_text
            if name in rows:
                rows[name] = ListRow(rows[name].key, rows[name].installation, d.with_mirror(settings.mirror), rows[name].linked)
                continue
            if not all_versions:
                group = (d.key.minor_key, "")
                if group in seen_minor or (d.key.is_prerelease and group in stable_minors):
                    continue
                seen_minor.add(group)
            rows[name] = ListRow(d.key, None, d.with_mirror(settings.mirror), False)
    out = list(rows.values())
    out.sort(key=lambda r: (r.key.implementation == "cpython", r.key.sort_key(), str(r.key.platform), r.key.variant == ""),
             reverse=True)
    return out

