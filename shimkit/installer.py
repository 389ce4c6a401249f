"""Installing interpreters: resolve requests, download/extract/verify concurrently, commit atomically.

One installation goes through these steps, all but the last inside ``.temp/``::

    download (streamed) -> sha256 while streaming -> unpack in the same pass -> checksum check
      -> add the sitecustomize hook that pins running processes to their patch (pinning.py)
      -> run the interpreter once (-I -S): compare it with what the metadata promised, and
         compile the hook in the same run
      -> only with ``compile-bytecode``: compile the stdlib's bytecode
      -> one rename into the install dir -> minor link update

No bytecode by default, as python-build-standalone ships it and as uv installs it: Python writes
each module's bytecode the first time it is imported, and compiling the whole standard library
(seconds) buys ~100 ms once.  It pays where nothing can write it later (read-only or shared install
dirs, ``PYTHONDONTWRITEBYTECODE``): that is what ``compile-bytecode`` is for.

Several installations download and unpack concurrently (threads: the work is I/O and zlib,
which release the GIL); commits happen one at a time under the store lock.  Ctrl+C or SIGTERM
stops the workers at their next chunk (:mod:`shimkit.interrupt`), removes what was staged and
releases the lock before the KeyboardInterrupt goes on to the caller.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Protocol, Sequence

from . import archive, externally_managed, fetch, interrupt, pinning
from .downloads import Download, Metadata, best_download, parse_archive_filename
from .errors import ArchiveError, NotFoundError, ShimkitError, StoreError, VerificationError
from .model.key import PlatformTriple, PythonKey
from .model.request import PythonRequest
from .platform import normalize_arch
from .probe import probe
from .procs import run_bounded
from .record import Record, field
from .safeio import write_atomic
from .store import Installation, Store

if TYPE_CHECKING:
    from .settings import Settings


class Reporter(Protocol):
    """How the installer tells the user what is happening (the CLI renders it)."""

    def download_started(self, label: str, total: Optional[int]) -> Callable[[int], None]: ...
    def download_finished(self, label: str) -> None: ...
    def step(self, label: str, text: str) -> None:
        """``label`` (an installation) goes on to step ``text``: "verifying", "compiling bytecode"
        (seconds: worth a spinner on a terminal), "linking".  Called from worker threads."""

    def info(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...


class NullReporter:
    def download_started(self, label: str, total: Optional[int]) -> Callable[[int], None]:
        return lambda n: None

    def download_finished(self, label: str) -> None:
        pass

    def step(self, label: str, text: str) -> None:
        pass

    def info(self, text: str) -> None:
        pass

    def warn(self, text: str) -> None:
        pass


class InstallOptions(Record, frozen=True):
    """How installations are made (``Settings`` -> :meth:`from_settings`)."""

    compile_bytecode: bool = False  # compile the stdlib at install time (setting compile-bytecode)

    @classmethod
    def from_settings(cls, settings: Settings) -> InstallOptions:
        return cls(compile_bytecode=settings.compile_bytecode)


DEFAULT_INSTALL_OPTIONS = InstallOptions()  # frozen: one shared default


class Source(Record, frozen=True):
    """Where an installation comes from: a download, or a local archive."""

    key: PythonKey
    download: Optional[Download] = None
    archive_path: Optional[Path] = None
    sha256: Optional[str] = None

    @property
    def label(self) -> str:
        return str(self.key)


class Outcome(Record):
    """What happened to one requested installation."""

    key: PythonKey
    status: str  # "installed", "reinstalled", "already-installed", "failed"
    installation: Optional[Installation] = None
    error: Optional[ShimkitError] = None
    link_change: tuple[Optional[str], Optional[str]] = (None, None)
    notes: list[str] = field(default_factory=list)


def resolve(request: PythonRequest, metadata: Metadata, host: PlatformTriple, mirror: Optional[str]) -> Source:
    """The download a request installs."""
    d = best_download(request, metadata, host, mirror)
    return Source(d.key, download=d, sha256=d.sha256)


def local_archive_source(path: Path, metadata: Optional[Metadata]) -> Source:
    """A local PBS archive: key from its file name; checksum checked if the metadata knows the file."""
    key, _build = parse_archive_filename(path.name)
    if not path.is_file():
        raise NotFoundError(f"archive {path} does not exist", "check the path")
    sha = None
    if metadata is not None:
        for d in metadata.downloads:
            if d.filename == path.name:
                sha = d.sha256
                break
    return Source(key, archive_path=path, sha256=sha)


def _verify(root: Path, key: PythonKey, then: str = "", args: Sequence[str] = ()) -> None:
    """Run the staged interpreter once; it must be what the key says.  ``then``/``args``: more
    code for the same run (see :func:`shimkit.probe.probe`)."""
    inst = Installation(key, root)
    exe = inst.executable
    if not exe.exists():
        raise VerificationError(
            f"{key}: the archive has no interpreter at {'/'.join(exe.relative_to(root).parts)}",
            "the archive does not have the python-build-standalone layout",
        )
    timeout = fetch._env_float("SHIMKIT_VERIFY_TIMEOUT", 30.0)  # an unusable value means the default
    info = probe(exe, timeout=timeout if 0 < timeout < 1e6 else 30.0, then=then, args=args)
    problems = []
    if info.implementation != key.implementation:
        problems.append(f"implementation {info.implementation}")
    if info.parsed_version != key.version:
        problems.append(f"version {info.version}")
    if info.freethreaded != key.freethreaded:
        problems.append("a free-threaded build" if info.freethreaded else "not a free-threaded build")
    if info.debug != key.debug:
        problems.append("a debug build" if info.debug else "not a debug build")
    if normalize_arch(info.machine) != key.platform.arch.split("_v")[0] and key.platform.os == "linux":
        problems.append(f"architecture {info.machine}")
    if problems:
        raise VerificationError(
            f"the archive for {key} holds an interpreter reporting {', '.join(problems)}",
            "the download metadata or the mirror is wrong; nothing was installed",
        )


def _stdlib_dir(inst_root: Path, key: PythonKey) -> Path:
    return inst_root / "lib" / f"python{key.major}.{key.minor}{'t' if key.freethreaded else ''}"


def _needs_bytecode(inst_root: Path, key: PythonKey) -> bool:
    """Whether the unpacked archive lacks stdlib bytecode (checked before anything runs the interpreter)."""
    if key.platform.os == "windows" or key.implementation != "cpython":
        return False
    lib = _stdlib_dir(inst_root, key)
    return lib.is_dir() and not (lib / "__pycache__").is_dir()


# python-build-standalone builds under the prefix /install and ships build-configuration files
# (sysconfig data, pkg-config, python-config) that still name it; compilers building C extensions
# would then look for headers and libraries there.  Rewrite it to the installation's final path.
_BUILD_PREFIX_RE = re.compile(rb"(?<![\w./-])/install(?=[/'\"\s:;]|$)", re.MULTILINE)


def _build_config_files(inst_root: Path, key: PythonKey) -> list[Path]:
    lib = _stdlib_dir(inst_root, key)
    files = list(lib.glob("_sysconfigdata_*.py")) + list(lib.glob("config-*/Makefile"))
    files += list((inst_root / "lib" / "pkgconfig").glob("*.pc"))
    files += [p for p in (inst_root / "bin").glob("python*-config") if not p.is_symlink()]
    return [p for p in files if p.is_file() and not p.is_symlink()]


def patch_build_prefix(inst_root: Path, key: PythonKey, final_root: Path) -> list[Path]:
    """Replace PBS's ``/install`` build prefix with ``final_root`` in build-configuration files."""
    changed = []
    replacement = os.fsencode(final_root)
    for path in _build_config_files(inst_root, key):
        data = path.read_bytes()
        new = _BUILD_PREFIX_RE.sub(lambda _m: replacement, data)
        if new != data:
            mode = path.stat().st_mode
            write_atomic(path, new, mode=mode & 0o7777)
            changed.append(path)
    return changed


