"""The ``shimkit`` console script: error handling in one place, heavy imports only when needed.

Commands that run many times a day (``--version``, ``find``, ``pin`` and the hooks' helpers) are
served by :mod:`shimkit.fastpath` without importing typer, rich, httpx or jinja2 (each costs tens
of milliseconds); everything else, and any argument list the fast path does not fully
understand (``--help`` included), goes to the typer application.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `from typing import ...`: hot commands should not pay for importing typing
if TYPE_CHECKING:
    from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run shimkit; returns (and, as a console script, exits with) the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    from .errors import ShimkitError

    try:
        from . import fastpath

        code = fastpath.run(args)
        if code is None:
            code = _run_app(args)
    except ShimkitError as exc:
        sys.stderr.write(f"error: {exc.one_line()}\n")
        code = exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = 130
    except BrokenPipeError:
        # `shimkit list | head`: the reader went away; exit quietly like other CLI tools
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1
    return code


def _run_app(args: list[str]) -> int:
    from .cli.app import app

    try:
        app(args=args, prog_name="shimkit", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
