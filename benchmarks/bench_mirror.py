"""A fleet installing from one mirror: what each machine costs the mirror, and the wall time.

    python3 benchmarks/bench_mirror.py [--machines 50] [--jobs 2] [--compile] [--json FILE]

``shimkit mirror sync`` builds a mirror of 3.12 (a PBS-format archive of this machine's real 3.12)
from the loopback "upstream"; a second loopback server serves the mirror directory as plain files.
Then N separate machines (each its own HOME, XDG dirs, cache, install and bin dirs) run
``shimkit install 3.12`` against it, ``--jobs`` at a time, with only
``SHIMKIT_PYTHON_INSTALL_MIRROR`` and ``SHIMKIT_PYTHON_DOWNLOADS_JSON_URL`` set.  A second round
runs the same command again on every machine (already installed): it shows what a later command
costs (the download list revalidated with a conditional GET, no archive).

The mirror server's access log is the measurement: archive GETs, metadata GETs (and how many were
answered 304), anything else.  The check: exactly N archive GETs and at most N metadata requests in
round 1, no archive GET in round 2, no failed install.  Bytecode compilation is off unless
``--compile`` (it costs CPU, not mirror requests).  The baseline for the wall time is one machine
installing alone, measured first in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

import _common as c
from support.server import LoopbackServer

METADATA = "/python-downloads.json"


def install(env: Dict[str, str]) -> Tuple[bool, float, str]:
    """One ``shimkit install 3.12`` on one machine: (ok, seconds, stderr tail)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [*c.shimkit_command(), "install", "3.12"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return proc.returncode == 0, time.perf_counter() - started, proc.stderr.decode(errors="replace")[-800:]


def log_counts(server: LoopbackServer) -> Dict[str, int]:
    reqs = server.requests
    archives = [r for r in reqs if r.method == "GET" and r.path.endswith(".tar.gz")]
    meta = [r for r in reqs if r.path == METADATA]
    conditional = [r for r in meta if "if-none-match" in r.headers or "if-modified-since" in r.headers]
    return {
        "requests": len(reqs),
        "archive_gets": len(archives),
        "metadata_requests": len(meta),
        "metadata_conditional": len(conditional),
        "other": len(reqs) - len(archives) - len(meta),
    }


def fleet_round(envs: List[Dict[str, str]], jobs: int) -> Tuple[float, List[Tuple[bool, float, str]]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(install, envs))
    return time.perf_counter() - started, results


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--machines", type=int, default=50, help="machines installing 3.12 (default 50)")
    ap.add_argument("--jobs", type=int, default=2, help="machines installing at the same time (default 2)")
    ap.add_argument("--compile", action="store_true", help="SHIMKIT_COMPILE_BYTECODE=1")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    n = args.machines
    c.print_header("A fleet installing from one shimkit mirror", "bench_mirror.py", list(argv or sys.argv[1:]))
    c.compile_shimkit()

    with c.scratch("mirror") as work:
        a = c.newest_per_minor(c.real_archives(work)).get("3.12")
        if a is None:
            raise SystemExit("needs a real 3.12 interpreter here (pyenv install 3.12.1)")
        upstream = c.mirror(work, {a.version: a})
        dest = work / "mirror-dir"
        try:
            sync_env = c.isolated_env(work / "syncer", SHIMKIT_PYTHON_DOWNLOADS_JSON_URL=upstream.downloads_json_url)
            sync_s = c.spawn([*c.shimkit_command(), "mirror", "sync", str(dest), "3.12"], sync_env)
        finally:
            upstream.server.stop()

        with LoopbackServer(dest) as server:

            def machine(name: str) -> Dict[str, str]:
                env = c.isolated_env(
                    work / "machines" / name,
                    SHIMKIT_PYTHON_INSTALL_MIRROR=server.base_url,
                    SHIMKIT_PYTHON_DOWNLOADS_JSON_URL=server.url(METADATA),
                )
                if args.compile:
                    env["SHIMKIT_COMPILE_BYTECODE"] = "1"
                return env

            ok, alone_s, err = install(machine("alone"))
            if not ok:
                raise SystemExit(f"a single install from the mirror failed:\n{err}")
            shutil.rmtree(work / "machines" / "alone")
            server.clear_requests()

            envs = [machine(f"m{i:03d}") for i in range(n)]
            wall1, res1 = fleet_round(envs, args.jobs)
            round1 = log_counts(server)
            server.clear_requests()
            wall2, res2 = fleet_round(envs, args.jobs)
            round2 = log_counts(server)

    failures1 = [r for r in res1 if not r[0]]
    failures2 = [r for r in res2 if not r[0]]
    per = [r[1] for r in res1]
    rows = [
        [
            "1: fresh machines",
            str(n),
            str(len(failures1)),
            str(round1["archive_gets"]),
            f"{round1['metadata_requests']} ({round1['metadata_conditional']} conditional)",
            str(round1["other"]),
            f"{round1['requests'] / n:.2f}",
            f"{wall1:.1f}s",
            f"{c.median(per):.2f}s",
        ],
        [
            "2: same machines again",
            str(n),
            str(len(failures2)),
            str(round2["archive_gets"]),
            f"{round2['metadata_requests']} ({round2['metadata_conditional']} conditional)",
            str(round2["other"]),
            f"{round2['requests'] / n:.2f}",
            f"{wall2:.1f}s",
            f"{c.median([r[1] for r in res2]):.2f}s",
        ],
    ]
    print(f"- mirror: 3.12.{a.patch} ({a.size / 1e6:.1f} MB archive), synced in {sync_s:.1f}s; {args.jobs} at a time")
    print(f"- bytecode compile: {'on (SHIMKIT_COMPILE_BYTECODE=1)' if args.compile else 'off'}")
    print(f"- baseline: one machine alone {alone_s:.2f}s\n")
    header = [
        "round",
        "machines",
        "failed",
        "archive GETs",
        "metadata requests",
        "other requests",
        "requests / install",
        "wall",
        "median per install",
    ]
    print(c.table(rows, header))
    print(f"\nround 1 wall time / (N x one machine alone / jobs): {wall1 / (n * alone_s / args.jobs):.2f}")
    checks = {
        "no failed install": not failures1 and not failures2,
        f"exactly {n} archive GETs in round 1": round1["archive_gets"] == n,
        f"at most {n} metadata requests in round 1": round1["metadata_requests"] <= n,
        "no other request": round1["other"] == 0 and round2["other"] == 0,
        "no archive GET in round 2": round2["archive_gets"] == 0,
        f"round 2: at most {n} metadata requests, all conditional": round2["metadata_requests"] <= n
        and round2["metadata_conditional"] == round2["metadata_requests"],
    }
    print()
    for what, passed in checks.items():
        print(f"- [{'x' if passed else ' '}] {what}")
    for r in (failures1 + failures2)[:3]:
        print(f"\nfailure:\n{r[2]}")
    c.dump_json(
        args.json,
        {
            "machines": n,
            "jobs": args.jobs,
            "compile": args.compile,
            "alone_s": alone_s,
            "round1": {**round1, "wall_s": wall1, "failures": len(failures1)},
            "round2": {**round2, "wall_s": wall2, "failures": len(failures2)},
            "checks": checks,
        },
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
