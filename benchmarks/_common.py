"""Shared pieces of the benchmark scripts: the loopback mirror of real interpreters, the
commands under test, interleaved timing, and the machine description printed with every result.

The benchmarks reuse the test suite's builders (``tests/support``): PBS-format archives of the
real CPython interpreters found on this machine (cached under ``~/.cache/shimkit-tests``), served
by the loopback HTTP server.  Nothing leaves 127.0.0.1.

Every figure is a ratio against a baseline measured in the same run, with commands run
round-robin (one of each per round) so that load from other processes falls on all of them alike;
absolute times drift between runs on shared machines, ratios much less.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support import cli, pbs  # noqa: E402  (needs the path above)
from support.mirror import Mirror, start_mirror  # noqa: E402

# ------------------------------------------------------------------------------ commands


def shimkit_command() -> List[str]:
    """How to run shimkit: the console script next to this interpreter, else ``python -m shimkit``."""
    script = Path(sys.executable).with_name("shimkit")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "shimkit"]


def uv_command() -> List[str]:
    """uv from PyPI (``pip install uv``): next to this interpreter, else on PATH."""
    for candidate in (Path(sys.executable).with_name("uv"), shutil.which("uv")):
        if candidate and Path(candidate).is_file():
            return [str(candidate)]
    raise SystemExit("uv is not installed: pip install uv (the benchmarks compare against it)")


def uv_version() -> str:
    return subprocess.run([*uv_command(), "--version"], capture_output=True, text=True, check=True).stdout.strip()


def reproduce(script: str, args: Sequence[str]) -> str:
    """The command line that reproduces a run (printed with its results)."""
    return "python3 " + " ".join(shlex.quote(a) for a in [f"benchmarks/{script}", *args])


# ------------------------------------------------------------------------------ the mirror


def real_archives(work: Path) -> Dict[str, pbs.BuiltArchive]:
    """version -> PBS-format tar.gz of each real interpreter found here (one per version)."""
    chosen: Dict[str, pbs.InterpreterSource] = {}
    for s in pbs.find_sources():
        chosen.setdefault(s.version, s)
    built = pbs.build_archives(list(chosen.values()), work / "archives")
    return {a.version: a for a in built}


def newest_per_minor(archives: Mapping[str, pbs.BuiltArchive]) -> Dict[str, pbs.BuiltArchive]:
    """ "3.12" -> the newest patch of 3.12 among ``archives``."""
    out: Dict[str, pbs.BuiltArchive] = {}
    for a in sorted(archives.values(), key=lambda a: (a.major, a.minor, a.patch)):
        out[f"{a.major}.{a.minor}"] = a
    return out


def mirror(work: Path, archives: Mapping[str, pbs.BuiltArchive]) -> Mirror:
    """A loopback mirror laid out like the PBS release server; stop with ``.server.stop()``.

    ``upstream_downloads_json_path`` lists the archives under their github URLs, which
    ``--mirror``/``*_INSTALL_MIRROR`` then point at this server, for shimkit and uv alike."""
    return start_mirror(archives, work / "mirror")


# ------------------------------------------------------------------------------ timing


def wait_timed(pid: int, started: float, what: str) -> float:
    """Wait for child ``pid``; seconds since ``started``; exits the benchmark if it failed."""
    _pid, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"`{what}` failed")
    return elapsed


def install_312(work: Path, *commands: Sequence[str]) -> pbs.BuiltArchive:
    """``shimkit install 3.12`` (a real 3.12 from this machine) into ``work/installs`` with bin
    entries in ``work/bin``, from a loopback mirror, then the further shimkit ``commands`` in the
    same environment (e.g. ``["venv", ...]``); returns the archive installed."""
    a = newest_per_minor(real_archives(work)).get("3.12")
    if a is None:
        raise SystemExit("needs a real 3.12 interpreter here (pyenv install 3.12.1)")
    served = mirror(work, {a.version: a})
    try:
        env = isolated_env(
            work / "user",
            SHIMKIT_PYTHON_DOWNLOADS_JSON_URL=served.downloads_json_url,
            SHIMKIT_PYTHON_INSTALL_DIR=str(work / "installs"),
            SHIMKIT_BIN_DIR=str(work / "bin"),
        )
        for args in (["install", "3.12"], *commands):
            spawn([*shimkit_command(), *args], env)
    finally:
        served.server.stop()
    return a


def spawn(argv: Sequence[str], env: Mapping[str, str], cwd: Optional[Path] = None) -> float:
    """Seconds one run of ``argv`` takes (output discarded); raises if it fails."""
    started = time.perf_counter()
    proc = subprocess.run(list(argv), env=dict(env), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` exited {proc.returncode}:\n{proc.stderr.decode()[-2000:]}")
    return elapsed


@dataclass
class Case:
    """One command to time; ``prepare`` runs before each timed run (not timed)."""

    label: str
    run: Callable[[], float]  # one timed run, returns seconds
    prepare: Callable[[], None] = lambda: None


def interleaved(cases: Sequence[Case], rounds: int, warmup: int = 1) -> Dict[str, List[float]]:
    """Run every case ``rounds`` times, round-robin; returns label -> seconds of each run."""
    for _ in range(warmup):
        for c in cases:
            c.prepare()
            c.run()
    times: Dict[str, List[float]] = {c.label: [] for c in cases}
    for _ in range(rounds):
        for c in cases:
            c.prepare()
            times[c.label].append(c.run())
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """The interquartile range, as a sanity check on noise."""
    if len(values) < 4:
        return f"{min(values) * 1000:.1f} to {max(values) * 1000:.1f} ms"
    q = statistics.quantiles(values, n=4)
    return f"IQR {q[0] * 1000:.1f} to {q[2] * 1000:.1f} ms"


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A Markdown table (readable in a terminal, pasteable into RESULTS.md)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


# ------------------------------------------------------------------------------ environment


def isolated_env(root: Path, **extra: str) -> Dict[str, str]:
    """The test suite's isolated environment under ``root`` (``support.cli.isolated_env``: fresh
    HOME, XDG dirs, install and bin dirs), plus what a benchmark needs: uv ignoring its own config
    files, and this machine's ``PYTHONDONTWRITEBYTECODE`` (bytecode costs are part of a start)."""
    env = cli.isolated_env(root)
    env["UV_NO_CONFIG"] = "1"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        env["PYTHONDONTWRITEBYTECODE"] = os.environ["PYTHONDONTWRITEBYTECODE"]
    env.update(extra)
    return env


