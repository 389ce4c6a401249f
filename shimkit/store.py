"""The managed install dir: installations, minor-version links, the lock, and staging.

Layout (design notes §2)::

    <install dir>/
      cpython-3.12.11-linux-x86_64-gnu/     one installation (the archive's python/ contents)
      cpython-3.12-linux-x86_64-gnu  ->  cpython-3.12.11-linux-x86_64-gnu    (minor-version link)
      .lock                                 held by every mutation
      .temp/                                staging (same filesystem, so renames are atomic)
      .temp/lock-owner                      who holds the lock: pid and command line (for waiters)

Invariants, kept by every mutation while it holds the lock:

* a directory named like a key is a complete, verified installation: it only ever appears by
  an atomic rename out of ``.temp/``, and disappears by an atomic rename back into it;
* a minor-version link points at the highest installed patch of its key (stable releases
  preferred over pre-releases), and is replaced atomically.

Readers (``list``, ``find``, shell hooks) never take the lock.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Callable, Iterator, Optional

from . import dirlink, layout, swap
from .errors import LockTimeoutError, ShimkitWarning, StoreError
from .model.key import PythonKey, is_minor_key
from .record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from _typeshed import StrPath

DEFAULT_LOCK_TIMEOUT = 15 * 60.0
LOCK_WAIT_NOTICE_AFTER = 0.5  # seconds: a wait shorter than this is not worth a word
OWNER_FILE = "lock-owner"  # in .temp/: what a killed holder leaves goes with the rest


class LockWaitWarning(ShimkitWarning):
    """Another shimkit process holds the lock: this one waits (the CLI prints it as one line)."""


class Installation(Record, frozen=True):
    """One installed interpreter."""

    key: PythonKey
    path: Path

    @property
    def executable(self) -> Path:
        """The interpreter inside the installation (real path, not through the minor link)."""
        return self.executable_in(self.path)

    def executable_in(self, root: Path) -> Path:
        for rel in self.key.executable_names():
            candidate = root / rel
            if candidate.exists():
                return candidate
        return root / self.key.executable_names()[0]


def _lock_timeout() -> float:
    try:
        return float(os.environ.get("SHIMKIT_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


class Store:
    """Operations on one install dir.  Mutating methods require :meth:`locked`."""

    def __init__(self, root: StrPath) -> None:
        self.root = Path(os.path.abspath(root))
        self.temp = self.root / ".temp"
        self._lock_depth = 0

    # ---- reading (no lock) ----------------------------------------------------------
    def installations(self) -> list[Installation]:
        """Every complete installation, newest first (see :func:`shimkit.layout.installations`)."""
        try:
            keys = layout.installations(str(self.root))
        except OSError as exc:
            raise StoreError(f"cannot read install dir {self.root}: {exc.strerror}") from None
        return [Installation(key, self.root / str(key)) for key in keys]

    def find(self, key: PythonKey) -> Optional[Installation]:
        path = self.root / str(key)
        if path.is_dir() and not path.is_symlink():
            return Installation(key, path)
        return None

    def minor_links(self) -> dict[str, Optional[str]]:
        """Minor-version link name -> the installation dir name it points at (None if dangling)."""
        links: dict[str, Optional[str]] = {}
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return links
        for entry in entries:
            if is_minor_key(entry.name):
                target = dirlink.read_link(Path(entry.path))
                if target is not None:
                    links[entry.name] = target if (self.root / target).is_dir() else None
        return links

    def expected_links(self) -> dict[str, Optional[str]]:
        """Minor-version link name -> the installation it should point at (what ``minor_links``
        returns when every link is right): the highest patch of each minor, stable first."""
        best: dict[str, Optional[str]] = {}
        for inst in self.installations():  # newest first: the first of each minor wins
            best.setdefault(inst.key.minor_key, str(inst.key))
        return best

    def link_path(self, key: PythonKey) -> Path:
        """Where the minor-version link of ``key`` lives (whether or not it exists)."""
        return self.root / key.minor_key

    def linked_target(self, key: PythonKey) -> Optional[str]:
        return dirlink.read_link(self.link_path(key))

    def executable_through_link(self, inst: Installation) -> Path:
        """The interpreter path that goes through the minor-version link (follows upgrades)."""
        return inst.executable_in(self.link_path(inst.key))

    # ---- locking ----------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, on_wait: Optional[Callable[[str], None]] = None) -> Iterator[Store]:
        """Hold the install dir's lock; waits (up to SHIMKIT_LOCK_TIMEOUT seconds) for other processes.

        After waiting LOCK_WAIT_NOTICE_AFTER seconds, says who it waits for: ``on_wait(message)``,
        or by default a :class:`LockWaitWarning`.  The holder records its pid and command line in
        ``.temp/lock-owner`` (the lock file itself cannot hold it: every waiter's open truncates it).

        The first holder in a process also clears ``.temp/``: anything there was left by a process
        that was killed, since only lock holders write to it.
        """
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield self
            finally:
                self._lock_depth -= 1
            return
        import filelock

        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create install dir {self.root}: {exc.strerror}",
                "choose a writable location with --install-dir or SHIMKIT_PYTHON_INSTALL_DIR",
            ) from None
        self._check_own(self.root / ".lock", "file")
        self._check_own(self.temp, "dir")
        lock = filelock.FileLock(str(self.root / ".lock"))
        try:
            try:
                lock.acquire(timeout=LOCK_WAIT_NOTICE_AFTER)
            except filelock.Timeout:
                message = wait_message(read_owner(self.root))
                if on_wait is not None:
                    on_wait(message)
                else:
                    warnings.warn(message, LockWaitWarning, stacklevel=3)
                lock.acquire(timeout=_lock_timeout())
        except filelock.Timeout:
            owner = read_owner(self.root)
            raise LockTimeoutError(
                f"another shimkit process{_owner_text(owner)} has held {self.root / '.lock'} "
                f"for over {_lock_timeout():.0f}s",
                "wait for it to finish, or stop it; raise SHIMKIT_LOCK_TIMEOUT to wait longer",
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot lock install dir {self.root}: {exc.strerror}",
                "check that the directory is writable",
            ) from None
        self._lock_depth = 1
        try:
            # A killed process may have left staging debris or a stale link: repair first.
            self._clear_temp()
            self._write_owner()
            self.sync_all_links()
            yield self
        finally:
            self._lock_depth = 0
            # before releasing: once released, the next holder's record must not be deleted
            with contextlib.suppress(OSError):
                os.unlink(self.temp / OWNER_FILE)
            lock.release()

    def _write_owner(self) -> None:
        """Record this process as the lock's holder (atomically: a waiter never reads half a record)."""
        from .safeio import write_text_atomic

        with contextlib.suppress(OSError):  # only a nicer message for waiters: never fail the command
            self.temp.mkdir(exist_ok=True)
            write_text_atomic(self.temp / OWNER_FILE, f"{os.getpid()}\n{current_command()}\n")

    def needs_repair(self) -> bool:
        """Whether a killed process left something behind: staging debris or a stale minor link."""
        try:
            holder = read_owner(self.root)  # a live holder's record is not debris
            if any(e.name != OWNER_FILE or holder is None for e in os.scandir(self.temp)):
                return True
        except OSError:
            pass
        return self.minor_links() != self.expected_links()

    def repair(self) -> None:
        """Clear what a killed process left behind (taking the lock does the work), if anything.

        Commands that may end up changing nothing (``upgrade`` with everything current, ``install``
        of an installed version) call this first, so debris never outlives the next command.
        """
        if self.needs_repair():
            with self.locked():
                pass

    def _require_lock(self) -> None:
        if not self._lock_depth:
            raise AssertionError("store mutation without holding the lock")

    def _check_own(self, path: Path, kind: str) -> None:
        """Refuse a store path (``.temp``, ``.lock``) that is not a real directory (or regular
        file) owned by this user: through a planted symlink, clearing ``.temp`` would delete
        another directory's contents, and taking the lock would truncate another file."""
        why = _not_own(path, kind)
        if why is not None:
            raise StoreError(
                f"refusing to use {path}: {why}",
                f"remove it (shimkit recreates it), e.g. `rm {'-r ' if kind == 'dir' else ''}{path}`",
            )

    def clear_staging(self) -> None:
        """Delete everything in ``.temp/`` (an interrupted install; the lock holder owns all of it)."""
        self._require_lock()
        self._clear_temp()

    def _clear_temp(self) -> None:
        self._check_own(self.temp, "dir")
        if self.temp.exists():
            for child in self.temp.iterdir():
                _remove_tree(child)

    # ---- staging and committing -------------------------------------------------------
    def new_staging_dir(self, label: str) -> Path:
        """A fresh, empty directory under ``.temp/`` (same filesystem as the installations)."""
        self._require_lock()
        self.temp.mkdir(parents=True, exist_ok=True)
        self._check_own(self.temp, "dir")
        path = self.temp / f"{label}-{uuid.uuid4().hex[:10]}"
        path.mkdir()
        return path

    def commit(self, staged_root: Path, key: PythonKey, *, replace: bool = False) -> Installation:
        """Move a verified installation from staging into place with one rename.

        With ``replace``, an existing installation of the same key is swapped with the staged one
        in one step where the OS can (see :mod:`shimkit.swap`), so programs using it never see it
        missing; elsewhere it is first moved aside (into ``.temp/``), leaving a brief gap. The old
        tree is deleted afterwards.
        """
        self._require_lock()
        dest = self.root / str(key)
        old: Optional[Path] = None
        if dest.exists() or dest.is_symlink():
            if not replace:
                raise StoreError(f"{dest} already exists", "use --reinstall to replace it")
            try:
                swapped = swap.exchange(staged_root, dest)
            except OSError as exc:
                raise StoreError(f"cannot move installation into {dest}: {exc.strerror}") from None
            if swapped:  # the old installation now sits in staging, which is cleared on failure too
                _remove_tree(staged_root)
                return Installation(key, dest)
            old = self.temp / f"old-{key}-{uuid.uuid4().hex[:8]}"
            os.replace(dest, old)
        try:
            os.replace(staged_root, dest)
        except OSError as exc:
            if old is not None:
                os.replace(old, dest)
            raise StoreError(f"cannot move installation into {dest}: {exc.strerror}") from None
        if old is not None:
            _remove_tree(old)
        return Installation(key, dest)

    def remove(self, inst: Installation) -> None:
        """Delete an installation: rename it into ``.temp/`` (atomic), then delete it there."""
        self._require_lock()
        self.temp.mkdir(parents=True, exist_ok=True)
        self._check_own(self.temp, "dir")
        trash = self.temp / f"trash-{inst.key}-{uuid.uuid4().hex[:8]}"
        try:
            os.replace(inst.path, trash)
        except OSError as exc:
            raise StoreError(f"cannot remove {inst.path}: {exc.strerror}", "check its permissions") from None
        _remove_tree(trash)

    def uninstall(
        self,
        inst: Installation,
        before_unlink: Optional[Callable[[Store, Installation], None]] = None,
        in_use: Optional[Callable[[], bool]] = None,
    ) -> Optional[tuple[Optional[str], Optional[str]]]:
        """Remove ``inst``, first repointing its minor-version link to the next best patch (or
        removing the link, after ``before_unlink`` — e.g. removing bin entries — when none is left),
        so that nothing resolving the link ever meets a missing directory.  Returns (old, new) targets.

        ``in_use()`` is asked once the link no longer leads to ``inst`` (so no new process can start
        on it between the question and the removal); when it says yes, the link is put back and
        nothing is removed (None).
        """
        self._require_lock()
        link = self.link_path(inst.key)
        old = dirlink.read_link(link)
        others = [i for i in self.installations() if i.key.minor_key == inst.key.minor_key and i.key != inst.key]
        new = str(others[0].key) if others else None
        if new is not None:
            if old != new:
                dirlink.replace_link(link, new, self.temp)
            if in_use is not None and in_use():
                if old is not None and old != new:
                    dirlink.replace_link(link, old, self.temp)
                return None
        elif in_use is not None and in_use():  # the last patch: its link and bin entries stay
            return None
        else:
            if before_unlink is not None:
                before_unlink(self, inst)
            dirlink.remove_link(link)
        self.remove(inst)
        return old, new

    # ---- minor-version links ----------------------------------------------------------
    def best_for_minor(self, key: PythonKey) -> Optional[Installation]:
        """The installation a minor-version link should point at: highest patch, stable first."""
        same = [i for i in self.installations() if i.key.minor_key == key.minor_key]
        return same[0] if same else None

    def sync_minor_link(self, key: PythonKey) -> tuple[Optional[str], Optional[str]]:
        """Make the minor-version link of ``key`` satisfy the invariant; returns (old, new) targets."""
        self._require_lock()
        link = self.link_path(key)
        old = dirlink.read_link(link)
        best = self.best_for_minor(key)
        new = str(best.key) if best else None
        if old == new and (new is None or link.exists()):
            return old, new
        if new is None:
            dirlink.remove_link(link)
        else:
            dirlink.replace_link(link, new, self.temp)
        return old, new

    def sync_all_links(self) -> None:
        """Repair every minor-version link (used after a crash or by ``doctor``)."""
        self._require_lock()
        keys = {i.key.minor_key: i.key for i in self.installations()}
        for name in list(self.minor_links()):
            if name not in keys:
                dirlink.remove_link(self.root / name)
        for key in keys.values():
            self.sync_minor_link(key)


class LockOwner(Record, frozen=True):
    """Who holds (or last held) an install dir's lock, as it recorded itself."""

    pid: int
    command: str


def wait_message(owner: Optional[LockOwner]) -> str:
    """What a waiter says: ``waiting for another shimkit process (pid N, shimkit install 3.12) …``."""
    return f"waiting for another shimkit process{_owner_text(owner)} …"


def _owner_text(owner: Optional[LockOwner]) -> str:
    if owner is None:
        return ""
    return f" (pid {owner.pid}, {owner.command})" if owner.command else f" (pid {owner.pid})"


def current_command(argv: Optional[list[str]] = None) -> str:
    """This process's command line as a user typed it: ``shimkit install 3.12`` also when run as
    ``python -m shimkit`` or through the launcher; URLs without their passwords."""
    import shlex

    from .redact import for_terminal

    args = list(sys.argv if argv is None else argv)
    if not args:
        return ""
    prog = Path(args[0])
    if prog.stem.lower() == "shimkit" or (prog.name == "__main__.py" and prog.parent.name == "shimkit"):
        args[0] = "shimkit"
    text = " ".join(shlex.quote(a) for a in args)
    return for_terminal(text[:200] + ("…" if len(text) > 200 else ""))


def read_owner(root: Path) -> Optional[LockOwner]:
    """The lock's recorded holder, or None when there is no record or it is stale (that process
    has exited: killed while holding the lock, or the record of a holder that just released)."""
    from .safeio import read_bounded

    try:
        text = read_bounded(Path(root) / ".temp" / OWNER_FILE, 4096, truncate=True).decode("utf-8", "replace")
        pid_text, _, rest = text.partition("\n")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if pid <= 0 or pid == os.getpid() or not _pid_alive(pid):
        return None
    from .redact import for_terminal

    return LockOwner(pid, for_terminal(rest.splitlines()[0] if rest else ""))


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except OSError:
        return False
    return True


def _not_own(path: Path, kind: str) -> Optional[str]:
    """Why ``path`` is not a real ``kind`` ("dir" or "file") of this user's (None if it is, or is absent)."""
    import stat

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if kind == "dir" and not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if kind == "file" and not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return "it belongs to another user"
    return None


def _remove_tree(path: Path) -> None:
    """Delete a file, link or directory tree; read-only entries are made writable first."""
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return

    def onerror(func: Callable[..., object], p: str, _exc: object) -> None:
        try:
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=onerror)
    else:
        shutil.rmtree(path, onerror=onerror)
    if path.exists():
        time.sleep(0.05)
        shutil.rmtree(path, ignore_errors=True)
