"""``shimkit doctor``'s ``hook`` and ``python`` checks: whether the shell hook runs, and whether
what ``python`` really runs here is what the pin resolves to (split from :mod:`shimkit.doctor`)."""

from __future__ import annotations

import os
from pathlib import Path

from .diagnosis import HOOK_SHELL_VAR, HOOK_VAR, Context, Finding, _first_on_path, home_short


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
    res = resolve(ctx.cwd, s, global_file=global_version_file(), environ=env)
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
    if res.request and res.source != "requires-python" and any("is not installed" in m for m in res.messages):
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
    from .shellrc import rc_file

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


def check_python(ctx: Context) -> list[Finding]:
    """What ``python`` really runs here (the first ``python`` on PATH) against what the pin
    resolves to (:func:`shimkit.hookresolve.resolve`, ``find``'s resolution); an activated
    virtual environment's ``python`` is what the user chose and passes."""
    from .hookresolve import resolve
    from .versionfile import global_version_file

    env = ctx.environ
    if not env.get(HOOK_VAR):
        return []  # no hook at work in this shell: the hook check says so (and what to do)
    res = resolve(ctx.cwd, ctx.settings, global_file=global_version_file(), environ=env)
    if res.exe is None:
        return []  # nothing (installed) is pinned here: the hook check says what is missing
    name = "python.exe" if os.name == "nt" else "python"
    first = _first_on_path(name, env)
    venv = env.get("VIRTUAL_ENV", "")
    where = f"{res.request} ({home_short(res.origin, env)})"
    if first is not None and venv and _inside(first[1], venv):
        return [Finding("python", "ok", f"`python` here is the active virtual environment's ({home_short(venv, env)})")]
    if first is not None and _same_file(first[1], res.exe):
        return [Finding("python", "ok", f"`python` here runs {home_short(first[1], env)}, as the pin {where} says")]
    runs = home_short(first[1], env) if first is not None else "nothing (no `python` on PATH)"
    return [
        Finding(
            "python",
            "warn",
            f"`python` here runs {runs}, but the pin {where} resolves to {home_short(res.exe, env)}",
            "press Enter for a new prompt (the hook resolves again when PATH or the directory change); "
            "if this persists, check that the shell hook is loaded (`shimkit update-shell`) or open a new shell",
        )
    ]


def _inside(path: str, root: str) -> bool:
    root = os.path.normpath(root)
    return os.path.normpath(path).startswith(root.rstrip(os.sep) + os.sep)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
