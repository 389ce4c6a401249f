"""High-level operations behind ``install``, ``uninstall`` and ``upgrade`` (the CLI only prints;
``list`` is :mod:`shimkit.inventory`).

Every function takes a :class:`~shimkit.settings.Settings` and returns plain data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Sequence

from . import platform
from .errors import NotFoundError, ShimkitError, UsageError
from .links import LinkReport, entries_for, install_entries, remove_entries_through
from .model.key import PlatformTriple, PythonKey
from .model.request import PythonRequest, parse_installable, parse_request
from .record import Record, field
from .settings import Settings
from .store import Installation, Store
from .versionfile import ceiling_paths, discover, global_version_file, requests_from

if TYPE_CHECKING:  # the installer (archives, threads, subprocess) loads only for commands that install
    from .downloads import Download, Metadata
    from .installer import Outcome, Reporter, Source
    from .liveprocs import LiveProcess
    from .venv import VenvInfo

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2", ".zip")
DEFAULT_REQUEST = PythonRequest(kind="any", implementation="cpython")


def metadata_for(settings: Settings) -> Metadata:
    """The download list install/list/upgrade use (override > refreshed cache if newer > embedded).

    With ``metadata-auto-refresh`` on (and no override, not offline) the list is refreshed first,
    at most once a day; shell hooks never come here (they only read the install dir).
    """
    if settings.metadata_auto_refresh and not settings.offline and not settings.downloads_json:
        from .metadata_cache import auto_refresh

        auto_refresh(settings.cache_dir, mirror=settings.mirror)
    from .downloads import load_metadata  # (list --only-installed never reads a download list)

    return load_metadata(settings.downloads_json, offline=settings.offline, cache_dir=settings.cache_dir)


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


class InstallReport(Record):
    outcomes: list[Outcome] = field(default_factory=list)
    satisfied: list[tuple[PythonRequest, Installation, Optional[Download]]] = field(default_factory=list)
    bin: LinkReport = field(default_factory=lambda: LinkReport([], [], [], []))


class BinOptions(Record, frozen=True):
    """What ``install``/``upgrade`` do to the bin dir."""

    enabled: bool = True
    default: bool = False  # also python3 and python
    force: bool = False  # replace entries shimkit did not make


DEFAULT_BIN_OPTIONS = BinOptions()  # frozen: one shared default


def refresh_bin_entries(
    store: Store, inst: Installation, settings: Settings, opts: BinOptions, into: LinkReport
) -> None:
    """Make the bin entries of ``inst``'s minor version exist (they go through its minor link)."""
    if not opts.enabled:
        return
    rep = install_entries(entries_for(store, inst, opts.default), settings.bin_dir, store.root, force=opts.force)
    for name in ("created", "updated", "unchanged", "refused"):
        getattr(into, name).extend(getattr(rep, name))


def install(
    targets: Sequence[str],
    settings: Settings,
    *,
    cwd: Path,
    reinstall: bool = False,
    reporter: Optional[Reporter] = None,
    warn: Callable[[str], None] = lambda s: None,
    bin_options: BinOptions = DEFAULT_BIN_OPTIONS,
) -> InstallReport:
    """Install every target (a request or a local archive path).

    A request already satisfied by an installation is not installed again (``upgrade`` moves to
    newer patches); ``reinstall`` installs the best download again regardless.
    """
    from . import externally_managed, fetch
    from .downloads import select_downloads
    from .installer import InstallOptions, install_sources, local_archive_source, resolve

    store = Store(settings.install_dir)
    store.repair()
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
        except ShimkitError as exc:
            if requests:
                raise
            # local archives install without metadata; their checksums are then unknown
            warn(f"download metadata unavailable ({exc.message}); cannot look up archive checksums")

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

    def committed(outcome: Outcome) -> None:
        if outcome.installation is not None:
            refresh_bin_entries(store, outcome.installation, settings, bin_options, report.bin)

    if sources:
        options = fetch.FetchOptions.from_env(offline=settings.offline)
        report.outcomes = install_sources(
            sources,
            store,
            reinstall=reinstall,
            options=options,
            reporter=reporter,
            on_committed=committed,
            install_options=InstallOptions.from_settings(settings),
        )
    # installations made before shimkit marked them (PEP 668) get the marker now
    externally_managed.mark_all(store)
    if report.satisfied and bin_options.enabled:
        # `install 3.12 --default` on an installed 3.12 still (re)creates its entries
        with store.locked():
            for _req, inst, _dl in report.satisfied:
                if store.find(inst.key) is not None:
                    refresh_bin_entries(store, inst, settings, bin_options, report.bin)
    return report


