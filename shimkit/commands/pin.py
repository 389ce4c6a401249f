"""``shimkit pin [REQUEST] [--global] [--resolved] [--rm]``: show, write or remove the pin.

* no argument: prints the pin (canonical form) on stdout and where it came from on stderr;
* ``REQUEST``: validates it (a malformed one is refused, never written) and writes its canonical
  form to ``.python-version`` at the project root (the nearest ``pyproject.toml`` directory, or
  the workspace root for a member), else in the working directory; warns when nothing installed,
  downloadable or on the system satisfies it, and when a nearer version file overrides it;
* ``--global``: the user-level pin (``<user config dir>/shimkit/.python-version``) instead;
* ``--resolved``: writes the exact version ``find`` resolves the request (or the current pin) to;
* ``--rm``: removes the version file in effect here (with ``--global``: the global pin).

On the hot path, like ``find``: cheap imports only.
"""

from __future__ import annotations

import os

from ..cli import output
from ..redact import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from .. import versionfile as vf
    from ..cli.parse import Args
    from ..model.request import PythonRequest
    from ..settings import Settings


def pin(a: Args) -> int:
    """Show, write or remove the pin; bad request and nothing found: exit 2."""
    from .. import discovery, projectpython, provision
    from .. import versionfile as vf
    from ..errors import UsageError
    from ..model.request import PythonRequest

    settings = a.settings()
    cwd = vf.logical_cwd()
    if a.rm:
        if a.request is not None or a.resolved:
            raise UsageError("--rm takes no request and excludes --resolved")
        return _remove(cwd, a.global_)
    if a.request is None and not a.resolved:
        return _show(cwd, a.global_, settings)

    if a.request is not None:
        # malformed requests, paths and executable names are refused (a version file never holds those)
        req = PythonRequest.parse(a.request, allow_paths=False)
        if not a.no_config:
            conflict = projectpython.refusing(req, cwd)
            if conflict is not None:
                raise UsageError(
                    f"the requested Python version `{req}` is incompatible with the project's {conflict.describe()}",
                    "pin a version it allows, or pass --no-config to pin it anyway",
                )
    else:  # --resolved alone: resolve the current pin (or the default)
        # a file pin, not this shell's
        pinned, _found = discovery.pinned_request(cwd, settings, output.warn, session=False)
        req = pinned or PythonRequest.ANY
    text = str(req)
    if a.resolved:
        outcome = discovery.locate(req, settings, cwd, preference=settings.python_preference, warn=output.warn)
        if outcome.candidate is None:
            raise discovery.not_found(outcome, settings, settings.python_preference)
        c = outcome.candidate
        text = str(PythonRequest.exact(c.version, c.implementation, c.variant))
        output.note(f"{req} resolves to {c.exe}")

    global_file = os.fspath(vf.global_version_file())
    target = (
        global_file if a.global_ else os.path.join(vf.find_project_root(cwd, vf.ceiling_dirs()) or cwd, vf.VERSION_FILE)
    )
    old = _first_line(target)
    vf.write_version_file(target, [text])
    output.status(f"Pinned {text} in {target}" + (f" (was {old})" if old and old != text else ""))

    effective = vf.session_override() or vf.discover(cwd, ceilings=vf.ceiling_dirs(), global_file=global_file)
    if effective is not None and os.path.normpath(effective.file) != os.path.normpath(target):
        output.warn(f"{_describe_precedence(effective)} takes precedence in {cwd}")
    if not a.resolved and provision.satisfied_by(req, settings, cwd) is None:
        output.warn(f"no installed, downloadable or system Python satisfies {text}")
    elif not a.no_config and not a.global_:
        _check_resolution(req, settings, cwd, "requested")
    return 0


def _check_resolution(req: PythonRequest, settings: Settings, cwd: str, what: str) -> None:
    """Warn when ``req``, or what it resolves to here, falls outside the project's requires-python
    (uv: python_pin.rs, "resolves to … which is incompatible")."""
    from .. import discovery, projectpython

    conflict = projectpython.refusing(req, cwd)
    if conflict is not None:
        output.warn(f"the {what} Python version `{req}` is incompatible with the project's {conflict.describe()}")
        return
    c = discovery.locate(req, settings, cwd, system=True).candidate
    conflict = None if c is None else projectpython.violated_by(c.version, cwd)
    if c is not None and conflict is not None:
        output.warn(
            f"the {what} Python version `{req}` resolves to {c.version}, which is incompatible with the "
            f"project's {conflict.describe()}"
        )


def _lines(path: str) -> Optional[list[str]]:
    from .. import versionfile as vf

    if not os.path.isfile(path):
        return None
    try:
        return vf.read_lines(path)
    except OSError as exc:
        output.warn(f"cannot read {path} ({exc.strerror or exc}); ignoring it")
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
        found = vf.discover(cwd, ceilings=vf.ceiling_dirs(), global_file=global_file, warn=output.warn)
    session = None if global_only else vf.session_override()
    if found is None:
        if session is not None:
            output.note(f"(this shell uses {_describe_precedence(session)})")
        where = "no global pin" if global_only else f"no Python pin for {cwd}"
        raise NotFoundError(where, "set one with `shimkit pin 3.12`" + (" --global" if global_only else ""))
    shown = []
    for line in found.lines:
        try:
            shown.append(PythonRequest.parse(line, allow_paths=False))
        except RequestError as exc:
            output.warn(vf.bad_line_message(found, line, exc.message))
    if not shown:
        raise NotFoundError(f"{found.describe()} holds no valid Python request", "replace it with `shimkit pin 3.12`")
    for req in shown:
        output.out(printable(str(req)))
    output.note(f"(from {found.describe()})")
    if session is not None:
        output.note(f"(this shell uses {_describe_precedence(session)} instead)")
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
        found = vf.discover(cwd, ceilings=vf.ceiling_dirs(), warn=output.warn)
        if found is None or found.source not in (vf.SOURCE_VERSION_FILE, vf.SOURCE_VERSIONS_FILE):
            raise NotFoundError(f"no {vf.VERSION_FILE} file applies to {cwd}", "use --global to remove the global pin")
        target = found.file
    vf.remove_version_file(target)
    output.status(f"Removed {target}")
    return 0
