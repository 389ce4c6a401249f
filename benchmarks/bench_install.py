"""`shimkit install` vs `uv python install`, both from the same loopback mirror.

    python3 benchmarks/bench_install.py [--runs 5] [--multi-runs 3] [--json FILE]

Both tools get the same download list (PBS archives of this machine's real interpreters, listed
under their github URLs) and the same mirror (the list's URL prefix replaced by the loopback
server's): ``SHIMKIT_PYTHON_DOWNLOADS_JSON_URL`` + ``SHIMKIT_PYTHON_INSTALL_MIRROR`` for shimkit,
``UV_PYTHON_DOWNLOADS_JSON_URL`` + ``UV_PYTHON_INSTALL_MIRROR`` for uv.  Every run starts from
fresh install, bin, cache and home directories, and the commands run round-robin.

shimkit compiles the standard library's bytecode at install time (so that no later start pays
for it); uv does not, so shimkit is also measured with ``SHIMKIT_NO_COMPILE=1``.  MB/s is the
compressed archive bytes over the whole command's wall time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import _common as c


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="rounds for one version (default 5)")
    ap.add_argument("--multi-runs", type=int, default=3, help="rounds for three versions at once (default 3)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    c.print_header(
        "shimkit install vs uv python install (loopback mirror)",
        "bench_install.py",
        list(argv if argv is not None else sys.argv[1:]),
    )
    c.compile_shimkit()
    print(f"- uv: {c.uv_version()}\n")

    with c.scratch("install") as work:
        archives = c.real_archives(work)
        minors = c.newest_per_minor(archives)
        if "3.12" not in minors or len(minors) < 3:
            raise SystemExit(f"needs a real 3.12 and two more minor versions here; found {sorted(minors)}")
        three = [
            "3.12",
            *[m for m in sorted(minors, key=lambda m: tuple(map(int, m.split("."))), reverse=True) if m != "3.12"][:2],
        ]
        mirror = c.mirror(work, archives)
        try:
            results = _run(work, mirror, minors, three, args.runs, args.multi_runs)
        finally:
            mirror.server.stop()
    c.dump_json(args.json, {"machine": c.machine(), "uv": c.uv_version(), "results": results})
    return 0


def _run(
    work: Path, mirror: c.Mirror, minors: Dict[str, c.pbs.BuiltArchive], three: List[str], runs: int, multi_runs: int
) -> List[Dict[str, object]]:
    downloads_json = str(mirror.upstream_downloads_json_path)
    counter = [0]

    def fresh(tool: str) -> Path:
        counter[0] += 1
        root = work / "runs" / f"{tool}-{counter[0]}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        return root

    def shimkit_case(label: str, versions: List[str], compile_: bool) -> c.Case:
        def run() -> float:
            root = fresh("shimkit")
            env = c.isolated_env(
                root,
                SHIMKIT_PYTHON_DOWNLOADS_JSON_URL=downloads_json,
                SHIMKIT_PYTHON_INSTALL_MIRROR=mirror.url,
                SHIMKIT_PYTHON_INSTALL_DIR=str(root / "installs"),
                SHIMKIT_BIN_DIR=str(root / "bin"),
            )
            if not compile_:
                env["SHIMKIT_NO_COMPILE"] = "1"
            t = c.spawn([*c.shimkit_command(), "install", *versions], env, cwd=root)
            _check(root / "installs", versions, minors)
            shutil.rmtree(root)
            return t

        return c.Case(label, run)

    def uv_case(label: str, versions: List[str]) -> c.Case:
        def run() -> float:
            root = fresh("uv")
            env = c.isolated_env(
                root,
                UV_PYTHON_DOWNLOADS_JSON_URL=downloads_json,
                UV_PYTHON_INSTALL_MIRROR=mirror.url,
                UV_PYTHON_INSTALL_DIR=str(root / "installs"),
                UV_PYTHON_BIN_DIR=str(root / "bin"),
                UV_CACHE_DIR=str(root / "cache"),
            )
            t = c.spawn([*c.uv_command(), "python", "install", *versions], env, cwd=root)
            _check(root / "installs", versions, minors)
            shutil.rmtree(root)
            return t

        return c.Case(label, run)

    results: List[Dict[str, object]] = []
    for versions, rounds in (([*three[:1]], runs), (three, multi_runs)):
        what = " ".join(versions)
        cases = [
            uv_case(f"uv python install {what}", versions),
            shimkit_case(f"shimkit install {what}", versions, True),
            shimkit_case(f"SHIMKIT_NO_COMPILE=1 shimkit install {what}", versions, False),
        ]
        times = c.interleaved(cases, rounds, warmup=1)
        nbytes = sum(minors[v].size for v in versions)
        base = c.median(times[cases[0].label])
        rows = []
        for case in cases:
            t = c.median(times[case.label])
            rows.append([case.label, f"{t:.2f} s", f"{nbytes / t / 1e6:.1f}", c.ratio(t, base)])
            results.append(
                {
                    "command": case.label,
                    "median_s": round(t, 3),
                    "runs": times[case.label],
                    "archive_bytes": nbytes,
                    "mb_per_s": round(nbytes / t / 1e6, 2),
                    "ratio_vs_uv": round(t / base, 2),
                }
            )
        archives = ", ".join(f"{minors[v].version} ({minors[v].size / 1e6:.1f} MB)" for v in versions)
        print(f"## {what}: {archives}; {rounds} rounds, medians\n")
        print(c.table(rows, ["command", "time", "MB/s", "vs uv"]))
        print()
    return results


def _check(installs: Path, versions: List[str], minors: Dict[str, c.pbs.BuiltArchive]) -> None:
    """Both tools must really have installed every version (a fast failure is not a result)."""
    names = {p.name for p in installs.iterdir()}
    for v in versions:
        a = minors[v]
        key = f"cpython-{a.version}-linux-{a.arch}-{a.libc}"
        if key not in names:
            raise SystemExit(f"{key} is missing from {installs} after the install: {sorted(names)}")


if __name__ == "__main__":
    sys.exit(main())