class UninstallResult(Record):
    removed: list[PythonKey] = field(default_factory=list)
    link_changes: dict[str, tuple[Optional[str], Optional[str]]] = field(default_factory=dict)
    bin_removed: list[Path] = field(default_factory=list)
    in_use: dict[PythonKey, list[LiveProcess]] = field(default_factory=dict)  # left in place


def uninstall(
    targets: Sequence[str],
    settings: Settings,
    *,
    all_: bool = False,
    force: bool = False,
) -> UninstallResult:
    """Remove installations matching the targets; repoint or remove their minor-version links.

    An installation that running processes use (see :mod:`shimkit.liveprocs`) is left in place
    and reported in ``in_use``, unless ``force``."""
    from .liveprocs import processes_using

    store = Store(settings.install_dir)
    host = platform.host()
    if not targets and not all_:
        raise UsageError("nothing to uninstall", "name versions (e.g. `shimkit uninstall 3.12.1`) or pass --all")
    requests = [parse_request(t, allow_paths=False) for t in targets]
    result = UninstallResult()

    def remove_bin(store: Store, inst: Installation) -> None:
        result.bin_removed.extend(remove_entries_through(inst.key.minor_key, settings.bin_dir, store.root))

    with store.locked():
        chosen = _uninstall_selection(store.installations(), requests, host, all_)
        for inst in chosen:
            users: list[LiveProcess] = []

            def in_use(inst: Installation = inst, users: list[LiveProcess] = users) -> bool:
                users[:] = processes_using(inst.path)
                return bool(users)

            change = store.uninstall(inst, before_unlink=remove_bin, in_use=None if force else in_use)
            if change is None:
                result.in_use[inst.key] = users
                continue
            result.removed.append(inst.key)
            if change[0] != change[1]:
                result.link_changes[inst.key.minor_key] = change
    return result


def _uninstall_selection(
    installed: list[Installation], requests: Sequence[PythonRequest], host: PlatformTriple, all_: bool
) -> list[Installation]:
    if all_:
        return installed
    chosen: list[Installation] = []
    for req in requests:
        matches = [i for i in installed if req.matches_key(i.key, None if req.kind == "key" else host)]
        if not matches:
            raise NotFoundError(f"no installed Python matches {req}", "`shimkit list --only-installed` shows them")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def uninstall_selection(targets: Sequence[str], settings: Settings, *, all_: bool = False) -> list[Installation]:
    """What ``uninstall`` would remove now (for warnings before it runs); raises as it would."""
    store = Store(settings.install_dir)
    requests = [parse_request(t, allow_paths=False) for t in targets]
    return _uninstall_selection(store.installations(), requests, platform.host(), all_)


def venvs_broken_by(store: Store, doomed: Sequence[Installation]) -> list[tuple[VenvInfo, str]]:
    """Recorded venvs that removing ``doomed`` would break, each with what it uses: venvs pinned to
    a removed patch, and venvs that follow a minor-version link whose last patch goes."""
    from . import venv as venv_mod

    gone = {i.key for i in doomed}
    broken: list[tuple[VenvInfo, str]] = []
    for inst in doomed:
        broken += [(v, str(inst.key)) for v in venv_mod.pinning(store, inst.path)]
    remaining = {i.key.minor_key for i in store.installations() if i.key not in gone}
    for minor_key, key in {i.key.minor_key: i.key for i in doomed}.items():
        if minor_key not in remaining:
            broken += [(v, minor_key) for v in venv_mod.pinning(store, store.link_path(key))]
    return broken


