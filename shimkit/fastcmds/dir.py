"""``shimkit dir [--bin]``: where installations (or bin entries) live; scripts call it as
``$(shimkit dir)``, so it answers without the typer application (see :mod:`shimkit.fastpath`)."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

FLAGS = {"--bin"}
VALUED = {"--install-dir", "--bin-dir"}


def run(args: list[str]) -> Optional[int]:
    """Fast-lane entry point; None for anything it does not fully understand."""
    from .find import parse_args

    parsed = parse_args(args, FLAGS, VALUED)
    if parsed is None or parsed[1]:
        return None
    opts, _ = parsed
    print(where(bin="--bin" in opts, install_dir=opts.get("--install-dir"), bin_dir=opts.get("--bin-dir")))
    return 0


def where(*, bin: bool, install_dir: Optional[str], bin_dir: Optional[str]) -> str:
    """The install dir (or bin dir) from flags > environment > config file."""
    from ..settings import load_settings

    settings = load_settings().with_overrides(install_dir=install_dir, bin_dir=bin_dir)
    return os.path.abspath(settings.bin_dir if bin else settings.install_dir)
