"""What a shim costs: ``python -I -S -c pass`` through shimkit's shim vs the interpreter directly,
in a project whose ``.python-version`` is 8 directories up, and vs pyenv's shim where pyenv is
installed.

    python3 benchmarks/bench_shim.py [--runs 200] [--json FILE]

A real 3.12 is installed by ``shimkit install 3.12`` from a loopback mirror; ``shimkit shims
enable`` writes the shims (``#!/bin/sh``, dash on Debian), and a second set runs under bash as
``sh`` (POSIX mode, as on systems whose /bin/sh is bash).  Each start is one ``posix_spawnp``
looking ``python`` up on PATH (shims first) + ``waitpid``; the interpreter directly is started by
its absolute path.  pyenv's shim is measured against pyenv's own interpreter of the same minor
version, with the same ``.python-version``.  Target for shimkit's shim: at most 1.1 times direct.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import _common as c

from shimkit import shims
from shimkit.settings import Settings


def spawnp(argv: List[str], env: Dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.chdir(cwd)
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    return c.wait_timed(pid, started, f"{' '.join(argv)}` in `{cwd}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200, help="rounds (default 200)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    c.print_header(
        "python through shimkit's shim vs directly (and pyenv's shim)",
        "bench_shim.py",
        list(argv if argv is not None else sys.argv[1:]),
    )
    with c.scratch("shim") as work:
        a = c.install_312(work)
        link = next(p for p in (work / "installs").iterdir() if p.name.startswith("cpython-3.12-"))
        settings = Settings(install_dir=work / "installs", bin_dir=work / "bin")
        dash_shims = shims.enable(settings, shims_dir=work / "shims-sh").shims_dir
        bash_sh = work / "sh"
        bash_sh.symlink_to(shutil.which("bash") or "/bin/bash")
        bash_shims = shims.enable(settings, shims_dir=work / "shims-bash", sh_path=str(bash_sh)).shims_dir
        project = work / "project"
        deep = project / "1/2/3/4/5/6/7/8"
        deep.mkdir(parents=True)
        (project / ".python-version").write_text("3.12\n")
        flags = ["-I", "-S", "-c", "pass"]
        base = {"LC_ALL": "C.UTF-8", "HOME": str(work / "user" / "home")}
        direct = str(link / "bin" / "python3.12")
        cases = [
            c.Case("interpreter directly", lambda: spawnp([direct, *flags], dict(base, PATH="/usr/bin:/bin"), deep)),
            c.Case(
                "shimkit shim (/bin/sh)",
                lambda: spawnp(["python", *flags], dict(base, PATH=f"{dash_shims}:/usr/bin:/bin"), deep),
            ),
            c.Case(
                "shimkit shim (bash as sh)",
                lambda: spawnp(["python", *flags], dict(base, PATH=f"{bash_shims}:/usr/bin:/bin"), deep),
            ),
        ]
        pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
        pyenv_exe = pyenv_root / "versions" / a.version / "bin" / "python3.12"
        if (pyenv_root / "shims" / "python").exists() and pyenv_exe.exists():
            penv = dict(
                base, PYENV_ROOT=str(pyenv_root), PATH=f"{pyenv_root / 'shims'}:{pyenv_root / 'bin'}:/usr/bin:/bin"
            )
            cases += [
                c.Case("pyenv's interpreter directly", lambda: spawnp([str(pyenv_exe), *flags], penv, deep)),
                c.Case("pyenv shim", lambda: spawnp(["python", *flags], penv, deep)),
            ]
        # sanity: every case runs the 3.12 it should
        check = subprocess.run(
            ["python", "-c", "import sys; print(sys.prefix)"],
            cwd=deep,
            capture_output=True,
            text=True,
            env=dict(base, PATH=f"{dash_shims}:/usr/bin:/bin"),
        )
        assert check.stdout.strip().startswith(str(work / "installs")), check
        times = c.interleaved(cases, args.runs, warmup=5)
        rows, results = [], []
        direct_t = c.median(times["interpreter directly"])
        pyenv_direct = c.median(times["pyenv's interpreter directly"]) if "pyenv shim" in times else None
        for case in cases:
            t = c.median(times[case.label])
            ref = pyenv_direct if case.label == "pyenv shim" and pyenv_direct else direct_t
            ref_label = "pyenv's interpreter" if case.label == "pyenv shim" else "direct"
            rows.append(
                [
                    case.label,
                    f"{t * 1000:.2f} ms",
                    c.spread(times[case.label]),
                    f"{c.ratio(t, ref)} ({(t - ref) * 1000:+.2f} ms vs {ref_label})",
                ]
            )
            results.append({"command": case.label, "median_ms": round(t * 1000, 3), "ratio": round(t / ref, 3)})
    print(f"## `python -I -S -c pass`, .python-version 8 levels up ({args.runs} rounds, medians; target ≤ 1.1x)\n")
    print(c.table(rows, ["how", "median", "spread", "ratio"]))
    c.dump_json(args.json, {"machine": c.machine(), "runs": args.runs, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
