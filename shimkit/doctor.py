"""``shimkit doctor``: find what keeps ``python3.12`` or a project's ``python`` from working.

Each check returns :class:`Finding` objects (``ok``, ``info``, ``warn`` or ``error``, a message and,
for problems, what to do about it).  Nothing here prints; :mod:`shimkit.cli.doctor_cmds` renders.

What is checked:

* ``config``: the config file parses (the CLI reports a broken one as a finding);
* ``path``: the bin dir is on PATH, and every bin entry (``python3.12`` …) is what PATH finds
  first: an earlier directory holding the same name (another Python, pyenv's or mise's shims)
  *shadows* it;
* ``hook``: the shell hook is active.  The hooks export one variable, ``_SHIMKIT_ADDED`` (the
  installation ``bin/`` they put first on PATH), and only while a pin applies; so in a directory
  whose pin is installed, its absence means the hook is not running.  Where nothing is pinned the
  environment cannot tell, and the rc file of the detected shell is read instead;
* ``python``: where the hook is at work, what ``python`` really runs here (the first one on
  PATH) is what the pin resolves to (``find``'s resolution), unless an activated virtual
  environment provides it;
* ``links``: minor-version links that dangle or do not point at the highest installed patch, bin
  entries whose target is gone, leftovers in ``.temp/`` (``--fix`` repairs all of these);
* ``bin``: files in the bin dir that shimkit did not create but that take the name of an entry it
  would create (``install --force`` replaces them);
* ``venvs``: virtual environments (the ones shimkit created, the active one and the project's
  ``.venv``) whose base interpreter was removed, e.g. by ``uninstall 3.12.1``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Iterable

from . import __version__
from .diagnosis import (  # re-exported: what the CLI and the tests use
    HOOK_SHELL_VAR,
    HOOK_VAR,
    STATUSES,
    Context,
    Finding,
    _first_on_path,
    _path_dirs,
    _same_dir,
    _within,
    home_short,
)
from .doctor_hook import check_hook, check_python
from .links import current_target, entry_names, is_managed, managed_entries
from .settings import Settings
from .store import Store

__all__ = [
    "HOOK_SHELL_VAR",
    "HOOK_VAR",
    "STATUSES",
    "Context",
    "Finding",
    "check_hook",
    "check_python",
    "repair",
    "run_checks",
]


# ---- checks ---------------------------------------------------------------------------------
def check_shimkit(ctx: Context) -> list[Finding]:
    """Which shimkit runs, with which interpreter."""
    v = sys.version_info
    return [
        Finding(
            "shimkit",
            "ok",
            f"shimkit {__version__} (Python {v.major}.{v.minor}.{v.micro}, {home_short(sys.executable, ctx.environ)})",
        )
    ]


def check_path(ctx: Context) -> list[Finding]:
    """The bin dir is on PATH and nothing earlier on PATH shadows its entries."""
    env, s = ctx.environ, ctx.settings
    bin_dir = s.bin_dir
    short = home_short(bin_dir, env)
    dirs = _path_dirs(env)
    if not any(_same_dir(d, bin_dir) for d in dirs):
        return [
            Finding(
                "path",
                "error",
                f"{short} (the bin dir) is not on PATH, so python3.X commands shimkit installs are not found",
                "run `shimkit update-shell` and open a new shell (or add the directory to PATH yourself)",
            )
        ]
    out = [Finding("path", "ok", f"{short} is on PATH")]
    venv = env.get("VIRTUAL_ENV", "")
    entries = managed_entries(s.bin_dir, s.install_dir)
    shadowed = []
    for entry in sorted(entries, key=lambda p: p.name):
        first = _first_on_path(entry.name, env)
        if first is None:
            continue  # a dangling entry; the links check reports it
        where, exe = first
        if _same_dir(where, bin_dir) or _within(exe, s.install_dir):
            continue  # the entry itself, or an installation's bin/ put first by the hook
        if venv and _within(exe, venv):
            continue  # an activated virtual environment is meant to come first
        shadowed.append((entry.name, where, exe))
    for name, where, exe in shadowed:
        out.append(
            Finding(
                "path",
                "warn",
                f"`{name}` runs {home_short(exe, env)}, not shimkit's {short}/{name}: "
                f"{home_short(where, env)} comes first on PATH",
                f"put {short} before {home_short(where, env)} in PATH (in your shell's startup file), "
                f"or remove the other {name}",
            )
        )
    if entries and not shadowed:
        names = ", ".join(sorted(p.name for p in entries))
        out.append(Finding("path", "ok", f"PATH finds shimkit's {names}"))
    return out


def check_links(ctx: Context) -> list[Finding]:
    """Minor-version links, bin entries and staging leftovers."""
    env, s = ctx.environ, ctx.settings
    store = Store(s.install_dir)
    out: list[Finding] = []
    installs = store.installations()
    best = store.expected_links()
    links = store.minor_links()
    for name, target in sorted(links.items()):
        if target is None:
            out.append(
                Finding(
                    "links",
                    "error",
                    f"the minor-version link {name} points at a removed installation",
                    "shimkit doctor --fix (removes it, or repoints it to the highest installed patch)",
                    fixable=True,
                )
            )
        elif name in best and best[name] != target:
            out.append(
                Finding(
                    "links",
                    "warn",
                    f"the minor-version link {name} points at {target}, not the highest installed patch {best[name]}",
                    "shimkit doctor --fix",
                    fixable=True,
                )
            )
    for minor, target in sorted(best.items()):
        if minor not in links:
            out.append(
                Finding(
                    "links",
                    "error",
                    f"{target} has no minor-version link {minor} (venvs and bin entries go through it)",
                    "shimkit doctor --fix",
                    fixable=True,
                )
            )
    for path, target in sorted(managed_entries(s.bin_dir, s.install_dir).items()):
        if not os.path.exists(path):
            out.append(
                Finding(
                    "links",
                    "error",
                    f"{home_short(path, env)} points at {home_short(target, env)}, which does not exist",
                    "shimkit doctor --fix (removes it; `shimkit install` recreates entries for installed versions)",
                    fixable=True,
                )
            )
    try:
        debris = sorted(store.temp.iterdir()) if store.temp.is_dir() else []
    except OSError:
        debris = []
    if debris:
        out.append(
            Finding(
                "links",
                "info",
                f"{len(debris)} leftover(s) of interrupted operations in {home_short(store.temp, env)}",
                "shimkit doctor --fix (or any install/uninstall) clears them",
                fixable=True,
            )
        )
    if not any(f.is_problem for f in out):
        n = len(installs)
        out.insert(
            0,
            Finding(
                "links",
                "ok",
                f"{n} installation{'s' if n != 1 else ''}, {len(links)} minor-version "
                f"link{'s' if len(links) != 1 else ''}, no dangling links",
            ),
        )
    return out


def check_bin(ctx: Context) -> list[Finding]:
    """Foreign files taking the names of entries shimkit would create."""
    env, s = ctx.environ, ctx.settings
    store = Store(s.install_dir)
    out: list[Finding] = []
    seen: set[str] = set()
    for inst in store.installations():
        if inst.key.minor_key in seen:
            continue
        seen.add(inst.key.minor_key)
        for name in entry_names(inst.key, default=False):
            path = Path(s.bin_dir, name)
            if not (path.exists() or path.is_symlink()):
                out.append(
                    Finding(
                        "bin",
                        "info",
                        f"{inst.key.minor_key} has no {name} in {home_short(s.bin_dir, env)} "
                        "(installed with --no-bin?)",
                        f"shimkit install {inst.key.minor_request}",
                    )
                )
            elif not is_managed(path, s.install_dir):
                target = current_target(path)
                what = f" (-> {home_short(target, env)})" if target else ""
                out.append(
                    Finding(
                        "bin",
                        "warn",
                        f"{home_short(path, env)}{what} was not created by shimkit, so it does not run "
                        f"the managed {inst.key.minor_version}",
                        f"shimkit install {inst.key.minor_request} --force (replaces it)",
                    )
                )
    if not out:
        out.append(Finding("bin", "ok", f"no foreign files in {home_short(s.bin_dir, env)} shadow shimkit's entries"))
    return out


def _venv_candidates(ctx: Context) -> Iterable[tuple[Path, str]]:
    """(venv dir, how it was found): the active one, the project's ``.venv``, the recorded ones."""
    from .venv import recorded

    active = ctx.environ.get("VIRTUAL_ENV", "")
    if active:
        yield Path(active), "active"
    d = ctx.cwd
    for parent in (d, *d.parents):
        if (parent / ".venv" / "pyvenv.cfg").is_file():
            yield parent / ".venv", "project"
            break
        if (parent / "pyproject.toml").exists():
            break
    for v in recorded(Store(ctx.settings.install_dir)):
        yield v.path, "recorded"


