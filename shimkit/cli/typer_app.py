"""The typer application, built from :mod:`shimkit.cli.spec`: ``--help``, shell completion and
the generated CLI reference (``scripts/gen_cli_docs.py``).  Commands run through
:mod:`shimkit.cli.dispatch` whichever parser read the line, so there is one handler each.
"""

from __future__ import annotations

import enum
import inspect
from typing import Any, Callable, List, Optional

import typer

from .. import __version__
from . import dispatch
from .parse import Args
from .spec import APP, GLOBAL_OPTIONS, HELP_FLAGS, VERSION_FLAGS, Arg, Command, Opt

_CONTEXT = {"help_option_names": list(HELP_FLAGS)}


def _completer(name: str) -> Callable[[str], List[str]]:
    def complete(incomplete: str) -> List[str]:
        from .. import completion

        return [c for c in completion.candidates(name) if c.startswith(incomplete)]

    return complete


def _option(opt: Opt) -> inspect.Parameter:
    extra: dict[str, Any] = {"help": opt.help, "show_default": False}
    if opt.metavar:
        extra["metavar"] = opt.metavar
    choice: Any = None
    if opt.choices:  # an Enum is typer's spelling of a choice (importing click would break: typer may vendor it)
        make_enum: Any = enum.Enum
        choice = make_enum(opt.dest, {c: c for c in opt.choices}, type=str)
        extra["case_sensitive"] = False
    if opt.complete:
        extra["autocompletion"] = _completer(opt.complete)
    annotation: Any
    if opt.kind == "flag":
        default, annotation = typer.Option(False, *opt.flags, **extra), bool
    elif opt.kind == "count":
        default, annotation = typer.Option(0, *opt.flags, count=True, **extra), int
    elif opt.kind == "multi":
        default, annotation = typer.Option(None, *opt.flags, **extra), Optional[List[str]]
    else:
        default, annotation = typer.Option(opt.default, *opt.flags, **extra), Optional[choice or str]
    return inspect.Parameter(opt.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _argument(arg: Arg) -> inspect.Parameter:
    metavar = arg.metavar + ("..." if arg.nargs in ("*", "...") else "")
    extra: dict[str, Any] = {"help": arg.help, "show_default": arg.default is not None, "metavar": metavar}
    if arg.complete:
        extra["autocompletion"] = _completer(arg.complete)
    annotation: Any
    if arg.nargs in ("*", "..."):
        default, annotation = typer.Argument(None, **extra), Optional[List[str]]
    elif arg.nargs == "1":
        default, annotation = typer.Argument(..., **extra), str
    else:
        default, annotation = typer.Argument(arg.default, **extra), Optional[str]
    return inspect.Parameter(arg.dest, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)


def _callback(command: Command) -> Callable[..., None]:
    lists = {a.dest for a in command.args if a.nargs in ("*", "...")} | {
        o.dest for o in command.options if o.kind == "multi"
    }

    def callback(**values: Any) -> None:
        quiet, verbose = values.pop("quiet", 0), values.pop("verbose", 0)
        for dest in lists:
            values[dest] = list(values[dest] or [])
        for dest, value in values.items():
            if isinstance(value, enum.Enum):
                values[dest] = value.value
        code = dispatch.run(command, Args(command, values), quiet=quiet, verbose=verbose)
        if code:
            raise typer.Exit(code)

    params = [_argument(a) for a in command.args] + [_option(o) for o in (*command.options, *GLOBAL_OPTIONS)]
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__annotations__ = {p.name: p.annotation for p in params}
    callback.__doc__ = command.help
    return callback


def _group(command: Command, root: bool = False) -> typer.Typer:
    group = typer.Typer(
        name=command.name,
        help=command.help,
        no_args_is_help=True,
        add_completion=root,
        pretty_exceptions_enable=False,
        context_settings=_CONTEXT,
    )
    for sub in command.subcommands:
        if sub.subcommands:
            group.add_typer(_group(sub), name=sub.name)
            continue
        for name in (sub.name, *sub.aliases):
            group.command(name, help=sub.help, hidden=sub.hidden or name != sub.name, context_settings=_CONTEXT)(
                _callback(sub)
            )
    return group


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shimkit {__version__}")
        raise typer.Exit()


def build() -> typer.Typer:
    app = _group(APP, root=True)

    @app.callback()
    def main_options(
        quiet: int = typer.Option(0, *GLOBAL_OPTIONS[0].flags, count=True, help=GLOBAL_OPTIONS[0].help),
        verbose: int = typer.Option(0, *GLOBAL_OPTIONS[1].flags, count=True, help=GLOBAL_OPTIONS[1].help),
        version: Optional[bool] = typer.Option(
            None, *VERSION_FLAGS, callback=_version, is_eager=True, help="Print shimkit's version and exit."
        ),
    ) -> None:
        pass

    main_options.__doc__ = APP.help
    return app


app = build()
