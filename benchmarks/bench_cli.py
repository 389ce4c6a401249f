"""How fast every command starts, as ratios to ``python -c pass`` measured in the same run.

    python benchmarks/bench_cli.py [--runs 40] [--shimkit /path/to/venv/bin/shimkit] [--max-ratio 3]

``shimkit find`` and ``shimkit pin`` run in a fresh process many times a day (shell hooks,
scripts, editors), so what counts is the whole process: the console script's interpreter start,
``site`` and the ``.pth`` files of its environment, the console script's own imports, shimkit's
argument parser, and the work.  The baseline is ``python -c pass`` with the same interpreter (the
floor of any console script); ``python -I -S -c pass`` is shown too.  Targets (issue "one cheap
core"): ``find``/``pin`` <= 2.0x, ``--version`` <= 1.5x, ``init bash`` <= 1.5x, ``list
--only-installed``/``dir`` <= 2.0x; every other command's start-up before its real work (the
parser and its handler's imports, ``startup: CMD`` rows) <= 60 ms.

Commands are run round-robin (one of each per round) and medians compared, so load from other
processes affects every command alike; absolute times drift between runs on shared machines,
ratios much less.  Everything runs in a throw-away HOME with a managed installation linked to a
real interpreter, a project pinned to it, and a virtual environment.

Bytecode: with ``PYTHONDONTWRITEBYTECODE=1`` (set on the CI machines) an editable install never
gets ``__pycache__`` files and every start compiles shimkit from source; the benchmark compiles
the package first, as a wheel install does (``--no-compile`` to measure without).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import shimkit
from shimkit import platform as shimkit_platform

# handler modules (shimkit/commands/) of the commands not timed whole above: their start-up is the
# interpreter, the parser and the handler's imports, before any real work
STARTUP_MODULES = ("install", "venv", "shell", "shims", "metadata", "mirror", "doctor")


def _has_commands_package() -> bool:
    """Whether this shimkit has handler modules (a checkout from before the one command line has not)."""
    import importlib.util

    try:
        return importlib.util.find_spec("shimkit.commands") is not None
    except ModuleNotFoundError:
        return False


def lean_launcher(python: str, where: Path) -> Path:
    """The launcher install.sh writes in place of pip's console script (its ``lean_launcher``),
    made from install.sh's own text for ``python``."""
    import re

    text = (Path(__file__).resolve().parent.parent / "install.sh").read_text()
    found = re.search(r"printf '(#!%s\\n[^']*)' \"\$env_py\"", text)
    if found is None:
        raise SystemExit("install.sh has no lean_launcher printf any more")
    path = where / "shimkit-lean"
    path.write_text(found.group(1).replace("\\n", "\n").replace("%s", python, 1))
    path.chmod(0o755)
    return path


def console_script_python(script: Path) -> str:
    """The interpreter in the console script's shebang line."""
    first = script.read_bytes().split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        raise SystemExit(f"{script} has no shebang line")
    return first[2:].decode().strip().split()[0]


