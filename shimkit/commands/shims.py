"""``shimkit shims enable|disable|status``."""

from __future__ import annotations

from pathlib import Path

from .. import shims
from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from ..cli.parse import Args


def _dir(a: Args) -> Optional[Path]:
    return Path(a.shims_dir) if a.shims_dir else None


def enable(a: Args) -> int:
    report = shims.enable(a.settings(), shims_dir=_dir(a))
    for name in report.written:
        output.note(f"wrote {report.shims_dir / name}")
    if not report.written:
        output.note(f"the shims in {report.shims_dir} are up to date")
    if not shims.path_state(report.shims_dir).on_path:
        output.note(
            f"Put {report.shims_dir} first on PATH where you want the shims (`shimkit update-shell --shims` "
            "does it for your shell; cron and IDEs need it in their own PATH setting)."
        )
    return 0


def disable(a: Args) -> int:
    removed = shims.disable(shims_dir=_dir(a))
    for path in removed:
        output.note(f"removed {path}")
    if not removed:
        output.note("no shims to remove")
    return 0


def status(a: Args) -> int:
    for line in shims.status_lines(a.settings(), shims_dir=_dir(a)):
        output.out(line)
    return 0
