"""Running a helper process with a deadline, and taking everything it started down with it.

An interpreter under test (the version probe, ``-m compileall``) may start processes of its
own.  :func:`run_bounded` starts it as the leader of a new process group (a session of its
own), and on timeout kills that whole group, so no grandchild keeps a pipe open (which would
make ``communicate`` wait for it) or keeps running from a staging directory.

On Linux the group also dies with shimkit, even when shimkit is killed with ``kill -9``: the
command runs under a ``/bin/sh`` that the kernel sends SIGTERM when shimkit dies
(``PR_SET_PDEATHSIG``; a signal that is not inherited, so it cannot reach ``compileall``'s
worker processes directly), and that shell's trap kills its whole process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Callable, Mapping, Optional, Sequence

from . import interrupt

_PR_SET_PDEATHSIG = 1
_SH = "/bin/sh"
# SIGTERM (sent when shimkit dies) interrupts `wait`; the trap then kills the group, itself too
_SUPERVISOR = 'trap "kill -KILL 0" TERM; "$@" & wait $!'


def _death_signal() -> Optional[Callable[[], None]]:
    """A preexec function that sends the child SIGTERM when its parent dies (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None
    parent = os.getpid()

    def preexec() -> None:  # pragma: no cover - runs in the child
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group ``proc`` leads (just ``proc`` where there are no groups)."""
    if os.name == "nt":  # pragma: no cover
        proc.kill()
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_bounded(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Optional[Mapping[str, str]] = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` (stdin closed) for at most ``timeout`` seconds.

    Raises ``subprocess.TimeoutExpired`` after killing the whole process group, and ``OSError``
    if it cannot be started.
    """
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    kwargs: dict[str, object] = {}
    if os.name == "nt":  # pragma: no cover
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)
    else:
        kwargs["start_new_session"] = True
        preexec = _death_signal()
        if preexec is not None and os.path.exists(_SH):
            kwargs["preexec_fn"] = preexec
            argv = [_SH, "-c", _SUPERVISOR, "sh", *argv]
    proc = subprocess.Popen(  # type: ignore[call-overload]
        list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=None if env is None else dict(env), **kwargs
    )
    try:
        with interrupt.on_cancel(lambda: kill_group(proc)):  # Ctrl+C in another thread: stop it now
            stdout, stderr = proc.communicate(timeout=timeout)
        interrupt.check()
    except subprocess.TimeoutExpired as exc:
        kill_group(proc)
        proc.communicate()
        raise subprocess.TimeoutExpired(exc.cmd, timeout) from None
    except BaseException:
        kill_group(proc)
        proc.wait()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout or b"", stderr or b"")