def check_venvs(ctx: Context) -> list[Finding]:
    """Virtual environments whose base interpreter went away."""
    from .probecache import venv_home
    from .venv import recreate_command

    env, s = ctx.environ, ctx.settings
    out: list[Finding] = []
    seen: set[str] = set()
    count = 0
    for path, how in _venv_candidates(ctx):
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            continue
        seen.add(key)
        count += 1
        home = venv_home(path)
        if home is None:
            out.append(Finding("venvs", "warn", f"{home_short(path, env)} ({how}) has no readable home in pyvenv.cfg"))
            continue
        if os.path.isdir(home):
            continue
        installed = _within(home, s.install_dir) or home.startswith(s.install_dir)
        out.append(
            Finding(
                "venvs",
                "error",
                f"virtual environment {home_short(path, env)} is broken: its interpreter dir "
                f"{home_short(home, env)} was removed" + (" (by `shimkit uninstall`?)" if installed else ""),
                recreate_command(path, home),
            )
        )
    if not out:
        out.append(
            Finding(
                "venvs",
                "ok",
                f"{count} virtual environment{'s' if count != 1 else ''} checked, none broken"
                if count
                else "no virtual environments to check",
            )
        )
    return out


CHECKS: tuple[Callable[[Context], list[Finding]], ...] = (
    check_shimkit,
    check_path,
    check_hook,
    check_python,
    check_links,
    check_bin,
    check_venvs,
)


