"""Finding an interpreter for a command that may install one: the layer above discovery and
installation (``venv -p``; ``pin``'s check of what could satisfy a pin).  ``find`` and
``pin --resolved`` only look, as uv's ``python find`` does.

:mod:`shimkit.discovery` only looks; here, when nothing matches and ``python-downloads`` is
``automatic`` (not offline, managed installations allowed), the request is installed through
:mod:`shimkit.manager` and the search asked again.
"""

from __future__ import annotations

import os

from . import discovery
from .errors import NotFoundError, ShimkitError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Callable, Optional

    from .discovery import FoundInterpreter, Outcome
    from .installer import Reporter
    from .model.request import PythonRequest
    from .settings import Settings
    from .sources import Candidate

    Warn = Callable[[str], None]


def can_download(settings: Settings, preference: str, req: PythonRequest) -> bool:
    """Whether a missing request may be installed on the fly (``python-downloads = automatic``)."""
    return (
        settings.python_downloads == "automatic"
        and not settings.offline
        and preference != "only-system"
        and req.is_installable
    )


def install_and_locate(
    outcome: Outcome,
    settings: Settings,
    cwd: str,
    *,
    system: bool,
    preference: str,
    reporter: Optional[Reporter] = None,
    warn: Warn = discovery.ignore_warning,
) -> Outcome:
    """Install what ``outcome`` looked for, as a plain ``shimkit install`` would, then search again."""
    from pathlib import Path

    from . import manager

    req = outcome.request
    target = "cpython" if req.is_any else str(req)
    try:
        # the same installation, bin entries included, that `shimkit install` would make
        report = manager.install([target], settings, cwd=Path(cwd), reporter=reporter, warn=warn)
    except NotFoundError as exc:
        raise NotFoundError(f"no Python interpreter satisfies {req}, and {exc.message}", exc.hint) from None
    for o in report.outcomes:
        if o.error is not None:
            raise o.error
    again = discovery.locate(req, settings, cwd, system=system, preference=preference, warn=warn)
    again.found = outcome.found
    return again


def find_candidate(
    req: Optional[PythonRequest],
    settings: Settings,
    cwd: str,
    *,
    system: bool = False,
    preference: Optional[str] = None,
    allow_download: bool = True,
    reporter: Optional[Reporter] = None,
    warn: Warn = discovery.ignore_warning,
) -> Candidate:
    """The candidate for ``req`` (None: the pin for ``cwd``); installs it first when nothing
    matches and downloads are allowed; :class:`NotFoundError` (exit 2) if there is still none."""
    preference = preference or settings.python_preference
    outcome = discovery.locate(req, settings, cwd, system=system, preference=preference, warn=warn)
    if outcome.candidate is None and allow_download and can_download(settings, preference, outcome.request):
        outcome = install_and_locate(
            outcome, settings, cwd, system=system, preference=preference, reporter=reporter, warn=warn
        )
    if outcome.candidate is None:
        raise discovery.not_found(outcome, settings, preference)
    return outcome.candidate


def find_interpreter(
    req: Optional[PythonRequest],
    settings: Settings,
    cwd: Path,
    *,
    system: bool = False,
    managed_only: bool = False,
    no_managed: bool = False,
    reporter: Optional[Reporter] = None,
    warn: Warn = discovery.ignore_warning,
    allow_download: bool = True,
) -> FoundInterpreter:
    """The probed interpreter for ``req`` (None: the pin for ``cwd``, else any), following
    :mod:`shimkit.discovery`'s order and ``python-preference``.  Managed installations come
    through their minor-version link unless the request names a patch."""
    preference = discovery.effective_preference(settings, managed_only=managed_only, no_managed=no_managed)
    if req is not None and req.kind in ("path", "name"):
        return discovery.explicit(req, settings, cwd)
    c = find_candidate(
        req,
        settings,
        os.fspath(cwd),
        system=system,
        preference=preference,
        allow_download=allow_download,
        reporter=reporter,
        warn=warn,
    )
    return discovery.to_found(c, settings)


def venv_interpreter(
    request_text: Optional[str],
    settings: Settings,
    *,
    cwd: Path,
    reporter: Optional[Reporter] = None,
    warn: Warn = discovery.ignore_warning,
) -> Path:
    """Which interpreter ``shimkit venv -p REQ`` runs: ``find``'s resolution, ignoring virtual
    environments (a venv is never the base of another), installing the version first when
    ``python-downloads`` is ``automatic``."""
    from .model.request import PythonRequest

    req = PythonRequest.parse(request_text) if request_text is not None else None
    return find_interpreter(req, settings, cwd, system=True, reporter=reporter, warn=warn).path


def satisfied_by(req: PythonRequest, settings: Settings, cwd: str) -> Optional[str]:
    """What could satisfy ``req`` (for ``pin``'s warning), in a few words: an installed,
    downloadable or system interpreter; None if nothing.  Never downloads an interpreter."""
    for c in discovery.Search(settings, cwd, "only-managed", True).sources.managed(req):
        return f"installed {c.key}"
    if req.is_installable:
        try:
            from .downloads import load_metadata, select_downloads

            metadata = load_metadata(settings.downloads_json, offline=settings.offline)
            found = select_downloads(req, metadata.downloads, settings.host)
            if found:
                return f"downloadable {found[0].key_text}"
        except ShimkitError:
            pass  # a missing or unreachable download list only weakens the check
    system = discovery.Search(settings, cwd, "only-system", True).first(req)
    return None if system is None else f"{system.exe} ({system.source})"
