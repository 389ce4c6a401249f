"""``shimkit pin [REQUEST] [--global] [--resolved] [--rm]``: show, write or remove the pin.

* no argument: prints the pin (canonical form) on stdout and where it came from on stderr;
* ``REQUEST``: validates it (a malformed one is refused, never written) and writes its canonical
  form to ``.python-version`` at the project root (the nearest ``pyproject.toml`` directory, or
  the workspace root for a member), else in the working directory; warns when nothing installed,
  downloadable or on the system satisfies it, and when a nearer version file overrides it;
* ``--global``: the user-level pin (``<user config dir>/shimkit/.python-version``) instead;
* ``--resolved``: writes the exact version ``find`` resolves the request (or the current pin) to;
* ``--rm``: removes the version file in effect here (with ``--global``: the global pin).

Served by the fast lane; :mod:`shimkit.cli.project_cmds` defines the same command for
``--help`` and completion and calls :func:`execute`.
"""

from __future__ import annotations

import os
import sys

from .find import find_candidate, full_settings, parse_args, warn

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional, Sequence

    from .. import versionfile as vf
    from ..model.request import PythonRequest
    from ..settings import Settings

FLAGS = {"--global", "--resolved", "--rm", "--no-config"}
VALUED = {"--install-dir"}


class PinOptions:
    """The options of ``pin`` (shared by the fast lane and the typer command)."""

    def __init__(self, request: Optional[str] = None, *, global_: bool = False, resolved: bool = False,
                 rm: bool = False, install_dir: Optional[str] = None,
                 no_config: Optional[bool] = None) -> None:
        self.request = request
        self.global_ = global_
        self.resolved = resolved
        self.rm = rm
        self.install_dir = install_dir
        self.no_config = no_config


def parse(args: Sequence[str]) -> Optional[PinOptions]:
    parsed = parse_args(args, FLAGS, VALUED)
    if parsed is None or len(parsed[1]) > 1:
        return None
    opts, pos = parsed
    return PinOptions(pos[0] if pos else None, global_="--global" in opts, resolved="--resolved" in opts,
                      rm="--rm" in opts, install_dir=opts.get("--install-dir"),
                      no_config=True if "--no-config" in opts else None)


def run(args: list[str]) -> Optional[int]:
    """Fast-lane entry point (see :mod:`shimkit.fastpath`)."""
    opts = parse(args)
    return None if opts is None else execute(opts)


def _out(text: str) -> None:
    from ..redact import printable

    sys.stdout.write(printable(text) + "\n")


def _note(text: str) -> None:
    from ..redact import printable

    sys.stderr.write(printable(text) + "\n")


def execute(opts: PinOptions) -> int:
    """Run ``pin``; returns 0 or raises a ShimkitError (bad request and nothing found: exit 2)."""
    from .. import discovery, projectpython, provision
    from .. import versionfile as vf
    from ..errors import UsageError
    from ..model.request import PythonRequest

    settings = full_settings(no_config=opts.no_config, install_dir=opts.install_dir)
    cwd = vf.logical_cwd()
    if opts.rm:
        if opts.request is not None or opts.resolved:
            raise UsageError("--rm takes no request and excludes --resolved")
        return _remove(cwd, opts.global_)
    if opts.request is None and not opts.resolved:
        return _show(cwd, opts.global_, settings)

    if opts.request is not None:
        # malformed requests, paths and executable names are refused (a version file never holds those)
        req = PythonRequest.parse(opts.request, allow_paths=False)
        if not opts.no_config:
            conflict = projectpython.refusing(req, cwd)
            if conflict is not None:
                raise UsageError(f"the requested Python version `{req}` is incompatible with the project's "
                                 f"{conflict.describe()}", "pin a version it allows, or pass --no-config to pin "
                                 "it anyway")
    else:  # --resolved alone: resolve the current pin (or the default)
        pinned, _found = discovery.pinned_request(cwd, settings, warn, session=False)  # a file pin, not this shell's
        req = pinned or PythonRequest.ANY
    text = str(req)
    if opts.resolved:
        c = find_candidate(req, settings, cwd, system=False, preference=settings.python_preference)
        text = str(PythonRequest.exact(c.version, c.implementation, c.variant))
        _note(f"{req} resolves to {c.exe}")

    global_file = os.fspath(vf.global_version_file())
    target = global_file if opts.global_ else os.path.join(
        vf.find_project_root(cwd, vf.ceiling_dirs()) or cwd, vf.VERSION_FILE)
    old = _first_line(target)
    vf.write_version_file(target, [text])
    _out(f"Pinned {text} in {target}" + (f" (was {old})" if old and old != text else ""))

    effective = vf.session_override() or vf.discover(cwd, ceilings=vf.ceiling_dirs(), global_file=global_file)
    if effective is not None and os.path.normpath(effective.file) != os.path.normpath(target):
        warn(f"{_describe_precedence(effective)} takes precedence in {cwd}")
    if not opts.resolved and provision.satisfied_by(req, settings, cwd) is None:
        warn(f"no installed, downloadable or system Python satisfies {text}")
    elif not opts.no_config and not opts.global_:
        _check_resolution(req, settings, cwd, "requested")
    return 0


