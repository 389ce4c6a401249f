"""The one argument parser: argv read against :mod:`shimkit.cli.spec`, without typer.

Global options (``-q``, ``-v``) are accepted anywhere before ``--``; ``-h``/``--help`` anywhere
asks for the typer-rendered help of the command named so far.  Choices are case-insensitive.
Errors are :class:`~shimkit.errors.UsageError` (exit 2) with a hint naming the command's help.
"""

from __future__ import annotations

from ..errors import UsageError
from .spec import APP, COMPLETION_FLAGS, GLOBAL_OPTIONS, HELP_FLAGS, VERSION_FLAGS, Arg, Command, Opt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence

    from ..settings import Settings


class Args:
    """A parsed command line: each option and argument as an attribute named by its ``dest``."""

    def __init__(self, command: Command, values: dict[str, Any]) -> None:
        self._command = command
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def given(self, dest: str) -> bool:
        """Whether the option was on the command line (its value differs from the default)."""
        return self._values.get(dest) not in (None, False, 0, [])

    def settings(self) -> Settings:
        """Settings from flags > environment > config file (the one place flags meet settings)."""
        from ..settings import load_settings

        flags: dict[str, Any] = {}
        for opt in self._command.options:
            if opt.setting:
                value = self._values.get(opt.dest)
                flags[opt.setting] = (True if value else None) if opt.kind == "flag" else value
        return load_settings(read_config=not flags.get("no_config")).with_overrides(**flags)


class Invocation:
    """What to run: ``command`` with ``args``, or ``help`` for the command path, or the version."""

    __slots__ = ("args", "command", "help", "path", "quiet", "raw", "verbose", "version")

    def __init__(
        self,
        command: Command,
        path: list[str],
        args: Args,
        *,
        help: bool = False,
        version: bool = False,
        quiet: int = 0,
        verbose: int = 0,
        raw: Optional[list[str]] = None,
    ) -> None:
        self.command = command
        self.path = path
        self.args = args
        self.help = help
        self.version = version
        self.quiet = quiet
        self.verbose = verbose
        self.raw = raw  # a command line only the typer app serves (its --install-completion)


def _looks_like_value(arg: str) -> bool:
    """``-3``, ``->=3.11`` and ``-`` are arguments (requests, stdin), not options."""
    return len(arg) < 2 or arg[1].isdigit() or arg[1] in "<>=!~"


