"""Run a parsed command: set the output levels, import its handler, return its exit code."""

from __future__ import annotations

import importlib

from . import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    from .parse import Args
    from .spec import Command


def run(command: Command, args: Args, *, quiet: int = 0, verbose: int = 0) -> int:
    output.configure(quiet, verbose)
    module, _, function = command.handler.partition(":")
    handler: Callable[[Args], int] = getattr(importlib.import_module(f"shimkit.commands.{module}"), function)
    return handler(args) or 0
