"""How `find`, `list` and the shell hook scale, and what the other everyday commands cost.

    python3 benchmarks/bench_scaling.py [--runs 30] [--hook-loops 300] [--json FILE]

1. CLI latency with 1, 10 and 50 installed versions: ``shimkit --version``,
   ``shimkit list --only-installed``, ``shimkit find 3.12``, ``shimkit find`` (in a project
   pinned to 3.12) and ``shimkit pin 3.12`` (rewriting that pin), against
   ``python -I -S -c pass`` (the console script's interpreter: the floor for anything written in
   Python) and against uv's equivalents (``uv --version``, ``uv python list --only-installed``,
   ``uv python find``, ``uv python pin 3.12``) on the same install dir.  One real 3.12 is
   installed by ``shimkit install``; the other installations are hard-linked copies of it under
   other patch numbers (3.12.101 …), which both tools accept as installations.
2. The shell hook per ``cd`` with the version file 1 and 30 directories up, in bash and zsh,
   against the same ``cd`` loop calling an empty function: each iteration changes directory
   (alternating between two directories at the same depth) and runs the prompt hook.

Commands run round-robin, medians compared.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import _common as c


def _populate(installs: Path, real_key: str, count: int) -> None:
    """Make ``count`` installations in total: the real one plus hard-linked copies; the minor link
    points at the highest patch, as shimkit keeps it."""
    head, _, tail = real_key.partition("-3.12.1-")
    copy = re.compile(rf"{re.escape(head)}-3\.12\.1\d\d-{re.escape(tail)}")
    for p in list(installs.iterdir()):
        if copy.fullmatch(p.name):
            shutil.rmtree(p)
    names = [real_key]
    for k in range(count - 1):
        name = f"{head}-3.12.{101 + k}-{tail}"
        shutil.copytree(installs / real_key, installs / name, symlinks=True, copy_function=os.link)
        names.append(name)
    link = installs / f"{head}-3.12-{tail}"
    tmp = installs / ".bench-link"
    os.symlink(names[-1], tmp)
    os.replace(tmp, link)


def cli_latency(work: Path, runs: int) -> List[Dict[str, object]]:
    archives = c.real_archives(work)
    a = c.newest_per_minor(archives).get("3.12")
    if a is None or a.version != "3.12.1":
        raise SystemExit("needs the real 3.12.1 interpreter here (pyenv install 3.12.1)")
    mirror = c.mirror(work, {a.version: a})
    installs = work / "installs"
    project = work / "project" / "src" / "pkg"
    project.mkdir(parents=True)
    (work / "project" / "pyproject.toml").write_text('[project]\nname = "p"\nrequires-python = ">=3.12"\n')
    (work / "project" / ".python-version").write_text("3.12\n")
    env = c.isolated_env(
        work / "user",
        SHIMKIT_PYTHON_INSTALL_DIR=str(installs),
        SHIMKIT_BIN_DIR=str(work / "bin"),
        SHIMKIT_PYTHON_DOWNLOADS_JSON_URL=mirror.downloads_json_url,
        UV_PYTHON_INSTALL_DIR=str(installs),
        UV_CACHE_DIR=str(work / "uv-cache"),
        UV_PYTHON_PREFERENCE="only-managed",
        UV_PYTHON_DOWNLOADS="never",
        UV_OFFLINE="1",
    )
    try:
        c.spawn([*c.shimkit_command(), "install", "3.12"], env)
    finally:
        mirror.server.stop()
    # from here on nothing needs the network: shimkit's list reads the cached/embedded metadata only
    # for downloads, which --only-installed skips
    env["SHIMKIT_OFFLINE"] = "1"
    env.pop("SHIMKIT_PYTHON_DOWNLOADS_JSON_URL")
    real_key = f"cpython-3.12.1-linux-{a.arch}-{a.libc}"
    shimkit = c.shimkit_command()
    python = _console_python(shimkit)
    uv = c.uv_command()
    results: List[Dict[str, object]] = []
    for count in (1, 10, 50):
        _populate(installs, real_key, count)
        cases: List[Tuple[str, List[str], Path]] = [
            ("python -I -S -c pass", [python, "-I", "-S", "-c", "pass"], work),
            ("shimkit --version", [*shimkit, "--version"], work),
            ("uv --version", [*uv, "--version"], work),
            ("shimkit list --only-installed", [*shimkit, "list", "--only-installed"], work),
            ("uv python list --only-installed", [*uv, "python", "list", "--only-installed"], work),
            ("shimkit find 3.12", [*shimkit, "find", "3.12"], work),
            ("uv python find 3.12", [*uv, "python", "find", "3.12"], work),
            ("shimkit find (project pinned to 3.12)", [*shimkit, "find"], project),
            ("uv python find (project pinned to 3.12)", [*uv, "python", "find"], project),
            ("shimkit pin 3.12", [*shimkit, "pin", "3.12"], project),
            ("uv python pin 3.12", [*uv, "python", "pin", "3.12"], project),
        ]
        timed = [
            c.Case(label, (lambda argv=argv, cwd=cwd: c.spawn(argv, {**env, "PWD": str(cwd)}, cwd=cwd)))
            for label, argv, cwd in cases
        ]
        times = c.interleaved(timed, runs, warmup=2)
        base = c.median(times[cases[0][0]])
        uv_of = {
            "shimkit --version": "uv --version",
            "shimkit list --only-installed": "uv python list --only-installed",
            "shimkit find 3.12": "uv python find 3.12",
            "shimkit find (project pinned to 3.12)": "uv python find (project pinned to 3.12)",
            "shimkit pin 3.12": "uv python pin 3.12",
        }
        rows = []
        for label, _argv, _cwd in cases:
            t = c.median(times[label])
            vs_uv = c.ratio(t, c.median(times[uv_of[label]])) if label in uv_of else ""
            rows.append([label, f"{t * 1000:.1f} ms", c.ratio(t, base), vs_uv])
            results.append(
                {
                    "installed": count,
                    "command": label,
                    "median_ms": round(t * 1000, 2),
                    "ratio_vs_python": round(t / base, 2),
                    "ratio_vs_uv": round(t / c.median(times[uv_of[label]]), 2) if label in uv_of else None,
                }
            )
        print(f"## {count} installed version{'s' if count > 1 else ''} ({runs} rounds, medians)\n")
        print(c.table(rows, ["command", "median", "vs python -I -S", "vs uv"]))
        print()
    return results


def _console_python(shimkit: List[str]) -> str:
    if len(shimkit) > 1:
        return shimkit[0]
    first = Path(shimkit[0]).read_bytes().split(b"\n", 1)[0]
    return first[2:].decode().strip().split()[0] if first.startswith(b"#!") else sys.executable


# ------------------------------------------------------------------------------ the hook

_LOOP = {
    "bash": """
{setup}
cd "$A"; {hook}; cd "$B"; {hook}
t0=$EPOCHREALTIME
for ((i = 0; i < {loops}; i++)); do cd "$A"; {hook}; cd "$B"; {hook}; done
t1=$EPOCHREALTIME
echo "$t0 $t1"
""",
    "zsh": """
