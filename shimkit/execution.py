"""``shimkit exec [-p REQUEST] -- CMD…`` (alias ``run``): run a command with the project's Python
first on PATH, for scripts, cron jobs and CI that have no shell hook and no shims.

The interpreter is ``shimkit find``'s answer (:func:`shimkit.provision.find_candidate`):
``-p REQUEST`` if given, else the project's pin, else any; a missing version is downloaded
only when ``python-downloads`` is ``automatic`` (as ``shimkit venv -p`` does), never otherwise.

What goes first on PATH:

* when ``find``'s answer is a virtual environment (the active one, or the project's ``.venv``),
  its ``bin/``, with ``VIRTUAL_ENV`` set: as ``uv run`` runs a project's command in its venv,
  so ``shimkit exec pytest`` finds the project's pytest, and ``shimkit exec python`` is the
  Python ``shimkit find`` names;
* otherwise the directory the shell hook would put there (:func:`shimkit.hookresolve.path_dir`:
  the interpreter's own ``bin/``, or links; with several pinned versions every ``python3.X``),
  as ``mise exec`` puts a tool's bin dir first; an active venv that does not satisfy
  ``-p REQUEST`` is left (``VIRTUAL_ENV`` dropped, so tools do not mistake it for the target).

Then the process is replaced (``os.execvpe``): exit status, signals, the terminal and the
process id are the command's own, and argv reaches it exactly as given.  Windows has no exec:
the command runs as a child and its exit code is returned.
"""

from __future__ import annotations

import os
import sys

from .discovery import ignore_warning
from .errors import ShimkitError, UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Callable, Optional

    from .installer import Reporter
    from .settings import Settings
    from .sources import Candidate


class ExecError(ShimkitError):
    """The command could not be started (127: not found, as a shell says it)."""

    exit_code = 127


class ExecPermissionError(ExecError):
    exit_code = 126


def _candidate(
    request: Optional[str], settings: Settings, cwd: str, reporter: Optional[Reporter], warn: Callable[[str], None]
) -> Candidate:
    from . import discovery, provision
    from .model.request import PythonRequest
    from .sources import Candidate

    req = PythonRequest.parse(request) if request is not None else None
    if req is not None and req.kind in ("path", "name"):
        from pathlib import Path

        found = discovery.explicit(req, settings, Path(cwd))
        info = found.info
        return Candidate(str(found.path), "explicit", info.implementation, info.parsed_version, info.variant)
    return provision.find_candidate(req, settings, cwd, system=False, allow_download=True, reporter=reporter, warn=warn)


def _extras(primary: Candidate, settings: Settings, cwd: str) -> list[Candidate]:
    """The interpreters of the further versions a pin lists (their ``python3.X`` go on PATH too)."""
    from . import discovery
    from .hookresolve import further_interpreters

    reqs, _found = discovery.pinned_requests(cwd, settings, ignore_warning)
    search = discovery.Search(settings, cwd, settings.python_preference, True)
    return further_interpreters(search, reqs[1:], primary)


def command_environment(
    request: Optional[str],
    settings: Settings,
    *,
    cwd: Optional[str] = None,
    reporter: Optional[Reporter] = None,
    warn: Callable[[str], None] = ignore_warning,
) -> dict[str, str]:
    """The environment :func:`exec_command` runs the command in (see the module docstring)."""

    from .hookresolve import path_dir
    from .versionfile import logical_cwd

    where = cwd if cwd is not None else logical_cwd()
    c = _candidate(request, settings, where, reporter, warn)
    env = dict(os.environ)
    if c.source == "venv":
        venv = os.path.dirname(os.path.dirname(c.exe))
        first: str = os.path.dirname(c.exe)
        env["VIRTUAL_ENV"] = venv
        env.pop("PYTHONHOME", None)
    else:
        extras = _extras(c, settings, where) if request is None else []
        made = path_dir(c, extras, settings.cache_dir)
        # (no links possible here, Windows without the privilege: the executable's own directory)
        first = made if made is not None else os.path.dirname(c.exe)
        env.pop("VIRTUAL_ENV", None)
    rest = env.get("PATH", "")
    env["PATH"] = first + (os.pathsep + rest if rest else "")
    return env


def exec_command(
    request: Optional[str],
    argv: list[str],
    settings: Settings,
    *,
    reporter: Optional[Reporter] = None,
    warn: Callable[[str], None] = ignore_warning,
) -> int:
    """Run ``argv`` with the project's Python first on PATH.  Does not return on POSIX (the
    process becomes the command); on Windows returns the command's exit code.  Raises
    :class:`~shimkit.errors.UsageError` for an empty command and :class:`ExecError` (127/126)
    when it cannot be started."""
    require_command(argv)
    return run_in(argv, command_environment(request, settings, reporter=reporter, warn=warn))


def require_command(argv: list[str]) -> None:
    if not argv:
        raise UsageError("no command given", "e.g. `shimkit exec -- python -V`")


def run_in(argv: list[str], env: dict[str, str]) -> int:
    """Become ``argv`` with ``env`` (POSIX: exec, never returns); on Windows run it and return
    its exit code."""
    if sys.platform == "win32":
        import shutil
        import subprocess

        exe = shutil.which(argv[0], path=env["PATH"]) or argv[0]
        try:
            proc = subprocess.Popen([exe, *argv[1:]], env=env)
        except FileNotFoundError:
            raise ExecError(f"command not found: {argv[0]}", "check the name, or give its path") from None
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # the console delivered Ctrl+C to the child too: wait for it
                continue
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError:
        raise ExecError(f"command not found: {argv[0]}", "check the name, or give its path") from None
    except PermissionError:
        raise ExecPermissionError(f"permission denied: {argv[0]}", "is it executable?") from None
    except OSError as exc:
        raise ExecError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    raise AssertionError("unreachable: os.execvpe returned")  # pragma: no cover
