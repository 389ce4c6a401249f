"""``shimkit mirror sync`` and ``shimkit mirror verify``: mirrors for teams and fleets (see shimkit.mirror)."""

from __future__ import annotations

from pathlib import Path

from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli.parse import Args


def sync(a: Args) -> int:
    from .. import mirror as core
    from .. import platform
    from ..errors import UsageError
    from ..fetch import FetchOptions
    from ..manager import metadata_for
    from ..model.request import parse_installable

    directory = Path(a.directory)
    requests = [parse_installable(v) for v in a.versions]
    if a.from_pins is not None:
        requests += core.requests_from_pins(Path(a.from_pins), output.warn)
    if not requests:
        raise UsageError("name at least one version, or use --from-pins", "see `shimkit mirror sync --help`")
    triples = [core.parse_platform(p) for p in a.platform] or [platform.host()]
    settings = a.settings()
    selected = core.select(requests, triples, metadata_for(settings))
    with output.CliReporter() as reporter:
        result = core.sync(
            directory,
            selected,
            base_url=a.base_url,
            prune=a.prune,
            source_mirror=settings.mirror,
            options=FetchOptions.from_env(offline=settings.offline),
            reporter=reporter,
        )
    for key in result.downloaded:
        output.out(f"downloaded {key}")
    for key in result.present:
        output.note(f"up to date {key}")
    for key in result.kept:
        output.note(f"kept {key} (not selected; --prune removes it)")
    for rel in result.pruned:
        output.out(f"pruned {rel}")
    for text in result.warnings:
        output.warn(text)
    for _key, error in result.failed:
        output.error(error.one_line())
    output.note(f"{directory}: {result.listed} archives listed in python-downloads.json")
    return max((e.exit_code for _k, e in result.failed), default=0)


def verify(a: Args) -> int:
    from .. import mirror as core

    directory = Path(a.directory)
    report = core.verify(directory)
    for problem in report.problems:
        output.error(problem)
    report.raise_if_damaged()
    output.out(f"{directory}: {report.checked} archives verified")
    return 0