def compile_shimkit() -> None:
    """Compile shimkit's own bytecode once, as a wheel install would (``PYTHONDONTWRITEBYTECODE``
    would otherwise make every start of an editable install compile it from source)."""
    import compileall

    import shimkit

    compileall.compile_dir(str(Path(shimkit.__file__).parent), quiet=1)


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary directory for one benchmark (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix=f"shimkit-bench-{prefix}-") as tmp:
        yield Path(tmp)


# ------------------------------------------------------------------------------ the machine


def machine() -> Dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(
            next(
                line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    distro = ""
    try:
        distro = next(
            line.split("=", 1)[1].strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME=")
        )
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": mem,
        "os": f"{distro} (kernel {platform.release()})",
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        "load average at start": load,
    }


def print_header(title: str, script: str, args: Sequence[str]) -> None:
    print(f"# {title}\n")
    for k, v in machine().items():
        print(f"- {k}: {v}")
    print(f"- reproduce: `{reproduce(script, args)}`\n")


def dump_json(path: Optional[str], data: object) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


__all__ = [
    "REPO",
    "Case",
    "compile_shimkit",
    "dump_json",
    "install_312",
    "interleaved",
    "isolated_env",
    "machine",
    "median",
    "mirror",
    "newest_per_minor",
    "print_header",
    "ratio",
    "real_archives",
    "reproduce",
    "scratch",
    "shimkit_command",
    "spawn",
    "spread",
    "table",
    "uv_command",
    "uv_version",
    "wait_timed",
]
