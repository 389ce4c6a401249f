"""shimkit vs uv: installing, upgrading, and the first start after an install, from one loopback mirror.

    python3 benchmarks/bench_install.py [--runs 5] [--json FILE]

Both tools get the same download list (PBS archives of this machine's real interpreters, listed
under their github URLs) and the same mirror (the list's URL prefix replaced by the loopback
server's): ``SHIMKIT_PYTHON_DOWNLOADS_JSON_URL`` + ``SHIMKIT_PYTHON_INSTALL_MIRROR`` for shimkit,
``UV_PYTHON_DOWNLOADS_JSON_URL`` + ``UV_PYTHON_INSTALL_MIRROR`` for uv.  Every run starts from
fresh install, bin, cache and home directories, the tools alternate (one run of each per round),
and every figure is the median of ``--runs`` rounds after one warm-up round.

What is timed:

* ``install 3.12`` and ``install 3.10 3.11 3.12`` (three at once): ``shimkit install`` against
  ``uv python install``; shimkit with ``SHIMKIT_COMPILE_BYTECODE=1`` too (the opt-in stdlib
  compile), for what that costs;
* ``upgrade``: 3.11.2 installed first (not timed), then ``shimkit upgrade 3.11`` against
  ``uv python upgrade 3.11``: both install the newest 3.11 patch (3.11.7) and move their 3.11
  entry points to it, keeping 3.11.2 (``uv python install --reinstall`` would reinstall 3.11.2's
  own patch instead, which is not an upgrade);
* the first ``python3.12 -c "import json, ssl, asyncio"`` after each tool's ``install 3.12`` (the
  install not timed): with bytecode writable (Python writes it on that first import), and with
  ``PYTHONDONTWRITEBYTECODE=1`` as on the machines these were measured on (every start then
  compiles what it imports that has no bytecode).

Ratios are shimkit / uv (lower is better); the issue's targets are printed beside them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import _common as c

IMPORTS = "import json, ssl, asyncio"
TARGETS = {"install 3.12": 1.3, "install 3.10 3.11 3.12": 1.3, "upgrade 3.11.2 -> 3.11.7": 1.5}
IMPORT_TARGET = 1.10


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="rounds per measurement (default 5, at least 5 for the table)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    c.print_header(
        "shimkit vs uv: install, upgrade, first start (loopback mirror)",
        "bench_install.py",
        list(argv if argv is not None else sys.argv[1:]),
    )
    c.compile_shimkit()
    print(f"- uv: {c.uv_version()} ({c.uv_command()[0]})\n")

    with c.scratch("install") as work:
        archives = c.real_archives(work)
        minors = c.newest_per_minor(archives)
        missing = [m for m in ("3.10", "3.11", "3.12") if m not in minors]
        old311 = sorted((a for a in archives.values() if (a.major, a.minor) == (3, 11)), key=lambda a: a.patch)
        if missing or len(old311) < 2:
            raise SystemExit(f"needs real 3.10, 3.11 (two patches) and 3.12 interpreters; found {sorted(archives)}")
        mirror = c.mirror(work, archives)
        try:
            bench = _Bench(work, mirror, archives)
            results = bench.run_all(args.runs, old311[0].version, old311[-1].version)
        finally:
            mirror.server.stop()
    c.dump_json(args.json, {"machine": c.machine(), "uv": c.uv_version(), "results": results})
    return 0


class _Bench:
    def __init__(self, work: Path, mirror: c.Mirror, archives: Mapping[str, c.pbs.BuiltArchive]) -> None:
        self.work = work
        self.mirror = mirror
        self.archives = archives
        self.downloads_json = str(mirror.upstream_downloads_json_path)
        self.counter = 0

    # ---- environments ------------------------------------------------------------------------
    def fresh(self, tool: str) -> Path:
        self.counter += 1
        root = self.work / "runs" / f"{tool}-{self.counter}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        return root

    def env(self, tool: str, root: Path, **extra: str) -> Dict[str, str]:
        if tool == "uv":
            return c.isolated_env(
                root,
                UV_PYTHON_DOWNLOADS_JSON_URL=self.downloads_json,
                UV_PYTHON_INSTALL_MIRROR=self.mirror.url,
                UV_PYTHON_INSTALL_DIR=str(root / "installs"),
                UV_PYTHON_BIN_DIR=str(root / "bin"),
                UV_CACHE_DIR=str(root / "cache"),
                **extra,
            )
        return c.isolated_env(
            root,
            SHIMKIT_PYTHON_DOWNLOADS_JSON_URL=self.downloads_json,
            SHIMKIT_PYTHON_INSTALL_MIRROR=self.mirror.url,
            SHIMKIT_PYTHON_INSTALL_DIR=str(root / "installs"),
            SHIMKIT_BIN_DIR=str(root / "bin"),
            **extra,
        )

    @staticmethod
    def argv(tool: str, command: str, targets: List[str]) -> List[str]:
        if tool == "uv":
            return [*c.uv_command(), "python", command, *targets]
        return [*c.shimkit_command(), command, *targets]

    def check(self, root: Path, versions: List[str]) -> None:
        """Both tools must really have installed every version (a fast failure is not a result)."""
        names = {p.name for p in (root / "installs").iterdir()}
        for v in versions:
            a = self.archives[v]
            key = f"cpython-{a.version}-linux-{a.arch}-{a.libc}"
            if key not in names:
                raise SystemExit(f"{key} is missing from {root / 'installs'}: {sorted(names)}")

    # ---- cases -------------------------------------------------------------------------------
    def install_case(self, tool: str, versions: List[str], label: str, **extra: str) -> c.Case:
        targets = [".".join(v.split(".")[:2]) for v in versions]

        def run() -> float:
            root = self.fresh(tool)
            t = c.spawn(self.argv(tool, "install", targets), self.env(tool, root, **extra), cwd=root)
            self.check(root, versions)
            shutil.rmtree(root)
            return t

        return c.Case(label, run)

    def upgrade_case(self, tool: str, old: str, new: str, label: str) -> c.Case:
        state: Dict[str, Path] = {}

        def prepare() -> None:
            root = state["root"] = self.fresh(tool)
            c.spawn(self.argv(tool, "install", [old]), self.env(tool, root), cwd=root)

        def run() -> float:
            root = state.pop("root")
            t = c.spawn(self.argv(tool, "upgrade", ["3.11"]), self.env(tool, root), cwd=root)
            self.check(root, [old, new])
            shutil.rmtree(root)
            return t

        return c.Case(label, run, prepare)

    def first_import_case(self, tool: str, version: str, label: str, **extra: str) -> c.Case:
        state: Dict[str, Path] = {}
        a = self.archives[version]
        key = f"cpython-{a.version}-linux-{a.arch}-{a.libc}"

        def prepare() -> None:
            root = state["root"] = self.fresh(tool)
            c.spawn(self.argv(tool, "install", ["3.12"]), self.env(tool, root), cwd=root)

        def run() -> float:
            root = state.pop("root")
            exe = root / "installs" / key / "bin" / "python3.12"
            env = {"PATH": "/usr/bin:/bin", "HOME": str(root / "home"), **extra}
            t = _timed([str(exe), "-c", IMPORTS], env)
            shutil.rmtree(root)
            return t

        return c.Case(label, run, prepare)

    # ---- the run -----------------------------------------------------------------------------
    def run_all(self, runs: int, old311: str, new311: str) -> List[Dict[str, object]]:
        v = {
            m: max((a for a in self.archives.values() if f"{a.major}.{a.minor}" == m), key=lambda a: a.patch).version
            for m in ("3.10", "3.11", "3.12")
        }
        results: List[Dict[str, object]] = []
        summary: List[List[str]] = []

        def section(title: str, cases: List[c.Case], target: Optional[float], extra: Sequence[c.Case] = ()) -> None:
            times = c.interleaved([*cases, *extra], runs, warmup=1)
            uv, sk = (c.median(times[x.label]) for x in cases)
            rows = []
            for case in [*cases, *extra]:
                t = c.median(times[case.label])
                rows.append([case.label, _fmt(t), c.ratio(t, uv)])
                results.append(
                    {
                        "section": title,
                        "command": case.label,
                        "median_s": round(t, 4),
                        "runs": [round(x, 4) for x in times[case.label]],
                        "ratio_vs_uv": round(t / uv, 3),
                    }
                )
            print(f"## {title} ({runs} rounds, medians)\n")
            print(c.table(rows, ["command", "median", "vs uv"]))
            print()
            verdict = "" if target is None else ("met" if sk / uv <= target else "missed")
            summary.append(
                [title, _fmt(sk), _fmt(uv), c.ratio(sk, uv), "" if target is None else f"<= {target:.2f}x ({verdict})"]
            )

        one = [v["3.12"]]
        section(
            "install 3.12",
            [
                self.install_case("uv", one, "uv python install 3.12"),
                self.install_case("shimkit", one, "shimkit install 3.12"),
            ],
            TARGETS["install 3.12"],
            [
                self.install_case(
                    "shimkit", one, "SHIMKIT_COMPILE_BYTECODE=1 shimkit install 3.12", SHIMKIT_COMPILE_BYTECODE="1"
                )
            ],
        )
        three = [v["3.10"], v["3.11"], v["3.12"]]
        section(
            "install 3.10 3.11 3.12",
            [
                self.install_case("uv", three, "uv python install 3.10 3.11 3.12"),
                self.install_case("shimkit", three, "shimkit install 3.10 3.11 3.12"),
            ],
            TARGETS["install 3.10 3.11 3.12"],
        )
        section(
            f"upgrade {old311} -> {new311}",
            [
                self.upgrade_case("uv", old311, new311, f"uv python upgrade 3.11 (from {old311})"),
                self.upgrade_case("shimkit", old311, new311, f"shimkit upgrade 3.11 (from {old311})"),
            ],
            TARGETS["upgrade 3.11.2 -> 3.11.7"],
        )
        for title, extra in (
            (f"first `{IMPORTS}` after install 3.12", {}),
            (f"first `{IMPORTS}` after install 3.12, PYTHONDONTWRITEBYTECODE=1", {"PYTHONDONTWRITEBYTECODE": "1"}),
        ):
            section(
                title,
                [
                    self.first_import_case("uv", v["3.12"], "after uv python install", **extra),
                    self.first_import_case("shimkit", v["3.12"], "after shimkit install", **extra),
                ],
                IMPORT_TARGET,
            )
        print("## Summary: shimkit against uv\n")
        print(c.table(summary, ["what", "shimkit", "uv", "ratio", "target"]))
        print()
        return results


def _timed(argv: List[str], env: Dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stderr.decode()[-2000:]}")
    return elapsed


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