class _Parser:
    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.command = APP
        self.path: list[str] = []
        self.values: dict[str, Any] = {}
        self.positionals: list[str] = []
        self.counts = {o.dest: 0 for o in GLOBAL_OPTIONS}  # -q/-v, wherever they stand
        self.help = False

    def fail(self, message: str, suggestion: str = "") -> UsageError:
        where = " ".join(["shimkit", *self.path])
        hint = f"see `{where} --help`"
        return UsageError(message, f"did you mean {suggestion}? ({hint})" if suggestion else hint)

    def options(self) -> dict[str, Opt]:
        table: dict[str, Opt] = {}
        for opt in (*self.command.options, *GLOBAL_OPTIONS):
            for flag in opt.flags:
                table[flag] = opt
        return table

    def set(self, opt: Opt, value: Optional[str], flag: str) -> None:
        if opt.kind == "flag":
            self.values[opt.dest] = True
        elif opt.kind == "count":
            counts = self.counts if opt.dest in self.counts else self.values
            counts[opt.dest] = counts.get(opt.dest, 0) + 1
        else:
            assert value is not None
            if opt.choices:
                value = value.strip().lower()
                if value not in opt.choices:
                    accepted = " or ".join(opt.choices) if len(opt.choices) == 2 else "one of " + ", ".join(opt.choices)
                    raise self.fail(f"invalid value for {flag}: {value!r} is not {accepted}")
            if opt.kind == "multi":
                self.values.setdefault(opt.dest, []).append(value)
            else:
                self.values[opt.dest] = value

    def take_value(self, flag: str, i: int) -> str:
        if i >= len(self.argv):
            raise self.fail(f"option {flag} needs a value")
        return self.argv[i]

    def long(self, arg: str, i: int) -> int:
        name, eq, value = arg.partition("=")
        table = self.options()
        opt = table.get(name)
        if opt is None:
            raise self.fail(f"no such option: {name}", _closest(name, [f for f in table if f.startswith("--")]))
        if opt.takes_value:
            if not eq:
                value = self.take_value(name, i)
                i += 1
            self.set(opt, value, name)
        elif eq:
            raise self.fail(f"option {name} takes no value")
        else:
            self.set(opt, None, name)
        return i

    def short(self, arg: str, i: int) -> int:
        table = self.options()
        for pos in range(1, len(arg)):
            flag = "-" + arg[pos]
            opt = table.get(flag)
            if opt is None:
                raise self.fail(f"no such option: {flag}")
            if opt.takes_value:
                rest = arg[pos + 1 :]
                if not rest:
                    rest = self.take_value(flag, i)
                    i += 1
                self.set(opt, rest, flag)
                return i
            self.set(opt, None, flag)
        return i

    def enter(self, name: str) -> None:
        sub = self.command.find(name)
        if sub is None:
            names = [c.name for c in self.command.subcommands if not c.hidden]
            raise self.fail(f"no such command {name!r}", _closest(name, names, quote=True))
        self.command = sub
        self.path.append(name)  # as typed: `shimkit run --help` shows `run`, an alias of exec
        self.values = {o.dest: o.initial() for o in sub.options}

    def run(self) -> Invocation:
        i = 0
        rest = False  # after `--`, or inside a command's "..." argument: nothing is an option
        argv = self.argv
        while i < len(argv):
            arg = argv[i]
            i += 1
            if rest:
                self.positionals.append(arg)
            elif arg == "--":
                rest = True
            elif arg in HELP_FLAGS:
                self.help = True
            elif not self.path and arg in VERSION_FLAGS:
                return Invocation(APP, [], Args(APP, {}), version=True)
            elif not self.path and arg.partition("=")[0] in COMPLETION_FLAGS:
                return Invocation(APP, [], Args(APP, {}), help=True, raw=self.argv)
            elif arg.startswith("--"):
                i = self.long(arg, i)
            elif arg.startswith("-") and not _looks_like_value(arg):
                i = self.short(arg, i)
            elif self.command.subcommands:
                self.enter(arg)
            else:
                self.positionals.append(arg)
                rest = rest or self._rest_starts()
        quiet, verbose = self.counts["quiet"], self.counts["verbose"]
        if self.help or self.command.subcommands:
            return Invocation(self.command, self.path, Args(self.command, {}), help=True)
        self._assign()
        return Invocation(self.command, self.path, Args(self.command, self.values), quiet=quiet, verbose=verbose)

    def _rest_starts(self) -> bool:
        """A "..." argument swallows everything after its first word (``exec python -V``)."""
        fixed = [a for a in self.command.args if a.nargs != "..."]
        return len(fixed) < len(self.command.args) and len(self.positionals) > len(fixed)

    def _assign(self) -> None:
        words = list(self.positionals)
        args: tuple[Arg, ...] = self.command.args
        for n, arg in enumerate(args):
            if arg.nargs in ("*", "..."):
                later = sum(1 for a in args[n + 1 :] if a.nargs == "1")
                self.values[arg.dest] = words[: len(words) - later]
                words = words[len(words) - later :]
            elif words:
                self.values[arg.dest] = words.pop(0)
            elif arg.nargs == "1":
                raise self.fail(f"missing argument {arg.metavar}")
            else:
                self.values[arg.dest] = arg.default
        if words:
            raise self.fail(f"unexpected extra argument{'s' if len(words) > 1 else ''} ({' '.join(words)})")


def _closest(word: str, choices: list[str], *, quote: bool = False) -> str:
    import difflib  # only on the error path

    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return (repr(match[0]) if quote else match[0]) if match else ""


def parse(argv: Sequence[str]) -> Invocation:
    """Parse a command line (without the program name)."""
    return _Parser(argv).run()