def run_checks(ctx: Context) -> list[Finding]:
    """Every check, in order; a check that crashes is reported as an error, not raised."""
    out: list[Finding] = []
    for check in CHECKS:
        try:
            out.extend(check(ctx))
        except Exception as exc:  # a doctor must not die of the disease it diagnoses
            name = check.__name__.removeprefix("check_")
            out.append(Finding(name, "error", f"the {name} check failed: {type(exc).__name__}: {exc}"))
    return out


def repair(settings: Settings) -> list[str]:
    """What ``doctor --fix`` does: repair minor-version links, clear ``.temp/``, remove bin entries
    whose target is gone.  Returns a description of each change."""
    store = Store(settings.install_dir)
    done: list[str] = []
    if not store.root.is_dir():
        return done
    before = store.minor_links()
    debris = len(list(store.temp.iterdir())) if store.temp.is_dir() else 0
    with store.locked():  # taking the lock clears .temp/ and syncs every minor-version link
        after = store.minor_links()
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name) or (name in before) != (name in after):
            if name not in after:
                done.append(f"removed the minor-version link {name}")
            else:
                done.append(f"{name} -> {after[name]}")
    if debris:
        done.append(f"cleared {debris} leftover(s) in {store.temp}")
    for path in sorted(managed_entries(settings.bin_dir, settings.install_dir)):
        if not os.path.exists(path):
            try:
                path.unlink()
                done.append(f"removed {path} (its target was gone)")
            except OSError as exc:
                done.append(f"could not remove {path}: {exc.strerror}")
    return done
