"""``shimkit install``, ``uninstall`` and ``upgrade``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .. import manager
from ..cli import output
from ..errors import InUseError, ShimkitError, UsageError
from ..links import bin_dir_advice, current_target
from ..store import Store
from ..versionfile import logical_cwd

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Sequence

    from _typeshed import StrPath

    from ..cli.parse import Args
    from ..links import LinkReport
    from ..liveprocs import LiveProcess
    from ..store import Installation


def install(a: Args) -> int:
    if a.no_bin and (a.default or a.force or a.bin_dir is not None):
        raise UsageError("--no-bin excludes --default, --force and --bin-dir", "drop one of them")
    if a.default and len(a.targets) > 1:
        raise UsageError(
            "--default takes one version (python and python3 can name only one)", "install the others without --default"
        )
    settings = a.settings()
    started = time.monotonic()
    with output.CliReporter() as reporter:
        report = manager.install(
            a.targets,
            settings,
            cwd=Path(logical_cwd()),
            reinstall=a.reinstall,
            reporter=reporter,
            warn=output.warn,
            bin_options=manager.BinOptions(enabled=not a.no_bin, default=a.default, force=a.force),
        )
    for req, inst, newest in report.satisfied:
        line = f"{inst.key} is already installed (satisfies {req})"
        if newest is not None and newest.key.version > inst.key.version:
            line += f"; {newest.key.version} is available: shimkit upgrade {inst.key.major}.{inst.key.minor}"
        output.note(line)
    failures: list[ShimkitError] = []
    for o in report.outcomes:
        if o.status == "failed" and o.error is not None:
            failures.append(o.error)
            output.error(o.error.one_line())
            continue
        if o.status == "already-installed":
            output.note(f"{o.key} is already installed")
            continue
        output.note(f"{'Reinstalled' if o.status == 'reinstalled' else 'Installed'} {o.key}")
        old, new = o.link_change
        if new is not None and old != new:
            output.note(f"  {o.key.minor_key} -> {new}" + (f" (was {old})" if old else ""))
    done = [o for o in report.outcomes if o.status in ("installed", "reinstalled")]
    if done:
        took = output.seconds(time.monotonic() - started)
        output.note(f"{len(done)} installation{'s' if len(done) > 1 else ''} in {took}")
    _report_bin(report.bin, settings.bin_dir, from_flag=a.bin_dir is not None)
    if report.bin.refused:
        failures.append(ShimkitError(""))
    return max((e.exit_code for e in failures), default=0)


def _report_bin(rep: LinkReport, bin_dir: StrPath, *, from_flag: bool = False) -> None:
    for p in rep.created + rep.updated:
        output.note(f"  {p} -> {current_target(p)}")
    for p in rep.refused:
        output.error(f"{p} exists and was not created by shimkit; left unchanged; hint: pass --force to replace it")
    advice = bin_dir_advice(bin_dir, from_flag=from_flag) if rep.created or rep.updated else None
    if advice is not None:
        output.warn(advice)


def _confirmed(question: str, yes: bool) -> bool:
    """``--yes``, or an answer on the terminal; without a terminal, a refusal (exit 2)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("refusing to remove installations without confirmation", "pass --yes")
    return output.confirm(question)


def uninstall(a: Args) -> int:
    settings = a.settings()
    store = Store(settings.install_dir)
    targets: list[str] = a.targets
    if not a.dry_run:
        store.repair()  # what a killed uninstall left in .temp goes now, even if nothing matches
    if a.outdated:
        if targets or a.all:
            raise UsageError("--outdated takes no versions and excludes --all", "drop one of them")
        doomed = manager.outdated(settings)
        if not doomed:
            output.note("Nothing to remove: every installed patch is the one its minor-version link points to")
            return 0
    elif not targets and not a.all:
        raise UsageError("nothing to uninstall", "name versions (e.g. `shimkit uninstall 3.12.1`) or pass --all")
    else:
        doomed = manager.uninstall_selection(targets, settings, all_=a.all)
    asking = (a.outdated or a.all) and not a.yes
    if a.dry_run or asking:
        for inst in doomed:
            output.out(f"{'would remove' if a.dry_run else 'remove'} {inst.key}  ({inst.path})")
    _warn_broken_venvs(store, doomed)
    if a.dry_run:
        if not a.force:
            from ..liveprocs import processes_using

            for inst in doomed:
                users = processes_using(inst.path)
                if users:
                    output.warn(f"{inst.key} is in use by {_names(users)} and would be left in place")
        return 0
    question = f"Remove {len(doomed)} installation{'s' if len(doomed) != 1 else ''}?"
    if asking and doomed and not _confirmed(question, a.yes):
        output.note("Nothing removed")
        return 1
    if a.outdated:
        targets = [str(i.key) for i in doomed]
    result = manager.uninstall(targets, settings, all_=a.all and not a.outdated, force=a.force)
    for key in result.removed:
        output.note(f"Uninstalled {key}")
    for minor, (_old, new) in result.link_changes.items():
        output.note(f"  {minor} -> {new}" if new else f"  removed link {minor}")
    for p in result.bin_removed:
        output.note(f"  removed {p}")
    kept = [f"{key} is in use by {_names(users)}" for key, users in result.in_use.items()]
    if kept and a.outdated:  # a clean-up: what is still running is cleaned up next time
        for line in kept:
            output.warn(f"{line}; left in place until they exit (or pass --force)")
    elif kept:
        raise InUseError(
            f"{'; '.join(kept)}; left in place",
            "run the command again once they have exited, or pass --force to remove it anyway",
        )
    return 0


def _names(users: Sequence[LiveProcess], limit: int = 5) -> str:
    names = ", ".join(str(u) for u in users[:limit])
    return names + (f" and {len(users) - limit} more" if len(users) > limit else "")


def _warn_broken_venvs(store: Store, doomed: list[Installation]) -> None:
    from .. import venv as venv_mod

    for v, uses in manager.venvs_broken_by(store, doomed):
        output.warn(
            f"virtual environment {v.path} uses {uses} and will stop working; "
            f"recreate it afterwards with `{venv_mod.recreate_command(v.path, v.home)}`"
        )


def upgrade(a: Args) -> int:
    settings = a.settings()
    items = manager.plan_upgrade(a.targets, settings)
    if not items:
        output.note("No managed Python installations to upgrade")
        return 0
    if not any(i.needed for i in items):
        current = ", ".join(str(i.current.version) + ("t" if i.current.freethreaded else "") for i in items)
        output.note(f"Everything is up to date: {current}")
        return 0
    for i in items:
        if i.newest is not None:
            output.out(
                f"{i.current.version} -> {i.newest.key.version}  ({i.minor_key})" + ("  [dry run]" if a.dry_run else "")
            )
        else:
            output.note(f"{i.current.version} is up to date  ({i.minor_key})")
    if a.dry_run:
        return 0
    with output.CliReporter() as reporter:
        outcomes, links = manager.upgrade(
            items, settings, reporter=reporter, bin_options=manager.BinOptions(enabled=not a.no_bin)
        )
    failed = [o.error for o in outcomes if o.error is not None]
    for e in failed:
        output.error(e.one_line())
    _report_bin(links, settings.bin_dir, from_flag=a.bin_dir is not None)
    return max((e.exit_code for e in failed), default=0)
