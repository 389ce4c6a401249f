"""Fast lane for hot commands: answers without importing typer/rich/httpx/jinja2.

:func:`run` returns an exit code when it handled the command, or None to hand the argument
list to the typer application (which defines the same commands, with help and completion).
"""

from __future__ import annotations

from typing import Optional, Sequence


def run(args: Sequence[str]) -> Optional[int]:
    if list(args) in (["--version"], ["-V"]):
        from . import __version__

        print(f"shimkit {__version__}")
        return 0
    return None
