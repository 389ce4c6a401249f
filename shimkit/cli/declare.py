"""The vocabulary of the command-line declaration (:mod:`shimkit.cli.spec`): options, arguments
and commands, as plain classes (stdlib only, cheap to import)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from ..settings import SettingSpec


class Opt:
    """An option. ``kind``: "flag" (True when given), "count" (-vv), "value" (one value, the last
    given wins) or "multi" (repeatable, a list).  ``setting`` names the :class:`Settings` attribute
    the option overrides (its help then comes from the SETTINGS table)."""

    __slots__ = ("_help", "_kind", "choices", "complete", "default", "dest", "flags", "metavar", "setting")

    def __init__(
        self,
        dest: str,
        flags: tuple[str, ...],
        help: str,
        kind: str = "flag",
        *,
        choices: tuple[str, ...] = (),
        metavar: str = "",
        setting: str = "",
        complete: str = "",
        default: Optional[str] = None,
    ) -> None:
        self.dest = dest
        self.flags = flags
        self._help = help
        self._kind = kind
        self.choices = choices  # accepted in any case, stored lower-case
        self.metavar = metavar
        self.setting = setting
        self.complete = complete  # a completer name from shimkit.completion, or ""
        self.default = default

    def _spec(self) -> SettingSpec:
        from ..settings import SETTINGS  # only when a setting option is used: `--version` never pays

        return next(s for s in SETTINGS if s.attr == self.setting)

    @property
    def kind(self) -> str:
        if not self._kind:
            self._kind = "flag" if self._spec().kind == "bool" else "value"
        return self._kind

    @property
    def help(self) -> str:
        if not self._help:
            spec = self._spec()
            where = spec.env + (f"; {spec.key} in shimkit.toml" if spec.key else "")
            self._help = f"{spec.help.rstrip('.')} ({where})."
        return self._help

    def initial(self) -> object:
        """The value when the option is not given (None for a setting: "not given", and no need
        to read the SETTINGS table, so `init` never imports it)."""
        if self.default is not None or (self.setting and not self._kind):
            return self.default
        return {"flag": False, "count": 0, "multi": []}.get(self.kind)

    @property
    def takes_value(self) -> bool:
        return self.kind in ("value", "multi")


class Arg:
    """A positional argument. ``nargs``: "1" (required), "?" (optional), "*" (any number) or
    "..." (the rest of the command line, options included, as ``exec`` takes it)."""

    __slots__ = ("complete", "default", "dest", "help", "metavar", "nargs")

    def __init__(
        self,
        dest: str,
        help: str,
        nargs: str = "?",
        *,
        metavar: str = "",
        default: Optional[str] = None,
        complete: str = "",
    ) -> None:
        self.dest = dest
        self.help = help
        self.nargs = nargs
        self.metavar = metavar or dest.upper()
        self.default = default
        self.complete = complete


class Command:
    """A command (``handler`` = "module:function" under shimkit.commands) or a group of them."""

    __slots__ = ("aliases", "args", "handler", "help", "hidden", "name", "options", "subcommands")

    def __init__(
        self,
        name: str,
        help: str,
        handler: str = "",
        *,
        args: tuple[Arg, ...] = (),
        options: tuple[Opt, ...] = (),
        subcommands: tuple[Command, ...] = (),
        hidden: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.help = help
        self.handler = handler
        self.args = args
        self.options = options
        self.subcommands = subcommands
        self.hidden = hidden
        self.aliases = aliases

    @property
    def summary(self) -> str:
        return self.help.split("\n", 1)[0]

    def find(self, name: str) -> Optional[Command]:
        for sub in self.subcommands:
            if name == sub.name or name in sub.aliases:
                return sub
        return None


def setting_option(attr: str, flag: str, metavar: str = "") -> Opt:
    """An option overriding a setting: its kind and help come from the SETTINGS table."""
    return Opt(attr, (flag,), "", "", metavar=metavar, setting=attr)
