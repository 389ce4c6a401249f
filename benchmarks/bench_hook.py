"""What the shell hook costs in bash and zsh: per prompt, and per ``cd`` into a pinned project.

    python3 benchmarks/bench_hook.py [--rounds 7] [--prompts 20000] [--cds 2000] [--json FILE]

Inside one shell process (so that only the hook is measured, not process starts), with
``$EPOCHREALTIME``:

* per prompt with no directory change: ``--prompts`` calls of the hook vs the same number of
  calls of an empty function (target: under 50 µs over the empty hook);
* per ``cd``: ``--cds`` round trips between two projects pinned to plain versions (resolved in
  pure shell, no fork), with the ``.python-version`` in the directory itself and 8 levels up,
  vs the same ``cd``\\ s with an empty hook (target: under 2 ms);
* for comparison, what one ``shimkit`` Python call costs (``shimkit hook-resolve``, the call the
  hook makes for non-plain requests, and ``python -I -S -c pass``), measured as process starts.

Each shell loop runs ``--rounds`` times, alternating with its baseline; medians are reported.
The install dir only needs directories (the hook never starts Python for plain pins).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import _common as c

from shimkit import shell as shell_mod
from shimkit.platform import host

PROMPT_LOOP = {
    "bash": '{setup}\ncd "$A"; {hook}\nt0=$EPOCHREALTIME\nfor ((i = 0; i < {n}; i++)); do {hook}; done\n'
    't1=$EPOCHREALTIME\necho "$t0 $t1"\n',
    "zsh": 'zmodload zsh/datetime\n{setup}\ncd "$A"; {hook}\nt0=$EPOCHREALTIME\n'
    'for ((i = 0; i < {n}; i++)); do {hook}; done\nt1=$EPOCHREALTIME\necho "$t0 $t1"\n',
}
CD_LOOP = {
    "bash": '{setup}\ncd "$A"; {hook}; cd "$B"; {hook}\nt0=$EPOCHREALTIME\n'
    'for ((i = 0; i < {n}; i++)); do cd "$A"; {hook}; cd "$B"; {hook}; done\n'
    't1=$EPOCHREALTIME\necho "$t0 $t1"\n',
    "zsh": 'zmodload zsh/datetime\n{setup}\ncd "$A"; {hook}; cd "$B"; {hook}\nt0=$EPOCHREALTIME\n'
    'for ((i = 0; i < {n}; i++)); do cd "$A"; {hook}; cd "$B"; {hook}; done\n'
    't1=$EPOCHREALTIME\necho "$t0 $t1"\n',
}


def layout(work: Path) -> Dict[str, Path]:
    """An install dir of empty installations (bin/ only) and two pairs of pinned projects."""
    triple = str(host())
    installs = work / "installs"
    for version in ("3.11.7", "3.12.1"):
        minor = version.rsplit(".", 1)[0]
        (installs / f"cpython-{version}-{triple}" / "bin").mkdir(parents=True)
        os.symlink(f"cpython-{version}-{triple}", installs / f"cpython-{minor}-{triple}")
    dirs = {"installs": installs}
    for name, pin in (("a", "3.12"), ("b", "3.11")):
        near = work / "near" / name
        near.mkdir(parents=True)
        (near / ".python-version").write_text(pin + "\n")
        deep = work / "deep" / name
        (deep / "1/2/3/4/5/6/7/8").mkdir(parents=True)
        (deep / ".python-version").write_text(pin + "\n")
        dirs[f"near-{name}"] = near
        dirs[f"deep-{name}"] = deep / "1/2/3/4/5/6/7/8"
    return dirs


def shell_seconds(shell: str, script: str, env: Dict[str, str]) -> float:
    """Seconds between the two $EPOCHREALTIME stamps the script prints."""
    argv = [shell, "--norc", "--noprofile", "-c", script] if shell == "bash" else [shell, "-f", "-c", script]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout.split()
    return float(out[-1]) - float(out[-2])


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7, help="rounds of each loop (default 7)")
    ap.add_argument("--prompts", type=int, default=20000, help="hook calls per prompt loop (default 20000)")
    ap.add_argument("--cds", type=int, default=2000, help="cd round trips per cd loop (default 2000)")
    ap.add_argument("--spawns", type=int, default=40, help="process starts per command (default 40)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    c.print_header(
        "The shell hook: per prompt and per cd (bash, zsh)",
        "bench_hook.py",
        list(argv if argv is not None else sys.argv[1:]),
    )
    results: Dict[str, List[Dict[str, object]]] = {"prompt": [], "cd": [], "process": []}
    with c.scratch("hook") as work:
        d = layout(work)
        base_env = {"HOME": str(work), "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
        shells = [s for s in ("bash", "zsh") if shutil.which(s)]
        prompt_rows, cd_rows = [], []
        for shell in shells:
            inputs = shell_mod.HookInputs(
                shell=shell,
                install_dir=str(d["installs"]),
                bin_dir=str(work / "bin"),
                host=str(host()),
                global_file=str(work / "no-global"),
                cmd=tuple(c.shimkit_command()),
            )
            hook_file = work / f"init.{shell}"
            hook_file.write_text(shell_mod.render(inputs))
            hooked = f". '{hook_file}'"
            empty = "_empty() { :; }"
            # per prompt, no directory change
            env = dict(base_env, A=str(d["near-a"]))
            cases = [
                c.Case(
                    label,
                    (
                        lambda s=shell, setup=setup, h=h, env=env: shell_seconds(
                            s, PROMPT_LOOP[s].format(setup=setup, hook=h, n=args.prompts), env
                        )
                    ),
                )
                for label, setup, h in (("empty", empty, "_empty"), ("hook", hooked, "_shimkit_hook"))
            ]
            times = c.interleaved(cases, args.rounds, warmup=1)
            e_us = c.median(times["empty"]) / args.prompts * 1e6
            h_us = c.median(times["hook"]) / args.prompts * 1e6
            prompt_rows.append(
                [shell, f"{e_us:.2f} µs", f"{h_us:.2f} µs", f"{h_us - e_us:.2f} µs", c.ratio(h_us, e_us)]
            )
            results["prompt"].append(
                {
                    "shell": shell,
                    "empty_us": round(e_us, 3),
                    "hook_us": round(h_us, 3),
                    "over_empty_us": round(h_us - e_us, 3),
                }
            )
            # per cd into a pinned project
            for where in ("near", "deep"):
                env = dict(base_env, A=str(d[f"{where}-a"]), B=str(d[f"{where}-b"]))
                cases = [
                    c.Case(
                        label,
                        (
                            lambda s=shell, setup=setup, h=h, env=env: shell_seconds(
                                s, CD_LOOP[s].format(setup=setup, hook=h, n=args.cds), env
                            )
                        ),
                    )
                    for label, setup, h in (("empty", empty, "_empty"), ("hook", hooked, "_shimkit_hook"))
                ]
                times = c.interleaved(cases, args.rounds, warmup=1)
                per = 2 * args.cds
                e_us = c.median(times["empty"]) / per * 1e6
                h_us = c.median(times["hook"]) / per * 1e6
                levels = "0 (in the dir)" if where == "near" else "8"
                cd_rows.append([shell, levels, f"{e_us:.1f} µs", f"{h_us:.1f} µs", f"{h_us - e_us:.1f} µs"])
                results["cd"].append(
                    {
                        "shell": shell,
                        "levels_up": 0 if where == "near" else 8,
                        "cd_empty_us": round(e_us, 2),
                        "cd_hook_us": round(h_us, 2),
                        "hook_us": round(h_us - e_us, 2),
                    }
                )
        # what a Python call per prompt would cost
        c.compile_shimkit()
        spawn_env = dict(base_env)
        py = [sys.executable, "-I", "-S", "-c", "pass"]
        resolve = [
            *c.shimkit_command(),
            "hook-resolve",
            "--install-dir",
            str(d["installs"]),
            "--host",
            str(host()),
            "--global-file",
            str(work / "no-global"),
            str(d["near-a"]),
        ]
        cases = [
            c.Case("python -I -S -c pass", lambda: c.spawn(py, spawn_env)),
            c.Case("shimkit hook-resolve", lambda: c.spawn(resolve, spawn_env)),
        ]
        times = c.interleaved(cases, args.spawns, warmup=3)
        proc_rows = []
        for case in cases:
            t = c.median(times[case.label])
            proc_rows.append([f"`{case.label}`", f"{t * 1000:.2f} ms", c.spread(times[case.label])])
            results["process"].append({"command": case.label, "median_ms": round(t * 1000, 3)})

    print(
        f"## per prompt, directory unchanged ({args.rounds} rounds of {args.prompts} calls; "
        "target < 50 µs over empty)\n"
    )
    print(c.table(prompt_rows, ["shell", "empty hook", "shimkit hook", "over empty", "vs empty"]))
    print(
        f"\n## per cd into a pinned project, plain pin, no fork ({args.rounds} rounds of {args.cds} round trips; "
        "target < 2 ms)\n"
    )
    print(
        c.table(
            cd_rows,
            ["shell", ".python-version levels up", "cd + empty hook", "cd + shimkit hook", "the hook's own cost"],
        )
    )
    print("\n## for comparison: one Python process per prompt\n")
    print(c.table(proc_rows, ["process", "median", "spread"]))
    c.dump_json(args.json, {"machine": c.machine(), **results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
