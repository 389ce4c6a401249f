"""``shimkit list --only-installed``: what is installed, without the typer application (and
without the download list, so no network and no httpx).  Any other form of ``list`` goes to
the typer command; both print through :func:`shimkit.cli.listing.show_rows`."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

FLAGS = {"--only-installed", "--all-platforms"}
VALUED = {"--output-format", "--install-dir"}


def run(args: list[str]) -> Optional[int]:
    """Fast-lane entry point; None for anything but ``--only-installed`` with simple options."""
    from .find import parse_args

    parsed = parse_args(args, FLAGS, VALUED)
    if parsed is None:
        return None
    opts, positionals = parsed
    output_format = opts.get("--output-format", "text")
    if "--only-installed" not in opts or len(positionals) > 1 or output_format not in ("text", "json"):
        return None
    from ..cli.listing import show_rows
    from ..settings import load_settings

    settings = load_settings().with_overrides(install_dir=opts.get("--install-dir"))
    show_rows(settings, positionals[0] if positionals else None, only_installed=True,
              all_platforms="--all-platforms" in opts, output_format=output_format)
    return 0
