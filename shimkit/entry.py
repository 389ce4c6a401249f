"""The ``shimkit`` console script: errors printed in one place, heavy imports only when needed.

Every command line is read by :mod:`shimkit.cli.parse` (no typer: ``find``, ``pin``, ``init``
and the hooks' helper start in milliseconds) and run by :mod:`shimkit.cli.dispatch`; only
``--help`` and shell completion go to the typer application built from the same declaration.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `from typing import ...`: hot commands should not pay for importing typing
if TYPE_CHECKING:
    from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run shimkit; returns (and, as a console script, exits with) the exit code."""
    from . import interrupt

    interrupt.install_handlers()  # SIGTERM ends a command like Ctrl+C: cleaned up, `interrupted`, 130
    args = list(sys.argv[1:] if argv is None else argv)
    from .errors import ShimkitError

    try:
        if "_SHIMKIT_COMPLETE" in os.environ:  # shell completion: click's machinery, fed from the spec
            return _run_app(args)
        from .cli.parse import parse

        inv = parse(args)
        if inv.version:
            from . import __version__

            sys.stdout.write(f"shimkit {__version__}\n")
            return 0
        if inv.help:
            return _run_app(inv.raw if inv.raw is not None else [*inv.path, "--help"] if args else [])
        from .cli import dispatch

        code = dispatch.run(inv.command, inv.args, quiet=inv.quiet, verbose=inv.verbose)
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
    import gc

    gc.freeze()  # the interpreter's teardown then skips what the command loaded: ~150 ms less after an install
    return code


def _run_app(args: list[str]) -> int:
    from .cli.typer_app import app

    try:
        # not standalone: click's usage errors come back here, to be reported like every other error
        result = app(args=args, prog_name="shimkit", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:
        code = _click_error(exc)
        if code is None:
            raise
        return code
    return result if isinstance(result, int) else 0  # typer.Exit(n) and --help return their code


def _click_error(exc: Exception) -> Optional[int]:
    """Report a click/typer usage error (unknown option or command, bad value, extra argument)
    in shimkit's one-line form; None if ``exc`` is not one.  Matched by shape, not class: typer
    vendors click from 0.26 on, so the classes live in different modules across versions."""
    if type(exc).__name__ == "Abort":  # Ctrl-C or EOF at a confirmation prompt
        interrupted = isinstance(exc.__cause__, KeyboardInterrupt)
        sys.stderr.write("interrupted\n" if interrupted else "aborted\n")
        return 130 if interrupted else 1
    format_message = getattr(exc, "format_message", None)
    code = getattr(exc, "exit_code", None)
    if not callable(format_message) or not isinstance(code, int):
        return None
    message = str(format_message()).strip()
    if message:  # empty for `shimkit` alone: the help was printed
        if message[:1].isupper() and message[1:2].islower():
            message = message[0].lower() + message[1:]
        ctx = getattr(exc, "ctx", None)
        hint = f"see `{getattr(ctx, 'command_path', None) or 'shimkit'} --help`"
        message, _, suggestion = message.partition(". Did you mean ")  # click's spelling suggestion
        if suggestion:
            hint = f"did you mean {suggestion} ({hint})"
        sys.stderr.write(f"error: {message}; hint: {hint}\n")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
