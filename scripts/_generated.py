"""The command line shared by the scripts that generate reference pages from the code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, List


def main(argv: List[str], *, script: str, description: str, output: Path, render: Callable[[], str]) -> int:
    """Write ``render()`` to ``output``; with ``--check``, exit 1 instead if the file differs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    parser.add_argument("--output", type=Path, default=output)
    opts = parser.parse_args(argv)
    text = render()
    if opts.check:
        current = opts.output.read_text(encoding="utf-8") if opts.output.exists() else ""
        if current != text:
            sys.stderr.write(f"{opts.output} is out of date: run python scripts/{script}\n")
            return 1
        return 0
    opts.output.parent.mkdir(parents=True, exist_ok=True)
    opts.output.write_text(text, encoding="utf-8")
    return 0
