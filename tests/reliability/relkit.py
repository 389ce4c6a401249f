"""Helpers of the reliability tier: an isolated shimkit, store seeding, the store invariants,
kill trials, and mounts in a private mount namespace.

Everything here drives the real CLI in subprocesses against a real loopback mirror; the only
in-process shimkit calls are the ones that *seed* a start state quickly (committing a copy of an
already-unpacked installation through :class:`shimkit.store.Store`, exactly what an install
ends with), so that a kill trial does not pay for a full install just to set itself up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from packaging.version import Version
from slim import Manifest
from support import cli

from shimkit.links import entries_for, install_entries
from shimkit.model.key import parse_key
from shimkit.platform import host
from shimkit.store import Store

HOST = str(host())
CHECK_CODE = "import json, sysconfig, platform"  # what shimkit's own probe needs
ALLOWED_DOT = {".lock", ".temp", ".venvs.json"}


def key(version: str) -> str:
    return f"cpython-{version}-{HOST}"


def minor_key(version: str) -> str:
    return key(".".join(version.split(".")[:2]))


# ---------------------------------------------------------------------------------- the CLI


@dataclasses.dataclass
class Shimkit:
    """One isolated shimkit user: environment, install dir and bin dir under ``root``."""

    root: Path
    env: Dict[str, str]

    @classmethod
    def create(cls, root: Path, downloads_json_url: str, **extra: str) -> Shimkit:
        env = cli.isolated_env(root, downloads_json_url=downloads_json_url)
        # A short backoff so retry tests are quick, a lock wait long enough for any test here.
        env.update({"SHIMKIT_HTTP_BACKOFF": "0.05", "SHIMKIT_LOCK_TIMEOUT": "600"})
        env.update(extra)
        return cls(Path(root), env)

    @property
    def installs(self) -> Path:
        return Path(self.env["SHIMKIT_PYTHON_INSTALL_DIR"])

    @property
    def bin(self) -> Path:
        return Path(self.env["SHIMKIT_BIN_DIR"])

    @property
    def home(self) -> Path:
        return Path(self.env["HOME"])

    def command(self, *args: str) -> List[str]:
        return [sys.executable, "-m", "shimkit", *args]

    def run(
        self,
        *args: str,
        check: bool = False,
        timeout: float = 300,
        cwd: Optional[Path] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> subprocess.CompletedProcess[str]:
        return cli.run_shimkit(*args, env=dict(env or self.env), cwd=cwd or self.home, check=check, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        # Its own session, so that a kill takes the whole command (and any interpreter it runs
        # to verify an installation) down at once, like closing a terminal with kill -9.
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )


def error_lines(proc: subprocess.CompletedProcess[str]) -> List[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str, code: int = 1) -> str:
    """Assert the documented failure shape: exit ``code``, one ``error: …; hint: …`` line, no
    traceback; returns the line."""
    detail = f"exit {proc.returncode}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
    assert proc.returncode == code, detail
    assert "Traceback" not in proc.stderr, detail
    lines = error_lines(proc)
    assert len(lines) == 1, detail
    assert "hint:" in lines[0], detail
    for n in needles:
        assert n.lower() in lines[0].lower(), f"{n!r} not in {lines[0]!r}"
    return lines[0]


# ---------------------------------------------------------------------------------- seeding


@dataclasses.dataclass
class Templates:
    """Unpacked slim installations (one per version) to seed stores from, with their manifests."""

    trees: Dict[str, Path]  # version -> installation root (the archive's python/ contents)
    manifests: Dict[str, Manifest]  # key -> manifest

    def seed(self, sk: Shimkit, versions: Sequence[str], *, bin_entries: bool = True) -> None:
        """Make ``versions`` installed in ``sk``'s store, as ``shimkit install`` leaves them:
        committed by rename from ``.temp``, minor links synced, bin entries written."""
        store = Store(sk.installs)
        with store.locked():
            for v in versions:
                k = parse_key(key(v))
                if store.find(k) is not None:
                    continue
                staged = store.new_staging_dir("seed") / "python"
                # Hard links: a few ms instead of a copy; nothing here rewrites a file in place.
                shutil.copytree(self.trees[v], staged, symlinks=True, copy_function=os.link)
                inst = store.commit(staged, k)
                shutil.rmtree(staged.parent)
                store.sync_minor_link(k)
                if bin_entries:
                    install_entries(entries_for(store, inst), sk.bin, store.root)

    def reset(self, sk: Shimkit, versions: Sequence[str], *, bin_entries: bool = True) -> None:
        """Throw the install dir and bin dir away and seed ``versions`` afresh."""
        for d in (sk.installs, sk.bin):
            if d.exists():
                shutil.rmtree(d)
        self.seed(sk, versions, bin_entries=bin_entries)


# ---------------------------------------------------------------------------------- invariants


def _version_rank(k: str) -> Tuple[bool, Version]:
    v = parse_key(k).version
    return (not v.is_prerelease, v)


def interpreter_runs(exe: Path, timeout: float = 60) -> Optional[str]:
    """None if ``exe`` starts and imports what shimkit's probe imports, else why not."""
    try:
        p = subprocess.run(
            [str(exe), "-I", "-S", "-B", "-c", CHECK_CODE],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={"PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{exe}: {exc}"
    if p.returncode != 0:
        return f"{exe} exited {p.returncode}: {p.stderr.strip()[-300:]}"
    return None


def store_problems(sk: Shimkit, manifests: Mapping[str, Manifest], *, settled: bool) -> List[str]:
    """Every violated invariant of ``sk``'s install dir and bin dir.

    Always (even right after a kill -9):
      * every entry of the install dir is a complete installation (its archive's manifest, every
        file present with its size) whose interpreter runs, a minor-version link, or one of
        ``.lock``/``.temp``/``.venvs.json``;
      * every minor-version link is a relative link to a complete installation of its own key;
      * every bin entry resolves, and the ones pointing into the install dir reach a complete
        installation's interpreter.
    Once ``settled`` (a command ran to completion after the last kill):
      * every minor key with an installation has its link, pointing at the highest complete patch
        (stable before pre-release);
      * ``.temp/`` is empty.
    """
    problems: List[str] = []
    root = sk.installs
    names = sorted(os.listdir(root)) if root.is_dir() else []
    complete: Dict[str, Path] = {}
    links: Dict[str, str] = {}
    for name in names:
        path = root / name
        if name.startswith("."):
            if name not in ALLOWED_DOT:
                problems.append(f"stray file in the install dir: {name}")
            elif name == ".temp" and settled and any(os.scandir(path)):
                problems.append(f".temp/ is not empty: {sorted(os.listdir(path))}")
            continue
        if path.is_symlink():
            links[name] = os.readlink(path)
            continue
        m = manifests.get(name)
        if m is None:
            problems.append(f"unknown entry in the install dir: {name}")
            continue
        missing = m.problems(path)
        if missing:
            problems.append(f"incomplete installation {name}: {'; '.join(missing)}")
            continue
        k = parse_key(name)
        why = interpreter_runs(path / k.executable_names()[0])
        if why:
            problems.append(f"installation {name} does not run: {why}")
            continue
        complete[name] = path
    by_minor: Dict[str, List[str]] = {}
    for name in complete:
        by_minor.setdefault(parse_key(name).minor_key, []).append(name)
    for link, target in links.items():
        if "/" in target:
            problems.append(f"minor link {link} -> {target} is not a sibling name")
        elif target not in complete:
            problems.append(f"minor link {link} -> {target}, which is not a complete installation")
        elif parse_key(target).minor_key != link:
            problems.append(f"minor link {link} -> {target} of another minor version")
    if settled:
        for minor, group in by_minor.items():
            best = max(group, key=_version_rank)
            if links.get(minor) != best:
                problems.append(f"minor link {minor} -> {links.get(minor)}, expected the highest patch {best}")
    if sk.bin.is_dir():
        for entry in sorted(sk.bin.iterdir()):
            if not entry.is_symlink():
                continue  # foreign files are the user's
            target = os.readlink(entry)
            if entry.name.startswith("."):
                problems.append(f"stray temporary bin entry {entry.name} -> {target}")
            if not entry.exists():
                problems.append(f"bin entry {entry.name} -> {target} does not resolve")
                continue
            real = os.path.realpath(entry)
            if real.startswith(str(root.resolve()) + os.sep):
                inst = Path(real).relative_to(root.resolve()).parts[0]
                if inst not in complete:
                    problems.append(f"bin entry {entry.name} resolves into {inst}, not a complete installation")
    return problems


def state(sk: Shimkit) -> Dict[str, Optional[str]]:
    """What a user sees: install dir and bin dir entries (-> link target), without .lock/.temp."""
    out: Dict[str, Optional[str]] = {}
    for base, label in ((sk.installs, "installs"), (sk.bin, "bin")):
        if base.is_dir():
            for p in sorted(base.iterdir()):
                if p.name in (".lock", ".temp"):
                    continue
                out[f"{label}/{p.name}"] = os.readlink(p) if p.is_symlink() else None
    return out


def temp_entries(sk: Shimkit) -> List[str]:
    temp = sk.installs / ".temp"
    return sorted(os.listdir(temp)) if temp.is_dir() else []


# ---------------------------------------------------------------------------------- kill trials


@dataclasses.dataclass
class KillPlan:
    """One kind of kill trial: from the state ``setup`` makes, kill ``args``; then ``after``
    must succeed and leave the store settled."""

    name: str
    setup: Callable[[int], None]  # trial number -> (re)create the start state
    args: Callable[[int], Sequence[str]]
    after: Callable[[int], Sequence[str]]


@dataclasses.dataclass
class KillReport:
    name: str
    seed: int
    window: float = 0.0
    first_change: float = 0.0
    trials: int = 0
    killed_early: int = 0  # killed before the store changed at all
    killed_mid: int = 0  # killed after the command had changed the store
    failures: List[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        finished = self.trials - self.killed_early - self.killed_mid
        return (
            f"kill -9 `{self.name}`: {self.trials} trials, {len(self.failures)} failures "
            f"({self.killed_mid} killed while changing the store, {self.killed_early} before it changed "
            f"anything, {finished} finished first); seed {self.seed}, window {self.window:.2f}s "
            f"(store changes from {self.first_change:.2f}s), {self.seconds:.0f}s"
        )


def _snapshot(sk: Shimkit) -> Tuple[object, ...]:
    def listing(d: Path) -> Tuple[Tuple[str, str], ...]:
        try:
            return tuple(
                sorted(
                    (e.name, os.readlink(e.path) if e.is_symlink() else "") for e in os.scandir(d) if e.name != ".lock"
                )
            )
        except OSError:
            return ()

    return listing(sk.installs), listing(sk.installs / ".temp"), listing(sk.bin)


def measure(sk: Shimkit, args: Sequence[str]) -> Tuple[float, float]:
    """Run ``args`` to completion once: (seconds it takes, seconds until the store first changes)."""
    before = _snapshot(sk)
    started = time.monotonic()
    proc = sk.popen(*args)
    first = None
    while proc.poll() is None:
        if first is None and _snapshot(sk) != before:
            first = time.monotonic() - started
        time.sleep(0.002)
    total = time.monotonic() - started
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 0, f"{' '.join(args)} failed while being measured: {err}"
    return total, first if first is not None else total * 0.5


def run_kill_trials(
    sk: Shimkit, plan: KillPlan, manifests: Mapping[str, Manifest], *, trials: int, seed: int, budget: float
) -> KillReport:
    """``trials`` kill -9 trials of ``plan``; the store invariants are checked right after each
    kill (the 'always' ones) and after the next command (all of them).

    The window is measured first (the median of three complete runs: the first run of a command
    is slower, its files are not cached yet); kill delays are drawn from it, a quarter anywhere
    in it (start-up included), the rest after the command is seen changing the store.
    """
    report = KillReport(plan.name, seed)
    started = time.monotonic()
    runs = []
    for _ in range(3):
        plan.setup(0)
        runs.append(measure(sk, plan.args(0)))
    report.window = sorted(r[0] for r in runs)[1]
    report.first_change = sorted(r[1] for r in runs)[1]
    changing = sorted(r[0] - r[1] for r in runs)[1]  # how long the command goes on changing the store
    rng = random.Random(seed)
    for i in range(trials):
        if time.monotonic() - started > budget:
            report.failures.append(f"time budget of {budget:.0f}s spent after {report.trials} trials")
            break
        plan.setup(i)
        args = list(plan.args(i))
        before = _snapshot(sk)
        # A quarter of the kills at a delay from the start (start-up included); the rest at a
        # delay from the moment the command is seen changing the store, which is where a kill
        # can do damage (start-up time varies too much on a loaded machine to aim from the start).
        from_start = rng.random() < 0.25
        delay = rng.uniform(0, report.window) if from_start else rng.uniform(0, max(0.01, changing))
        proc = sk.popen(*args)
        t0 = time.monotonic()
        if not from_start:
            while proc.poll() is None and _snapshot(sk) == before and time.monotonic() - t0 < report.window * 3:
                time.sleep(0.002)
            delay += time.monotonic() - t0
        try:
            proc.wait(timeout=max(0.0, delay - (time.monotonic() - t0)))
            killed = False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            killed = True
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        report.trials += 1
        if killed and _snapshot(sk) == before:
            report.killed_early += 1
        elif killed:
            report.killed_mid += 1
        label = f"trial {i} ({' '.join(args)}, kill at {delay:.3f}s{'' if killed else ', finished first'})"
        if not killed and proc.returncode != 0:
            report.failures.append(f"{label}: exited {proc.returncode}: {err.strip()[-400:]}")
        for p in store_problems(sk, manifests, settled=False):
            report.failures.append(f"{label}, right after the kill: {p}")
        after = list(plan.after(i))
        nxt = sk.run(*after)
        if nxt.returncode != 0:
            report.failures.append(
                f"{label}: the next command `{' '.join(after)}` exited {nxt.returncode}: {nxt.stderr.strip()[-400:]}"
            )
        for p in store_problems(sk, manifests, settled=True):
            report.failures.append(f"{label}, after `{' '.join(after)}`: {p}")
    report.seconds = time.monotonic() - started
    return report


# ---------------------------------------------------------------------------------- mounts


def unshare_available() -> Optional[str]:
    """None if this process may create mount namespaces and mount tmpfs, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    p = subprocess.run(
        ["unshare", "--mount", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True, text=True
    )
    if p.returncode != 0:
        return f"`unshare --mount` + `mount -t tmpfs` failed (needs root or CAP_SYS_ADMIN): {p.stderr.strip()}"
    return None


def in_mount_namespace(script: str, env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the ``sh`` ``script`` in a private mount namespace (mounts vanish with it), in $HOME."""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-euc", script],
        env=dict(env),
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