zmodload zsh/datetime
{setup}
cd "$A"; {hook}; cd "$B"; {hook}
t0=$EPOCHREALTIME
for ((i = 0; i < {loops}; i++)); do cd "$A"; {hook}; cd "$B"; {hook}; done
t1=$EPOCHREALTIME
echo "$t0 $t1"
""",
}
_SHELL_ARGV = {"bash": ["bash", "--norc", "--noprofile"], "zsh": ["zsh", "-f"]}


def hook_per_cd(work: Path, runs: int, loops: int) -> List[Dict[str, object]]:
    import subprocess

    installs = work / "installs"
    results: List[Dict[str, object]] = []
    rows = []
    shimkit = " ".join(c.shimkit_command())
    for shell in ("bash", "zsh"):
        if shutil.which(shell) is None:
            raise SystemExit(f"{shell} is not installed (apt-get install {shell})")
        init = subprocess.run(
            [*c.shimkit_command(), "init", shell],
            capture_output=True,
            text=True,
            check=True,
            env=c.isolated_env(work / "user", SHIMKIT_PYTHON_INSTALL_DIR=str(installs)),
        ).stdout
        (work / f"init.{shell}").write_text(init)
        for levels in (1, 30):
            root = work / f"tree-{levels}"
            if not root.exists():
                (root / ".python-version").parent.mkdir(parents=True)
                (root / ".python-version").write_text("3.12\n")
                for side in ("a", "b"):
                    Path(root, side, *["d"] * (levels - 1)).mkdir(parents=True)
            a = Path(root, "a", *["d"] * (levels - 1))
            b = Path(root, "b", *["d"] * (levels - 1))
            env = c.isolated_env(work / "user", SHIMKIT_PYTHON_INSTALL_DIR=str(installs), A=str(a), B=str(b))
            hooked = _LOOP[shell].format(setup=f". '{work / f'init.{shell}'}'", hook="_shimkit_hook", loops=loops)
            empty = _LOOP[shell].format(setup="_empty() { :; }", hook="_empty", loops=loops)
            cases = [
                c.Case(name, (lambda script=script, shell=shell, env=env: _shell_seconds(shell, script, env)))
                for name, script in (("empty", empty), ("hook", hooked))
            ]
            times = c.interleaved(cases, runs, warmup=1)
            per = 2 * loops
            empty_us = c.median(times["empty"]) / per * 1e6
            hook_us = c.median(times["hook"]) / per * 1e6
            rows.append(
                [
                    shell,
                    str(levels),
                    f"{empty_us:.1f} µs",
                    f"{hook_us:.1f} µs",
                    f"{hook_us - empty_us:.1f} µs",
                    c.ratio(hook_us, empty_us),
                ]
            )
            results.append(
                {
                    "shell": shell,
                    "levels_up": levels,
                    "empty_us": round(empty_us, 2),
                    "hook_us": round(hook_us, 2),
                    "ratio": round(hook_us / empty_us, 2),
                }
            )
    print(f"## shell hook per `cd` ({runs} rounds of {loops} cd pairs, medians; {shimkit})\n")
    print(
        c.table(
            rows,
            ["shell", "version file levels up", "cd + empty hook", "cd + shimkit hook", "hook's own cost", "vs empty"],
        )
    )
    print()
    return results


def _shell_seconds(shell: str, script: str, env: Dict[str, str]) -> float:
    import subprocess

    proc = subprocess.run([*_SHELL_ARGV[shell], "-c", script], capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"{shell} loop failed: {proc.stderr[-1000:]}")
    t0, t1 = (float(x) for x in proc.stdout.split()[-2:])
    return t1 - t0


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="rounds per CLI command (default 30)")
    ap.add_argument("--hook-runs", type=int, default=7, help="rounds of the hook loops (default 7)")
    ap.add_argument("--hook-loops", type=int, default=300, help="cd pairs per hook loop (default 300)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    c.print_header(
        "Scaling: find/list with 1, 10, 50 installed versions; the hook 1 and 30 levels deep",
        "bench_scaling.py",
        list(argv if argv is not None else sys.argv[1:]),
    )
    c.compile_shimkit()
    print(f"- uv: {c.uv_version()}\n")
    with c.scratch("scaling") as work:
        cli = cli_latency(work, args.runs)
        hook = hook_per_cd(work, args.hook_runs, args.hook_loops)
    c.dump_json(args.json, {"machine": c.machine(), "cli": cli, "hook": hook})
    return 0


if __name__ == "__main__":
    sys.exit(main())
