"""What the bin entry costs: ``python3.12`` through shimkit's bin dir vs the interpreter itself.

    python3 benchmarks/bench_bin.py [--runs 200] [--json FILE]

A real 3.12 is installed by ``shimkit install 3.12`` (bytecode compiled, as users get it) from a
loopback mirror, then these start ``-c pass`` (and ``-I -S -c pass``, the bare start) in turn:
the installation's own ``bin/python3.12`` (the baseline), the same through the minor-version link,
the bin entry ``python3.12``, and a venv made by ``shimkit venv`` (which goes through the link).
Each start is one ``posix_spawn`` + ``waitpid``; the commands run round-robin.

A second table is what the patch-pinning hook (``<stdlib>/sitecustomize.py``, docs/design.md)
costs: the same installation, hard-linked into a second install dir without the hook and run
through its own minor-version link, before and after, directly and from a ``python -m venv`` of each:
wall time, the children's CPU time, and (with valgrind installed) instructions executed, the one
figure a loaded shared machine hardly disturbs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import _common as c


def spawn_fast(argv: List[str], env: Dict[str, str]) -> float:
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    return c.wait_timed(pid, started, " ".join(argv))


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200, help="rounds (default 200)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    c.print_header(
        "python3.12 through the bin entry vs the interpreter directly",
        "bench_bin.py",
        list(argv if argv is not None else sys.argv[1:]),
    )
    with c.scratch("bin") as work:
        a = c.install_312(work, ["venv", str(work / "venv"), "-p", "3.12"])
        key = f"cpython-{a.version}-linux-{a.arch}-{a.libc}"
        link = f"cpython-3.12-linux-{a.arch}-{a.libc}"
        targets = {
            "interpreter directly": str(work / "installs" / key / "bin" / "python3.12"),
            "through the minor link": str(work / "installs" / link / "bin" / "python3.12"),
            "bin entry python3.12": str(work / "bin" / "python3.12"),
            "venv made by shimkit venv": str(work / "venv" / "bin" / "python"),
        }
        run_env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
        results = []
        for flags in (["-c", "pass"], ["-I", "-S", "-c", "pass"]):
            cases = [
                c.Case(label, (lambda exe=exe, flags=flags: spawn_fast([exe, *flags], run_env)))
                for label, exe in targets.items()
            ]
            times = c.interleaved(cases, args.runs, warmup=5)
            base = c.median(times[cases[0].label])
            rows = []
            for case in cases:
                t = c.median(times[case.label])
                rows.append(
                    [
                        f"`{' '.join(['python3.12', *flags])}` {case.label}",
                        f"{t * 1000:.2f} ms",
                        c.spread(times[case.label]),
                        c.ratio(t, base),
                    ]
                )
                results.append(
                    {
                        "command": case.label,
                        "flags": flags,
                        "median_ms": round(t * 1000, 3),
                        "ratio": round(t / base, 3),
                    }
                )
            print(c.table(rows, ["start", "median", "spread", "vs direct"]))
            print()
        results += hook_cost(work, key, link, run_env, args.runs)
    c.dump_json(args.json, {"machine": c.machine(), "runs": args.runs, "results": results})


def spawn_cpu(argv: List[str], env: Dict[str, str], cpu: List[float]) -> float:
    """Like ``spawn_fast``, also appending the child's CPU time (user + system) to ``cpu``: on a
    loaded machine wall time mostly measures the scheduler, CPU time much less."""
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    _pid, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"`{' '.join(argv)}` failed")
    cpu.append(usage.ru_utime + usage.ru_stime)
    return elapsed


def hook_cost(work: Path, key: str, link: str, run_env: Dict[str, str], runs: int) -> List[Dict[str, object]]:
    """``-c pass`` with the pinning hook (as installed) against the same tree without it."""
    bare = work / "installs-without-hook"
    bare.mkdir()
    subprocess.run(["cp", "-al", str(work / "installs" / key), str(bare / key)], check=True)
    for hook in (bare / key / "lib" / "python3.12").glob("sitecustomize.py"):
        hook.unlink()
    for pyc in (bare / key / "lib" / "python3.12" / "__pycache__").glob("sitecustomize.*"):
        pyc.unlink()
    os.symlink(key, bare / link)
    pairs = {}
    for label, root in (("without the hook (before)", bare), ("with the hook (after)", work / "installs")):
        exe = root / link / "bin" / "python3.12"
        venv = work / f"venv {label}"
        subprocess.run([str(exe), "-m", "venv", "--without-pip", str(venv)], check=True, env=run_env)
        pairs[label] = (str(exe), str(venv / "bin" / "python"))
    results: List[Dict[str, object]] = []
    rows = []
    for flags in (["-c", "pass"], ["-I", "-c", "pass"]):
        for where, index in (("through the minor link", 0), ("python -m venv on the link", 1)):
            cpu: Dict[str, List[float]] = {label: [] for label in pairs}
            cases = [
                c.Case(
                    label,
                    (lambda exe=exes[index], flags=flags, log=cpu[label]: spawn_cpu([exe, *flags], run_env, log)),
                )
                for label, exes in pairs.items()
            ]
            times = c.interleaved(cases, runs, warmup=5)
            base, base_cpu = c.median(times[cases[0].label]), c.median(cpu[cases[0].label][5:])
            for case in cases:
                t, t_cpu = c.median(times[case.label]), c.median(cpu[case.label][5:])
                rows.append(
                    [
                        f"`{' '.join(['python3.12', *flags])}` {where}, {case.label}",
                        f"{t * 1000:.2f} ms",
                        f"{t / base:.3f}x",
                        f"{t_cpu * 1000:.2f} ms",
                        f"{t_cpu / base_cpu:.3f}x",
                    ]
                )
                results.append(
                    {
                        "command": f"{where}, {case.label}",
                        "flags": flags,
                        "median_ms": round(t * 1000, 3),
                        "ratio": round(t / base, 3),
                        "cpu_median_ms": round(t_cpu * 1000, 3),
                        "cpu_ratio": round(t_cpu / base_cpu, 4),
                    }
                )
    print(c.table(rows, ["start", "wall median", "vs without", "CPU median", "CPU vs without"]))
    print()
    results += instruction_counts(pairs, run_env)
    return results


def instruction_counts(pairs: Dict[str, tuple[str, str]], run_env: Dict[str, str]) -> List[Dict[str, object]]:
    """Instructions executed by each start, counted by valgrind (callgrind) when it is installed:
    unlike times, the count hardly depends on what else the machine is doing."""
    if shutil.which("valgrind") is None:
        print("(valgrind not found: no instruction counts)\n")
        return []
    results: List[Dict[str, object]] = []
    rows = []
    for flags in (["-c", "pass"], ["-I", "-c", "pass"]):
        for where, index in (("through the minor link", 0), ("python -m venv on the link", 1)):
            counts = {}
            for label, exes in pairs.items():
                runs = []
                for _ in range(3):
                    proc = subprocess.run(
                        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", exes[index], *flags],
                        env=run_env,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    match = re.search(r"Collected : (\d+)", proc.stderr)
                    assert match is not None, proc.stderr
                    runs.append(int(match.group(1)))
                counts[label] = c.median(runs)
            base = counts["without the hook (before)"]
            for label, n in counts.items():
                rows.append(
                    [f"`{' '.join(['python3.12', *flags])}` {where}, {label}", f"{n / 1e6:.2f} M", f"{n / base:.4f}x"]
                )
                results.append(
                    {"command": f"{where}, {label}", "flags": flags, "instructions": n, "instructions_ratio": n / base}
                )
    print(c.table(rows, ["start", "instructions (median of 3)", "vs without the hook"]))
    print()
    return results


if __name__ == "__main__":
    sys.exit(main())