def _compile_bytecode(inst_root: Path, key: PythonKey) -> None:
    """Compile the stdlib once, so that no later start pays for it (``compile-bytecode``)."""
    lib = _stdlib_dir(inst_root, key)
    exe = Installation(key, inst_root).executable
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    timeout = fetch._env_float("SHIMKIT_COMPILE_TIMEOUT", 600.0)
    timeout = timeout if 0 < timeout < 1e6 else 600.0
    # Failing to compile is not fatal: the interpreter works, it just starts slower.  Hanging is:
    # the whole process group (compileall's workers too) is killed and the install fails.
    argv = [str(exe), "-I", "-m", "compileall", "-q", "-j", "0", "-x", r"[/\\](test|tests|idle_test)[/\\]", str(lib)]
    try:
        run_bounded(argv, timeout=timeout, env=env, capture=False)
    except subprocess.TimeoutExpired:
        raise VerificationError(
            f"{key}: compiling its standard library did not finish within {timeout:.0f}s",
            "check the archive, or install without compile-bytecode (SHIMKIT_COMPILE_BYTECODE=0)",
        ) from None
    except OSError:
        pass  # verification ran it a moment ago; whatever this is, the probe would have said


def _unpack(source: Source, staging: Path, options: fetch.FetchOptions, reporter: Reporter) -> None:
    """Download (or read) and unpack ``source`` into ``staging/unpacked``, verifying the checksum."""
    label = source.label
    if source.archive_path is not None:
        url = source.archive_path.resolve().as_uri()
        filename = source.archive_path.name
    else:
        assert source.download is not None
        url = source.download.url
        filename = source.download.filename
    fmt = archive.archive_format(filename)

    def attempt(n: int) -> None:
        dest = staging / "unpacked"
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir()
        with fetch.open_body(url, options) as body:
            body.on_progress(reporter.download_started(label, body.total))
            try:
                if fmt == "zip":
                    tmp = staging / "archive.zip"
                    with open(tmp, "wb") as out:
                        shutil.copyfileobj(body, out, fetch.CHUNK)
                    body.verify(source.sha256, label)
                    archive.extract_file(tmp, dest)
                    tmp.unlink()
                else:
                    try:
                        archive.extract_stream(body, fmt, dest)  # type: ignore[arg-type]
                    except ArchiveError:
                        # Damaged bytes: if the download is to blame, say so (a truncated body is
                        # retried, wrong bytes are a checksum error) rather than "corrupted archive".
                        fetch.verify_damaged(body, source.sha256, label)
                        raise
                    body.verify(source.sha256, label)
            finally:
                reporter.download_finished(label)

    def on_retry(n: int, exc: Exception) -> None:
        reporter.warn(f"{label}: {exc}; retrying")

    fetch.with_retries(attempt, options, on_retry)


