"""Mirrors for teams and fleets: ``shimkit mirror sync`` and ``shimkit mirror verify``.

A mirror is a directory any static server, object store or shared mount can serve as it is::

    DIR/python-downloads.json          the download list (the python-downloads.json shape uv reads)
    DIR/SHA256SUMS                     "<sha256>  <path>" for every archive (``sha256sum -c`` works)
    DIR/<build>/<archive name>         python-build-standalone archives, laid out like its releases
    DIR/<implementation>/<archive>     other archives (PyPy, GraalPy)

Because python-build-standalone archives sit where they sit in its releases, the list's URLs are
the upstream ones and ``--mirror URL`` (``UV_PYTHON_INSTALL_MIRROR`` for uv) turns them into
mirror URLs: the same list works wherever the directory is served.  ``--base-url`` writes absolute
mirror URLs instead (then the list alone is enough).

Writing is atomic in this order, so a sync killed at any point leaves a usable mirror whose
``python-downloads.json`` names only complete, verified archives:

1. each archive is downloaded into ``DIR/.shimkit-sync/``, verified against its sha256, fsynced
   and renamed into place;
2. ``SHA256SUMS`` is rewritten listing the old and the new archives (a superset of both lists);
3. ``python-downloads.json`` is replaced (temp file, rename);
4. ``SHA256SUMS`` is rewritten to list exactly what the metadata lists; then, with ``--prune``,
   archives no longer selected are deleted.

At every moment every archive the metadata names is complete and listed in ``SHA256SUMS``.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from . import fetch
from .downloads import Download, Metadata, select_downloads
from .errors import NotFoundError, ShimkitError, StoreError, UsageError
from .installer import NullReporter, Reporter  # one progress protocol for installs and syncs
from .mirror_layout import (
    METADATA_NAME,
    SUMS_NAME,
    MirrorDamaged,
    MirrorError,
    archive_path,
    entry_url,
    file_sha256,
    is_pbs,
    matches,
    metadata_entry,
    read_listed,
    read_sums_file,
)
from .model.key import ARCH_ALIASES, OS_ALIASES, PlatformTriple
from .model.request import PythonRequest
from .record import Record, field
from .safeio import write_atomic

TEMP_NAME = ".shimkit-sync"
LOCK_NAME = ".shimkit-sync.lock"


# ---- what to mirror ------------------------------------------------------------------------
def parse_platform(text: str) -> PlatformTriple:
    """``linux-x86_64-gnu`` (or ``macos-arm64-none``: the spellings keys accept) -> the triple as
    keys write it; :class:`UsageError` if it is not one."""
    p = PlatformTriple.parse(text.strip().lower())
    if p is None:
        raise UsageError(
            f"not a platform: {text!r}",
            "platforms look like linux-x86_64-gnu, linux-aarch64-musl, macos-aarch64-none or windows-x86_64-none "
            "(os-arch-libc, as in installation keys)",
        )
    return PlatformTriple(OS_ALIASES.get(p.os, p.os), ARCH_ALIASES.get(p.arch, p.arch), p.libc)


def select(
    requests: Sequence[PythonRequest], platforms: Sequence[PlatformTriple], metadata: Metadata
) -> list[Download]:
    """The archive each request installs on each platform (what ``install`` would pick there).

    :class:`NotFoundError` names every request/platform pair without a download, before
    anything is fetched.
    """
    chosen: dict[str, Download] = {}
    missing: list[str] = []
    unverifiable: list[str] = []
    for request in requests:
        for plat in platforms:
            found = select_downloads(request, metadata.downloads, plat)
            if not found:
                missing.append(f"{request} for {plat}")
                continue
            best = found[0]
            if not best.sha256:
                unverifiable.append(best.key_text)
                continue
            chosen.setdefault(best.key_text, best)
    if missing:
        raise NotFoundError(
            f"no download of {', '.join(missing)} in the {metadata.source} download list",
            "`shimkit list --all-platforms --only-downloads` shows what exists; check --platform and the versions",
        )
    if unverifiable:
        raise MirrorError(
            f"no sha256 checksum for {', '.join(unverifiable)} in the {metadata.source} download list",
            "a mirror only holds verified archives; use a download list with checksums",
        )
    return sorted(chosen.values(), key=lambda d: d.key_text)


def requests_from_pins(root: Path, warn: Callable[[str], None]) -> list[PythonRequest]:
    """Every installable request pinned anywhere under ``root``: ``.python-version``,
    ``.python-versions`` and ``pyproject.toml``'s ``requires-python`` (hidden directories,
    ``node_modules`` and ``__pycache__`` are skipped).  Bad lines are dropped with a warning."""
    from . import versionfile as vf

    if not root.is_dir():
        raise NotFoundError(f"{root} is not a directory", "--from-pins takes a repository's directory")
    seen: dict[str, PythonRequest] = {}
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
        found: list[vf.Found] = []
        for name, source in ((vf.VERSION_FILE, vf.SOURCE_VERSION_FILE), (vf.VERSIONS_FILE, vf.SOURCE_VERSIONS_FILE)):
            if name in files:
                path = os.path.join(current, name)
                try:
                    lines = vf.read_lines(path)
                except OSError as exc:
                    warn(f"cannot read {path} ({exc.strerror or exc}); ignoring it")
                    continue
                found.append(vf.Found(path, source, lines[:1] if source == vf.SOURCE_VERSION_FILE else lines, current))
        if vf.PYPROJECT in files:
            path = os.path.join(current, vf.PYPROJECT)
            spec = vf.requires_python(path)
            if spec is not None:
                found.append(vf.Found(path, vf.SOURCE_REQUIRES_PYTHON, (spec,), current))
        for f in found:
            for request in vf.requests_from(f, warn):
                if request.is_installable:
                    seen.setdefault(str(request), request)
    if not seen:
        raise NotFoundError(
            f"no Python version pinned under {root}",
            "--from-pins reads .python-version, .python-versions and pyproject.toml requires-python files",
        )
    return list(seen.values())


# ---- writing -------------------------------------------------------------------------------
def _write_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, data, durable=True)  # the one atomic writer (shimkit.safeio)


def _sums_text(sums: dict[str, str]) -> bytes:
    return "".join(f"{sha}  {rel}\n" for rel, sha in sorted(sums.items())).encode("utf-8")


def _metadata_text(entries: dict[str, dict[str, Any]]) -> bytes:
    def order(item: tuple[str, dict[str, Any]]) -> tuple[Any, ...]:
        e = item[1]
        return (e["major"], e["minor"], e["patch"], e["prerelease"] == "", e["prerelease"], item[0])

    doc = dict(sorted(entries.items(), key=order, reverse=True))  # newest first, as upstream lists them
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


class _Locked:
    def __init__(self, dest: Path) -> None:
        import filelock

        self._lock = filelock.FileLock(str(dest / LOCK_NAME))

    def __enter__(self) -> None:
        import filelock

        try:
            self._lock.acquire(timeout=0.5)
        except filelock.Timeout:
            raise MirrorError(
                f"another `shimkit mirror sync` is writing {self._lock.lock_file}",
                "wait for it to finish, or stop it",
            ) from None

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


class SyncResult(Record):
    """What a sync did, for the CLI to print."""

    directory: Path
    downloaded: list[str] = field(default_factory=list)  # keys fetched now
    present: list[str] = field(default_factory=list)  # keys already there, checksum verified
    kept: list[str] = field(default_factory=list)  # keys from earlier syncs, not selected now (no --prune)
    pruned: list[str] = field(default_factory=list)  # archive paths deleted by --prune
    failed: list[tuple[str, ShimkitError]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def listed(self) -> int:
        return len(self.downloaded) + len(self.present) + len(self.kept)


def _fetch_archive(d: Download, target: Path, temp: Path, options: fetch.FetchOptions, reporter: Reporter) -> None:
    """Download ``d`` into ``temp``, verify its sha256, and rename it to ``target``."""
    label = d.key_text

    def attempt(_n: int) -> None:
        part = temp / f"{uuid.uuid4().hex}.part"
        try:
            with fetch.open_body(d.url, options) as body, open(part, "wb") as out:
                body.on_progress(reporter.download_started(label, body.total))
                try:
                    shutil.copyfileobj(body, out, fetch.CHUNK)
                    body.verify(d.sha256, label)
                finally:
                    reporter.download_finished(label)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)

    def on_retry(_n: int, exc: Exception) -> None:
        reporter.warn(f"{label}: {exc}; retrying")

    fetch.with_retries(attempt, options, on_retry)


def sync(
    dest: Path,
    selected: Sequence[Download],
    *,
    base_url: Optional[str] = None,
    prune: bool = False,
    source_mirror: Optional[str] = None,
    options: Optional[fetch.FetchOptions] = None,
    reporter: Optional[Reporter] = None,
    concurrency: int = 4,
) -> SyncResult:
    """Bring the mirror in ``dest`` to hold ``selected`` (see the module docstring for the order
    of writes).  Archives already there with the right checksum are not fetched again; archives of
    earlier syncs stay listed unless ``prune``.  Downloads come from each entry's URL with the
    PBS prefix replaced by ``source_mirror``.

    Failed downloads are reported in the result (the archives that did arrive are listed); the
    caller decides the exit status.
    """
    if base_url is not None and urllib.parse.urlsplit(base_url).scheme not in ("http", "https", "file"):
        raise UsageError(
            f"--base-url {base_url!r} is not an http(s):// or file:// URL", "e.g. https://mirror.example/python"
        )
    wanted: dict[str, tuple[Download, str]] = {}
    for d in selected:  # unsafe names and unverifiable entries fail before anything is written
        if not d.sha256:
            raise MirrorError(f"no sha256 checksum for {d.key_text}", "a mirror only holds verified archives")
        wanted[d.key_text] = (d, archive_path(d))
    rep: Reporter = reporter or NullReporter()
    opts = options or fetch.FetchOptions.from_env()
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {dest}: {exc.strerror}", "choose a writable mirror directory") from None
    marked = (dest / METADATA_NAME).exists() or (dest / LOCK_NAME).exists()  # a mirror, or one being made
    if not marked and any(True for _ in dest.iterdir()):
        raise MirrorError(
            f"{dest} is not empty and holds no {METADATA_NAME}",
            "sync into an empty directory or an existing shimkit mirror",
        )
    with _Locked(dest):
        return _sync_locked(dest, wanted, base_url, prune, source_mirror, opts, rep, concurrency)


def _sync_locked(
    dest: Path,
    wanted: dict[str, tuple[Download, str]],
    base_url: Optional[str],
    prune: bool,
    source_mirror: Optional[str],
    opts: fetch.FetchOptions,
    rep: Reporter,
    concurrency: int,
) -> SyncResult:
    result = SyncResult(dest)
    temp = dest / TEMP_NAME
    shutil.rmtree(temp, ignore_errors=True)  # partial downloads of a killed sync
    temp.mkdir()
    try:
        previous = read_listed(dest) or []
    except ShimkitError as exc:
        rep.warn(f"ignoring the mirror's current list ({exc.message}); it is rewritten")
        previous = []
    old_sums = _read_sums_or_empty(dest, rep)
    todo = []
    for key, (d, rel) in wanted.items():
        assert d.sha256 is not None
        if matches(dest / rel, d.sha256):
            result.present.append(key)
        else:
            todo.append((d, rel))

    def work(item: tuple[Download, str]) -> Optional[ShimkitError]:
        d, rel = item
        try:
            _fetch_archive(d.with_mirror(source_mirror), dest / rel, temp, opts, rep)
        except ShimkitError as exc:
            return exc
        except OSError as exc:
            return StoreError(f"cannot write {dest / rel}: {exc.strerror or exc}", "check free space and permissions")
        return None

    if todo:
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(todo)))) as pool:
            for (d, _rel), error in zip(todo, pool.map(work, todo)):
                if error is None:
                    result.downloaded.append(d.key_text)
                else:
                    result.failed.append((d.key_text, error))
    shutil.rmtree(temp, ignore_errors=True)

    listed: dict[str, tuple[Download, str]] = {
        k: v for k, v in wanted.items() if k in result.downloaded or k in result.present
    }
    failed = {key for key, _error in result.failed}
    for d in previous:
        # earlier selections stay listed without --prune; an archive whose update failed keeps its old copy
        if not d.sha256 or d.key_text in listed or (prune and d.key_text not in failed):
            continue
        try:
            rel = archive_path(d)
        except MirrorError:
            continue  # never keep listing what could not have been written safely
        if (dest / rel).is_file():
            listed[d.key_text] = (d, rel)
            if d.key_text in failed:
                result.warnings.append(f"{d.key_text}: the update failed; the mirror keeps the previous archive")
            else:
                result.kept.append(d.key_text)
    entries: dict[str, dict[str, Any]] = {}
    new_sums: dict[str, str] = {}
    for key, (d, rel) in listed.items():
        assert d.sha256 is not None
        entries[key] = metadata_entry(d, entry_url(d, rel, base_url))
        new_sums[rel] = d.sha256.lower()
        if not base_url and not is_pbs(d):
            result.warnings.append(
                f"{key}: not a python-build-standalone archive, so its URL stays upstream ({d.url}); "
                "use --base-url to point the list at the mirror"
            )
    # 2-4: SHA256SUMS superset, the metadata, SHA256SUMS exact, then pruning
    superset = {rel: sha for rel, sha in old_sums.items() if (dest / rel).is_file()}
    superset.update(new_sums)
    _write_atomic(dest / SUMS_NAME, _sums_text(superset))
    _write_atomic(dest / METADATA_NAME, _metadata_text(entries))
    _write_atomic(dest / SUMS_NAME, _sums_text(new_sums))
    if prune:
        result.pruned = _prune(dest, set(new_sums))
    return result


def _read_sums_or_empty(dest: Path, rep: Reporter) -> dict[str, str]:
    try:
        return read_sums_file(dest) or {}
    except MirrorError as exc:
        rep.warn(f"ignoring the mirror's {SUMS_NAME} ({exc.message}); it is rewritten")
        return {}


def _archive_files(dest: Path) -> Iterator[str]:
    """Relative paths of the files in the archive directories (everything but the top-level files)."""
    for sub in sorted(dest.iterdir()):
        if not sub.is_dir() or sub.name.startswith("."):
            continue
        for p in sorted(sub.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                yield f"{sub.name}/{p.name}"


def _prune(dest: Path, keep: set[str]) -> list[str]:
    removed = []
    for rel in _archive_files(dest):
        if rel not in keep:
            (dest / rel).unlink(missing_ok=True)
            removed.append(rel)
    for sub in dest.iterdir():
        if sub.is_dir() and not sub.name.startswith("."):
            try:
                sub.rmdir()  # only succeeds when empty
            except OSError:
                pass
    return removed


# ---- verify --------------------------------------------------------------------------------
class VerifyReport(Record):
    """What ``verify`` found: one line per problem, and how many archives were checked."""

    directory: Path
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    def raise_if_damaged(self) -> None:
        if self.problems:
            n = len(self.problems)
            raise MirrorDamaged(
                f"the mirror {self.directory} has {n} problem{'s' if n != 1 else ''}",
                "re-run `shimkit mirror sync` with the same versions: it fetches missing and corrupt archives again",
            )


def verify(dest: Path, progress: Optional[Callable[[str], None]] = None) -> VerifyReport:
    """Check every archive against ``SHA256SUMS`` and the metadata; report, never repair."""
    dest = Path(dest)
    report = VerifyReport(dest)
    if not (dest / METADATA_NAME).is_file():
        raise NotFoundError(
            f"{dest} is not a shimkit mirror (no {METADATA_NAME})",
            "create one with `shimkit mirror sync DIR VERSIONS...`",
        )
    try:
        listed = read_listed(dest) or []
    except ShimkitError as exc:
        report.problems.append(f"{METADATA_NAME}: {exc.message}")
        listed = []
    try:
        sums = read_sums_file(dest)
    except MirrorError as exc:
        report.problems.append(exc.message)
        sums = {}
    if sums is None:
        report.problems.append(f"{SUMS_NAME} is missing")
        sums = {}
    hashed: dict[str, Optional[str]] = {}

    def digest(rel: str) -> Optional[str]:
        if rel not in hashed:
            path = dest / rel
            if progress is not None:
                progress(rel)
            try:
                hashed[rel] = file_sha256(path) if path.is_file() else None
            except OSError:
                hashed[rel] = None
            report.checked += 1
        return hashed[rel]

    for d in listed:
        try:
            rel = archive_path(d)
        except MirrorError as exc:
            report.problems.append(exc.message)
            continue
        expected = (d.sha256 or "").lower()
        if not expected:
            report.problems.append(f"{d.key_text}: no sha256 in {METADATA_NAME}")
        if rel not in sums:
            report.problems.append(f"{rel}: listed in {METADATA_NAME} but not in {SUMS_NAME}")
        elif expected and sums[rel] != expected:
            report.problems.append(f"{rel}: {METADATA_NAME} and {SUMS_NAME} give different checksums")
        got = digest(rel)
        if got is None:
            report.problems.append(f"{rel}: missing")
        elif expected and got != expected:
            report.problems.append(f"{rel}: corrupt (sha256 {got}, expected {expected})")
    listed_paths = set()
    for d in listed:
        try:
            listed_paths.add(archive_path(d))
        except MirrorError:
            pass
    for rel, sha in sorted(sums.items()):
        if rel in listed_paths:
            continue
        got = digest(rel)
        if got is None:
            report.problems.append(f"{rel}: listed in {SUMS_NAME} but missing")
        elif got != sha:
            report.problems.append(f"{rel}: corrupt (sha256 {got}, expected {sha})")
    return report