# ---- upgrade -----------------------------------------------------------------------------
class UpgradeItem(Record, frozen=True):
    minor_key: str
    current: PythonKey
    newest: Optional[Download]  # None: no newer patch available

    @property
    def needed(self) -> bool:
        return self.newest is not None


def _minor_request(text: str) -> PythonRequest:
    req = parse_installable(text)
    ok = (req.kind == "version" and req.version.is_minor) or (
        req.kind == "key" and len(req.version.release) == 2 and req.version.specifiers is None
    )
    if not ok:
        names_patch = req.kind in ("version", "key") and req.version.names_patch
        raise UsageError(
            f"`upgrade` takes minor versions such as 3.12 or 3.13t, not {text!r}",
            "upgrading moves a minor version to its newest patch; "
            + (
                f"to install one exact patch use `shimkit install {text}`"
                if names_patch
                else "`shimkit list --only-installed` shows the installed ones"
            ),
        )
    return req


def plan_upgrade(targets: Sequence[str], settings: Settings) -> list[UpgradeItem]:
    """For each installed minor version (or the named ones): its newest download if newer than installed."""
    store = Store(settings.install_dir)
    requests = [_minor_request(t) for t in targets]
    store.repair()
    host = platform.host()
    groups: dict[str, Installation] = {}
    for inst in store.installations():  # newest first, so the first of each group is the best
        groups.setdefault(inst.key.minor_key, inst)
    if requests:
        chosen = {k: i for k, i in groups.items() if any(r.matches_key(i.key, host) for r in requests)}
        for r in requests:
            if not any(r.matches_key(i.key, host) for i in groups.values()):
                raise NotFoundError(f"{r} is not installed", f"install it with `shimkit install {r}`")
        groups = chosen
    if not groups:
        return []
    metadata = metadata_for(settings)
    items = []
    for minor_key, inst in sorted(groups.items()):
        k = inst.key
        same_minor = [
            d
            for d in metadata.downloads
            if d.key_text.startswith(f"{k.implementation}-{k.major}.{k.minor}.")
            and d.key_text.endswith(f"-{k.platform}")
            and d.key.minor_key == minor_key
            and (k.is_prerelease or not d.key.is_prerelease)
        ]
        same_minor.sort(key=lambda d: (d.key.sort_key(), d.build), reverse=True)
        best = same_minor[0] if same_minor else None
        newer = best if best is not None and best.key.sort_key() > k.sort_key() else None
        items.append(UpgradeItem(minor_key, k, newer.with_mirror(settings.mirror) if newer else None))
    return items


def upgrade(
    items: Sequence[UpgradeItem],
    settings: Settings,
    *,
    reporter: Optional[Reporter] = None,
    bin_options: BinOptions = DEFAULT_BIN_OPTIONS,
) -> tuple[list[Outcome], LinkReport]:
    """Install the newest patch of each item that needs it; links repoint, old patches stay."""
    from . import externally_managed, fetch
    from .installer import InstallOptions, Source, install_sources

    store = Store(settings.install_dir)
    links = LinkReport([], [], [], [])

    def committed(outcome: Outcome) -> None:
        if outcome.installation is not None:
            refresh_bin_entries(store, outcome.installation, settings, bin_options, links)

    sources = [Source(i.newest.key, download=i.newest, sha256=i.newest.sha256) for i in items if i.newest]
    if not sources:
        externally_managed.mark_all(store)  # made by an older shimkit: PEP 668 marker
        return [], links
    outcomes = install_sources(
        sources,
        store,
        options=fetch.FetchOptions.from_env(offline=settings.offline),
        reporter=reporter,
        on_committed=committed,
        install_options=InstallOptions.from_settings(settings),
    )
    externally_managed.mark_all(store)
    return outcomes, links


# ---- uninstall --outdated ------------------------------------------------------------------
def outdated(settings: Settings) -> list[Installation]:
    """Installed patches that no minor-version link points to."""
    store = Store(settings.install_dir)
    linked = {t for t in store.minor_links().values() if t}
    return [i for i in store.installations() if str(i.key) not in linked]