def _find_root(unpacked: Path, key: PythonKey) -> Path:
    """The installation root inside the unpacked archive (``python/``, ``python/install/``, or the one top dir)."""
    try:
        return archive.find_install_root(unpacked)
    except ShimkitError:
        entries = [p for p in unpacked.iterdir()]
        if key.implementation != "cpython" and len(entries) == 1 and entries[0].is_dir():
            return entries[0]  # PyPy and GraalPy archives have a versioned top directory
        raise


def prepare(
    source: Source,
    store: Store,
    options: fetch.FetchOptions,
    reporter: Reporter,
    install_options: InstallOptions = DEFAULT_INSTALL_OPTIONS,
) -> tuple[Path, Path]:
    """Everything up to the commit: returns (staging dir, verified installation root inside it)."""
    staging = store.new_staging_dir(f"stage-{source.key}")
    key = source.key
    try:
        _unpack(source, staging, options, reporter)
        root = _find_root(staging / "unpacked", key)
        compile_needed = install_options.compile_bytecode and _needs_bytecode(root, key)
        interrupt.check()
        reporter.step(source.label, "verifying")
        has_hook, hook = pinning.write_hook(root, key)
        # one interpreter start: the check, then compiling the hook
        _verify(root, key, *((pinning.COMPILE, [str(hook)]) if has_hook else ()))
        externally_managed.mark(root, key)
        if key.platform.os != "windows":
            patch_build_prefix(root, key, store.root / str(key))
        if compile_needed:
            interrupt.check()
            reporter.step(source.label, "compiling bytecode")
            _compile_bytecode(root, key)
        interrupt.check()
        return staging, root
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def install_sources(
    sources: Sequence[Source],
    store: Store,
    *,
    reinstall: bool = False,
    options: Optional[fetch.FetchOptions] = None,
    reporter: Optional[Reporter] = None,
    on_committed: Optional[Callable[[Outcome], None]] = None,
    install_options: InstallOptions = DEFAULT_INSTALL_OPTIONS,
) -> list[Outcome]:
    """Install ``sources`` (concurrently) into ``store``; the caller holds no lock, this takes it.

    Each failure is reported in its Outcome; the others still install.  A KeyboardInterrupt (Ctrl+C,
    SIGTERM through :func:`shimkit.interrupt.install_handlers`) stops every worker, empties
    ``.temp/`` and releases the lock before it propagates; what was committed stays.
    """
    rep: Reporter = reporter or NullReporter()
    opts = options or fetch.FetchOptions.from_env()
    interrupt.reset()
    outcomes: dict[str, Outcome] = {}
    unique: dict[str, Source] = {}
    for s in sources:
        unique.setdefault(str(s.key), s)

    with store.locked():  # a wait is announced by the store (LockWaitWarning)
        pinning.ensure_hooks(store.installations())  # installations made before the hook existed
        todo = []
        for name, s in unique.items():
            if store.find(s.key) is not None and not reinstall:
                outcomes[name] = Outcome(s.key, "already-installed", store.find(s.key))
            else:
                todo.append(s)

        def work(s: Source) -> tuple[Source, Optional[tuple[Path, Path]], Optional[ShimkitError]]:
            try:
                return s, prepare(s, store, opts, rep, install_options), None
            except ShimkitError as exc:
                return s, None, exc
            except OSError as exc:
                return s, None, _disk_error(exc, store)

        try:
            wanted = int(os.environ.get("SHIMKIT_CONCURRENT_DOWNLOADS", 4))
        except ValueError:
            wanted = 4
        workers = max(1, min(len(todo), wanted))
        # A failure after a commit (writing bin entries) must not strand the other sources,
        # already downloaded and verified, in .temp/: finish them, then report it.
        deferred: Optional[ShimkitError] = None
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shimkit-install")
        futures: list[Future[tuple[Source, Optional[tuple[Path, Path]], Optional[ShimkitError]]]] = []
        try:
            futures.extend(pool.submit(work, s) for s in todo)
            for future in futures:
                s, staged, error = future.result()
                name = str(s.key)
                if error is not None or staged is None:
                    outcomes[name] = Outcome(s.key, "failed", error=error)
                    continue
                staging, root = staged
                rep.step(s.label, "linking")
                existed = store.find(s.key) is not None
                try:
                    inst = store.commit(root, s.key, replace=reinstall)
                    change = store.sync_minor_link(s.key)
                except OSError as exc:
                    outcomes[name] = Outcome(s.key, "failed", error=_disk_error(exc, store))
                    continue
                except ShimkitError as exc:
                    outcomes[name] = Outcome(s.key, "failed", error=exc)
                    continue
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                outcome = Outcome(s.key, "reinstalled" if existed else "installed", inst, link_change=change)
                outcomes[name] = outcome
                if on_committed is not None:
                    try:
                        on_committed(outcome)
                    except ShimkitError as exc:
                        deferred = deferred or exc
        except BaseException:
            # Ctrl+C/SIGTERM (or a bug): stop the workers now, not when their downloads end, and
            # leave nothing staged; committed installations are complete and stay.
            interrupt.cancel()
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True)
            store.clear_staging()
            raise
        pool.shutdown(wait=True)
    if deferred is not None:
        raise deferred
    return [outcomes[str(s.key)] for s in unique.values()]


def _disk_error(exc: OSError, store: Store) -> ShimkitError:
    import errno

    if exc.errno == errno.ENOSPC:
        return StoreError(f"no space left on the device holding {store.root}", "free some space and retry")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(
            f"cannot write to {store.root}: {exc.strerror}",
            "choose a writable location with --install-dir or SHIMKIT_PYTHON_INSTALL_DIR",
        )
    return StoreError(f"disk error in {store.root}: {exc.strerror or exc}", "check the disk and retry")
