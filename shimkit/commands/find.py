"""``shimkit find [REQUEST]``: the interpreter this directory would use, as a path (or JSON).

On the hot path (scripts call ``$(shimkit find)``): no typer, rich, httpx, jinja2, platformdirs
or packaging; the search never downloads (as ``uv python find``).
"""

from __future__ import annotations

from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli.parse import Args


def find(a: Args) -> int:
    from .. import discovery
    from .. import versionfile as vf
    from ..model.request import PythonRequest

    settings = a.settings()
    preference = discovery.effective_preference(settings, managed_only=a.managed_python, no_managed=a.no_managed_python)
    cwd = vf.logical_cwd()
    req = None if a.request is None else PythonRequest.parse(a.request)
    if req is not None and req.kind in ("path", "name"):
        from pathlib import Path

        _print(discovery.explicit(req, settings, Path(cwd)).to_json(), a.output_format)
        return 0
    outcome = discovery.locate(req, settings, cwd, system=a.system, preference=preference, warn=output.warn)
    if outcome.candidate is None:
        raise discovery.not_found(outcome, settings, preference)
    c = outcome.candidate
    from_project = outcome.found is not None and outcome.found.source == vf.SOURCE_REQUIRES_PYTHON
    if not settings.no_config and not from_project:
        from .. import projectpython

        conflict = projectpython.violated_by(c.version, cwd)
        if conflict is not None:  # uv: python_find.rs, "resolved to Python 3.10.x, which is incompatible"
            origin = "the request" if outcome.found is None else f"the pin in {outcome.found.describe()}"
            output.warn(
                f"{origin} resolved to Python {c.version}, which is incompatible with the project's "
                f"{conflict.describe()}"
            )
    _print(c.to_json(), a.output_format)
    return 0


def _print(row: dict[str, object], output_format: str) -> None:
    if output_format == "json":
        import json

        output.out(json.dumps(row, indent=2))
    else:
        output.out(f"{row['path']}")
