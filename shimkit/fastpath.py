"""Fast lane for hot commands: answers without importing typer/rich/httpx/jinja2.

``find``, ``pin``, ``dir``, ``list --only-installed``, ``--version`` and the shell hooks' helper
run many times a day; importing the typer application alone costs tens of milliseconds.  Each
fast command lives in its own module exposing ``run(args) -> int | None``; returning None (for
``--help``, or any argument list it does not fully understand) hands the command line to the
typer application, which defines the same commands with help texts and completion.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not `from typing import ...`: hot commands should not pay for importing typing
if TYPE_CHECKING:
    from typing import Callable, Optional, Sequence

# command name -> module implementing run(args) for it (one module per command, so that the
# people working on different commands never edit the same file)
FAST_COMMANDS: dict[str, str] = {
    "find": "shimkit.fastcmds.find",
    "pin": "shimkit.fastcmds.pin",
    "hook-resolve": "shimkit.fastcmds.hook_resolve",
    "init": "shimkit.fastcmds.init",
    "dir": "shimkit.fastcmds.dir",
    "list": "shimkit.fastcmds.list",
}


def run(args: Sequence[str]) -> Optional[int]:
    """Handle ``args`` if a fast command can; None means 'use the typer app'."""
    if list(args) in (["--version"], ["-V"]):
        from . import __version__

        print(f"shimkit {__version__}")
        return 0
    if not args or any(a in ("-h", "--help") for a in args):
        return None
    module = FAST_COMMANDS.get(args[0])
    if module is None:
        return None
    run_fast: Callable[[list[str]], Optional[int]] = importlib.import_module(module).run
    return run_fast(list(args[1:]))