def make_world(root: Path, python: str) -> Tuple[Dict[str, str], Path, str]:
    """An isolated HOME with one managed installation, a pinned project and a venv; returns
    (env, cwd, minor version)."""
    home = root / "home"
    installs = root / "installs"
    real = os.path.realpath(python)
    probe = subprocess.run(
        [real, "-I", "-S", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    )
    version = probe.stdout.strip()
    mm = ".".join(version.split(".")[:2])
    name = f"cpython-{version}-{shimkit_platform.host()}"
    (installs / name / "bin").mkdir(parents=True)
    os.symlink(real, installs / name / "bin" / f"python{mm}")
    os.symlink(name, installs / f"cpython-{mm}-{shimkit_platform.host()}")
    project = root / "project"
    (project / "src" / "pkg" / "deep").mkdir(parents=True)
    (project / "pyproject.toml").write_text(f'[project]\nname = "bench"\nrequires-python = ">={mm}"\n')
    (project / ".python-version").write_text(f"{mm}\n")
    # a project that only says requires-python (no .python-version)
    (root / "rp" / "src").mkdir(parents=True)
    (root / "rp" / "pyproject.toml").write_text(f'[project]\nname = "rp"\nrequires-python = ">={mm}"\n')
    subprocess.run([real, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "SHIMKIT_PYTHON_INSTALL_DIR": str(installs),
        "SHIMKIT_PYTHON_DOWNLOADS": "never",
        "PATH": os.pathsep.join(["/usr/local/bin", "/usr/bin", "/bin"]),
        "LC_ALL": "C.UTF-8",
    }
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"]
    home.mkdir()
    cwd = project / "src" / "pkg" / "deep"
    env["PWD"] = str(cwd)
    return env, cwd, mm


def spawn_time(argv: Sequence[str], env: Dict[str, str], cwd: Path, devnull: int) -> float:
    cwd = Path(env.get("PWD", cwd))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=devnull, stderr=devnull)
    code = proc.wait()
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    return elapsed


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=40, help="rounds (each runs every command once)")
    ap.add_argument(
        "--shimkit",
        type=Path,
        default=Path(sys.executable).with_name("shimkit"),
        help="the installed console script (default: next to this interpreter)",
    )
    ap.add_argument("--no-compile", action="store_true", help="do not compile shimkit's bytecode first")
    ap.add_argument(
        "--max-ratio",
        type=float,
        default=None,
        help="exit 1 if `find` or `pin` (no argument) is slower than this many bare starts",
    )
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)

    script = args.shimkit.resolve() if args.shimkit.is_symlink() else args.shimkit
    if not script.is_file():
        raise SystemExit(f"no console script at {script}; install shimkit (pip install -e .) or pass --shimkit")
    python = console_script_python(script)
    if not args.no_compile:
        compileall.compile_dir(str(Path(shimkit.__file__).parent), quiet=1)

    with tempfile.TemporaryDirectory(prefix="shimkit-bench-") as tmp:
        env, cwd, mm = make_world(Path(tmp), python)
        venv_env = dict(env, VIRTUAL_ENV=str(Path(tmp) / "venv"))
        rp_env = dict(env, PWD=str(Path(tmp) / "rp" / "src"))
        sk = str(script)
        cases: List[Tuple[str, List[str], Dict[str, str]]] = [
            ("python -I -S -c pass", [python, "-I", "-S", "-c", "pass"], env),
            ("python -c pass", [python, "-c", "pass"], env),
            ("shimkit --version", [sk, "--version"], env),
            ("shimkit find", [sk, "find"], env),
            ("shimkit pin", [sk, "pin"], env),
            (f"shimkit find {mm}", [sk, "find", mm], env),
            ("shimkit find --output-format json", [sk, "find", "--output-format", "json"], env),
            ("shimkit find (requires-python only)", [sk, "find"], rp_env),
            ("shimkit pin (requires-python only)", [sk, "pin"], rp_env),
            ("shimkit find (active venv, probe cached)", [sk, "find"], venv_env),
            ("shimkit find --system --no-managed-python", [sk, "find", "--system", "--no-managed-python"], env),
            ("shimkit find '>=3.9' (specifier)", [sk, "find", ">=3.9"], env),
            ("shimkit dir", [sk, "dir"], env),
            ("shimkit list --only-installed", [sk, "list", "--only-installed"], env),
            ("shimkit init bash", [sk, "init", "bash"], env),
            ("shimkit hook-resolve", [sk, "hook-resolve"], env),
        ]
        lean = str(lean_launcher(python, Path(tmp)))
        cases += [
            ("install.sh's launcher: --version", [lean, "--version"], env),
            ("install.sh's launcher: find", [lean, "find"], env),
            ("install.sh's launcher: pin", [lean, "pin"], env),
            ("install.sh's launcher: dir", [lean, "dir"], env),
            ("install.sh's launcher: init bash", [lean, "init", "bash"], env),
            ("install.sh's launcher: list --only-installed", [lean, "list", "--only-installed"], env),
        ]
        for module in STARTUP_MODULES if _has_commands_package() else ():
            code = (
                "import shimkit.entry, shimkit.cli.parse, shimkit.cli.dispatch, shimkit.cli.output, "
                f"shimkit.commands.{module}"
            )
            cases.append((f"startup: {module}", [python, "-c", code], env))
        devnull = os.open(os.devnull, os.O_WRONLY)
        for _label, cmd, e in cases:  # warm up: page cache, probe cache
            spawn_time(cmd, e, cwd, devnull)
            spawn_time(cmd, e, cwd, devnull)
        times: Dict[str, List[float]] = {label: [] for label, _, _ in cases}
        for _ in range(args.runs):
            for label, cmd, e in cases:
                times[label].append(spawn_time(cmd, e, cwd, devnull))
        os.close(devnull)

    base = statistics.median(times["python -c pass"])
    rows = [
        {
            "command": label,
            "median_ms": round(statistics.median(t) * 1000, 2),
            "ratio": round(statistics.median(t) / base, 2),
        }
        for label, t in times.items()
    ]
    if args.json:
        print(json.dumps({"python": python, "shimkit": str(script), "runs": args.runs, "results": rows}, indent=2))
    else:
        print(f"interpreter: {python}\nconsole script: {script}\nrounds: {args.runs} (medians)\n")
        width = max(len(r["command"]) for r in rows)
        for r in rows:
            print(f"{r['command']:<{width}}  {r['median_ms']:7.2f} ms  {r['ratio']:5.2f}x")
    if args.max_ratio is not None:
        slow = [r for r in rows if r["command"] in ("shimkit find", "shimkit pin") and r["ratio"] > args.max_ratio]
        if slow:
            print(f"over {args.max_ratio}x: " + ", ".join(r["command"] for r in slow), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