def _check_resolution(req: PythonRequest, settings: Settings, cwd: str, what: str) -> None:
    """Warn when ``req``, or what it resolves to here, falls outside the project's requires-python
    (uv: python_pin.rs, "resolves to … which is incompatible")."""
    from .. import discovery, projectpython

    conflict = projectpython.refusing(req, cwd)
    if conflict is not None:
        warn(f"the {what} Python version `{req}` is incompatible with the project's {conflict.describe()}")
        return
    c = discovery.locate(req, settings, cwd, system=True).candidate
    conflict = None if c is None else projectpython.violated_by(c.version, cwd)
    if c is not None and conflict is not None:
        warn(f"the {what} Python version `{req}` resolves to {c.version}, which is incompatible with the "
             f"project's {conflict.describe()}")


def _lines(path: str) -> Optional[list[str]]:
    from .. import versionfile as vf

    if not os.path.isfile(path):
        return None
    try:
        return vf.read_lines(path)
    except OSError as exc:
        warn(f"cannot read {path} ({exc.strerror or exc}); ignoring it")
        return None


def _first_line(path: str) -> Optional[str]:
    lines = _lines(path)
    return lines[0] if lines else None


def _describe_precedence(found: vf.Found) -> str:
    from .. import versionfile as vf

    if found.source == vf.SOURCE_SESSION:
        return f"{vf.SESSION_ENV}={found.lines[0]} (set by `shimkit shell`; `shimkit shell --unset` drops it)"
    return found.describe()


def _show(cwd: str, global_only: bool, settings: Settings) -> int:
    from .. import versionfile as vf
    from ..errors import NotFoundError, RequestError
    from ..model.request import PythonRequest

    global_file = os.fspath(vf.global_version_file())
    found: Optional[vf.Found] = None
    if global_only:
        lines = _lines(global_file)
        if lines is not None:
            found = vf.Found(global_file, vf.SOURCE_GLOBAL, lines[:1])
    else:
        found = vf.discover(cwd, ceilings=vf.ceiling_dirs(), global_file=global_file, warn=warn)
    session = None if global_only else vf.session_override()
    if found is None:
        if session is not None:
            _note(f"(this shell uses {_describe_precedence(session)})")
        where = "no global pin" if global_only else f"no Python pin for {cwd}"
        raise NotFoundError(where, "set one with `shimkit pin 3.12`" + (" --global" if global_only else ""))
    shown = []
    for line in found.lines:
        try:
            shown.append(PythonRequest.parse(line, allow_paths=False))
        except RequestError as exc:
            warn(vf.bad_line_message(found, line, exc.message))
    if not shown:
        raise NotFoundError(f"{found.describe()} holds no valid Python request",
                            "replace it with `shimkit pin 3.12`")
    for req in shown:
        _out(str(req))
    _note(f"(from {found.describe()})")
    if session is not None:
        _note(f"(this shell uses {_describe_precedence(session)} instead)")
    if not global_only and found.source != vf.SOURCE_REQUIRES_PYTHON and not settings.no_config:
        _check_resolution(shown[0], settings, cwd, "pinned")
    return 0


def _remove(cwd: str, global_only: bool) -> int:
    from .. import versionfile as vf
    from ..errors import NotFoundError

    if global_only:
        global_file = os.fspath(vf.global_version_file())
        target: Optional[str] = global_file if os.path.isfile(global_file) else None
        if target is None:
            raise NotFoundError("there is no global pin to remove")
    else:
        found = vf.discover(cwd, ceilings=vf.ceiling_dirs(), warn=warn)
        if found is None or found.source not in (vf.SOURCE_VERSION_FILE, vf.SOURCE_VERSIONS_FILE):
            raise NotFoundError(f"no {vf.VERSION_FILE} file applies to {cwd}",
                                "use --global to remove the global pin")
        target = found.file
    vf.remove_version_file(target)
    _out(f"Removed {target}")
    return 0
