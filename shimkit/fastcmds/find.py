"""``shimkit find [REQUEST]``: the interpreter this directory would use, as a path (or JSON).

Served by the fast lane (no typer/rich/httpx/jinja2/platformdirs, and no packaging or
dataclasses for plain version requests); :mod:`shimkit.cli.project_cmds` defines the same
command for ``--help`` and completion and calls :func:`execute`.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional, Sequence

    from ..model.request import PythonRequest
    from ..settings import Settings
    from ..sources import Candidate

FLAGS = {"--system", "--managed-python", "--no-managed-python", "--no-config"}
VALUED = {"--output-format", "--install-dir"}
OUTPUT_FORMATS = ("text", "json")


def parse_args(args: Sequence[str], flags: set[str], valued: set[str]
               ) -> Optional[tuple[dict[str, str], list[str]]]:
    """(options, positionals) for a simple command line; None for anything else (the typer
    application then reports the error or shows help)."""
    opts: dict[str, str] = {}
    positionals: list[str] = []
    it = iter(args)
    for a in it:
        if a == "--":
            positionals.extend(it)
            break
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            if name in flags and not eq:
                opts[name] = "1"
            elif name in valued:
                if not eq:
                    nxt = next(it, None)
                    if nxt is None:
                        return None
                    value = nxt
                opts[name] = value
            else:
                return None
        elif a.startswith("-") and len(a) > 1 and not a[1].isdigit() and a[1] not in "<>=!~":
            return None  # an unknown short option ("-3" or "->=3" are not options)
        else:
            positionals.append(a)
    return opts, positionals


def warn(text: str) -> None:
    sys.stderr.write(f"warning: {text}\n")


class FindOptions:
    """The options of ``find`` (shared by the fast lane and the typer command)."""

    def __init__(self, request: Optional[str] = None, *, system: bool = False,
                 managed_python: bool = False, no_managed_python: bool = False, output_format: str = "text",
                 install_dir: Optional[str] = None, no_config: Optional[bool] = None) -> None:
        self.request = request
        self.system = system
        self.managed_python = managed_python
        self.no_managed_python = no_managed_python
        self.output_format = output_format
        self.install_dir = install_dir
        self.no_config = no_config


def parse(args: Sequence[str]) -> Optional[FindOptions]:
    parsed = parse_args(args, FLAGS, VALUED)
    if parsed is None:
        return None
    opts, pos = parsed
    if len(pos) > 1 or opts.get("--output-format", "text") not in OUTPUT_FORMATS:
        return None
    return FindOptions(
        pos[0] if pos else None, system="--system" in opts, managed_python="--managed-python" in opts,
        no_managed_python="--no-managed-python" in opts, output_format=opts.get("--output-format", "text"),
        install_dir=opts.get("--install-dir"), no_config=True if "--no-config" in opts else None,
    )


def run(args: list[str]) -> Optional[int]:
    """Fast-lane entry point (see :mod:`shimkit.fastpath`)."""
    opts = parse(args)
    return None if opts is None else execute(opts)


def full_settings(*, no_config: Optional[bool], install_dir: Optional[str]) -> Settings:
    """Settings from flags > environment > config file."""
    from ..settings import load_settings

    settings = load_settings(read_config=not no_config)
    return settings.with_overrides(install_dir=install_dir, no_config=no_config)


def find_candidate(req: Optional[PythonRequest], settings: Settings, cwd: str, *, system: bool,
                   preference: str) -> Candidate:
    """Search, never downloading (as ``uv python find``); :class:`NotFoundError` (exit 2) naming
    what to install when nothing matches."""
    from .. import discovery

    outcome = discovery.locate(req, settings, cwd, system=system, preference=preference, warn=warn)
    if outcome.candidate is None:
        raise discovery.not_found(outcome, settings, preference)
    return outcome.candidate


def execute(opts: FindOptions) -> int:
    """Run ``find``; prints the path (or JSON) and returns 0, or raises a ShimkitError."""
    from .. import discovery
    from .. import versionfile as vf
    from ..errors import UsageError
    from ..model.request import PythonRequest

    if opts.output_format not in OUTPUT_FORMATS:
        raise UsageError(f"--output-format must be text or json, not {opts.output_format!r}")
    settings = full_settings(no_config=opts.no_config, install_dir=opts.install_dir)
    preference = discovery.effective_preference(settings, managed_only=opts.managed_python,
                                                no_managed=opts.no_managed_python)
    cwd = vf.logical_cwd()
    req = None if opts.request is None else PythonRequest.parse(opts.request)
    if req is not None and req.kind in ("path", "name"):
        from pathlib import Path

        _print(discovery.explicit(req, settings, Path(cwd)).to_json(), opts.output_format)
        return 0
    outcome = discovery.locate(req, settings, cwd, system=opts.system, preference=preference, warn=warn)
    if outcome.candidate is None:
        raise discovery.not_found(outcome, settings, preference)
    c = outcome.candidate
    from_project = outcome.found is not None and outcome.found.source == vf.SOURCE_REQUIRES_PYTHON
    if not settings.no_config and not from_project:
        from .. import projectpython

        conflict = projectpython.violated_by(c.version, cwd)
        if conflict is not None:  # uv: python_find.rs, "resolved to Python 3.10.x, which is incompatible"
            origin = "the request" if outcome.found is None else f"the pin in {outcome.found.describe()}"
            warn(f"{origin} resolved to Python {c.version}, which is incompatible with the project's "
                 f"{conflict.describe()}")
    _print(c.to_json(), opts.output_format)
    return 0


def _print(row: dict[str, object], output_format: str) -> None:
    if output_format == "json":
        import json

        sys.stdout.write(json.dumps(row, indent=2) + "\n")
    else:
        sys.stdout.write(f"{row['path']}\n")
    sys.stdout.flush()

