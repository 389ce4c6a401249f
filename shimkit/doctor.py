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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional

from . import __version__
from .links import current_target, entry_names, is_managed, managed_entries
from .settings import Settings
from .store import Store

STATUSES = ("ok", "info", "warn", "error")
HOOK_VAR = "_SHIMKIT_ADDED"  # exported by every hook while it has put an installation on PATH
HOOK_SHELL_VAR = "SHIMKIT_SHELL_HOOK"  # set by the hooks' `shimkit` function when it calls shimkit


@dataclass(frozen=True)
class Finding:
    """One result of a check."""

    check: str  # config, shimkit, path, hook, links, bin, venvs
    status: str  # ok, info, warn, error
    message: str
    fix: str = ""  # what the user should do (problems only)
    fixable: bool = False  # `shimkit doctor --fix` repairs it

    @property
    def is_problem(self) -> bool:
        return self.status in ("warn", "error")

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "status": self.status,
            "message": self.message,
            "fix": self.fix or None,
            "fixable": self.fixable,
        }


@dataclass(frozen=True)
class Context:
    """Everything the checks look at (explicit, so tests can point them anywhere)."""

    settings: Settings
    environ: Mapping[str, str]
    cwd: Path
    shell: Optional[str] = None  # canonical shell name, if known


def home_short(path: object, environ: Mapping[str, str]) -> str:
    """``path`` with the home directory written as ``~`` (for messages)."""
    text = str(path)
    home = environ.get("HOME", "")
    if home and home != os.sep and (text == home or text.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + text[len(home.rstrip(os.sep)) :]
    return text


def _within(path: str, root: str) -> bool:
    root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _path_dirs(environ: Mapping[str, str]) -> list[str]:
    return [d for d in environ.get("PATH", "").split(os.pathsep) if d]


def _same_dir(a: str, b: str) -> bool:
    norm = os.path.normcase
    if norm(os.path.abspath(os.path.expanduser(a))) == norm(os.path.abspath(b)):
        return True
    try:
        return os.path.samefile(os.path.expanduser(a), b)
    except OSError:
        return False


def _first_on_path(name: str, environ: Mapping[str, str]) -> Optional[tuple[str, str]]:
    """(directory, file) of the first executable ``name`` on PATH."""
    for d in _path_dirs(environ):
        candidate = os.path.join(os.path.expanduser(d), name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return d, candidate
    return None


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
    bin_dir = str(s.bin_dir)
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
        if _same_dir(where, bin_dir) or _within(exe, str(s.install_dir)):
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


def _rc_has_hook(path: Path) -> bool:
    from .shell import MARK_INIT

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if MARK_INIT in line or ("shimkit" in stripped and " init" in stripped):
            return True
    return False


def check_hook(ctx: Context) -> list[Finding]:
    """Whether the shell hook runs in the shell that started doctor (see the module docstring)."""
    from .hookresolve import resolve
    from .versionfile import SESSION_ENV, global_version_file, session_override

    env, s = ctx.environ, ctx.settings
    out: list[Finding] = []
    override = session_override(env)
    if override is not None:
        out.append(
            Finding(
                "hook",
                "info",
                f"this shell overrides the pin: {SESSION_ENV}={override.lines[0]} (`shimkit shell --unset` drops it)",
            )
        )
    res = resolve(ctx.cwd, install_dir=s.install_dir, host=s.host, global_file=global_version_file(),
                  no_config=s.no_config, environ=env)
    added = env.get(HOOK_VAR, "")
    hooked_shell = env.get(HOOK_SHELL_VAR, "")
    where = f"{res.request} ({home_short(res.origin, env)})" if res.request else ""
    if added:
        if res.bin_dir is not None and os.path.normpath(added) == os.path.normpath(str(res.bin_dir)):
            out.append(Finding("hook", "ok", f"the shell hook is active: python here is {where}"))
        elif res.bin_dir is None:
            out.append(
                Finding(
                    "hook",
                    "warn",
                    f"the shell hook put {home_short(added, env)} on PATH, but nothing installed is pinned here",
                    "the hook catches up at the next prompt; if this persists, open a new shell",
                )
            )
        else:
            out.append(
                Finding(
                    "hook",
                    "warn",
                    f"the shell hook put {home_short(added, env)} on PATH, but {where} resolves to "
                    f"{home_short(res.bin_dir, env)}",
                    "the hook catches up at the next prompt; if this persists, open a new shell",
                )
            )
        return out
    if res.bin_dir is not None:
        shell = hooked_shell or ctx.shell
        fix = "run `shimkit update-shell` and open a new shell"
        if shell:
            fix += f' (or run eval "$(shimkit init {shell})" in this one)' if shell != "fish" else ""
        out.append(
            Finding(
                "hook",
                "error",
                f"`python` does not follow the pin {where}: the shell hook is not active in this shell",
                fix,
            )
        )
        return out
    if res.request and res.source != "requires-python":
        out.append(
            Finding(
                "hook",
                "warn",
                f"the pin {where} is not installed",
                f"shimkit install {res.request}",
            )
        )
    for m in res.messages:
        if "is not installed" not in m:
            out.append(Finding("hook", "warn", m.removeprefix("shimkit: ").removeprefix("warning: ")))
    if hooked_shell:
        out.append(Finding("hook", "ok", f"the shell hook for {hooked_shell} is loaded"))
        return out
    # Nothing applies here, so the environment cannot show whether the hook runs: read the rc file.
    if ctx.shell is None:
        out.append(
            Finding(
                "hook",
                "info",
                "could not tell which shell runs shimkit; `shimkit update-shell SHELL` sets up the hook",
            )
        )
        return out
    from .shell import rc_file

    try:
        rc = rc_file(ctx.shell, environ=env)
    except Exception:  # an unsupported shell name
        return out
    if _rc_has_hook(rc):
        out.append(Finding("hook", "ok", f"the shell hook for {ctx.shell} is set up in {home_short(rc, env)}"))
    else:
        out.append(
            Finding(
                "hook",
                "warn",
                f"the shell hook is not set up for {ctx.shell} ({home_short(rc, env)} does not load it), "
                "so `python` will not follow project pins",
                f"shimkit update-shell {ctx.shell}",
            )
        )
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
            path = s.bin_dir / name
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
        installed = _within(home, str(s.install_dir)) or home.startswith(str(s.install_dir))
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
