"""Eight shimkit processes installing, upgrading and uninstalling overlapping versions at once,
while readers run venv interpreters and bin entries in a loop.

Every command must succeed: a command that finds the install dir busy waits on the lock, it does
not fail.  The workload is chosen so that every command is valid in every interleaving: each
version that gets uninstalled has exactly one process uninstalling it, which installed it just
before; the others only install it (or find it installed).  The 3.11 patch the readers' venv
can fall back to (the older one) and the 3.12 installation stay installed throughout.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest
from relkit import Shimkit, Templates, minor_key, state, store_problems, temp_entries
from slim import Manifest

ROUNDS = 3

pytestmark = pytest.mark.timeout(600)


def test_eight_processes_and_readers(
    sk: Shimkit, templates: Templates, manifests: Dict[str, Manifest], slim_versions, report
) -> None:
    old, new, v312, other = slim_versions
    mm311, mm312, mm_other = (v.rsplit(".", 1)[0] for v in (old, v312, other))
    templates.reset(sk, [old, v312])
    venvs = {}
    for mm in (mm311, mm312):
        path = sk.root / f"venv-{mm}"
        sk.run("venv", str(path), "-p", mm, "--without-pip", check=True)  # slim installations have no ensurepip
        venvs[mm] = path / "bin" / "python"
    # The readers below always run on some patch; an uninstall of a patch one of them is using at
    # that moment is refused (exit 1, "in use by pid …": tests/test_running_processes.py), which
    # is the right outcome here too: what is under test is that every step leaves the store whole.
    workers: List[List[List[str]]] = [
        [["install", new], ["uninstall", new]],  # the only process that removes `new`
        [["upgrade"]],
        [["upgrade", mm311]],
        [["install", old, mm312]],  # already installed: takes the lock, refreshes bin entries
        [["install", mm311, "--default"]],
        [["install", mm_other], ["uninstall", other]],  # the only process that removes `other`
        [["install", mm_other, new]],  # several versions in one command
        [["install", new], ["list", "--only-installed"], ["find", mm311]],
    ]
    failures: List[str] = []
    commands = 0
    lock = threading.Lock()

    def worker(steps: List[List[str]]) -> None:
        nonlocal commands
        for _ in range(ROUNDS):
            for args in steps:
                p = sk.run(*args, timeout=600)
                with lock:
                    commands += 1
                    refused_in_use = args[0] == "uninstall" and p.returncode == 1 and "in use by" in p.stderr
                    if p.returncode != 0 and not refused_in_use:
                        failures.append(f"`shimkit {' '.join(args)}` exited {p.returncode}: {p.stderr.strip()[-500:]}")

    stop = threading.Event()
    reads = 0
    read_failures: List[str] = []
    readers = [
        [str(venvs[mm311]), "-c", "import json, sysconfig; import sys; assert sys.version_info[:2] == (3, 11)"],
        [str(venvs[mm312]), "-c", "import json, sysconfig"],
        [str(sk.bin / f"python{mm311}"), "-c", "import json, sysconfig"],
        [str(sk.bin / f"python{mm312}"), "-c", "import json, sysconfig"],
    ]

    def reader(cmd: List[str]) -> None:
        nonlocal reads
        while not stop.is_set():
            p = subprocess.run(cmd, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
            with lock:
                reads += 1
                if p.returncode != 0:
                    read_failures.append(f"{' '.join(cmd[:1])} exited {p.returncode}: {p.stderr.strip()[-400:]}")

    reader_threads = [threading.Thread(target=reader, args=(cmd,)) for cmd in readers]
    worker_threads = [threading.Thread(target=worker, args=(steps,)) for steps in workers]
    started = time.monotonic()
    for t in reader_threads + worker_threads:
        t.start()
    try:
        for t in worker_threads:
            t.join()
    finally:
        stop.set()
        for t in reader_threads:
            t.join()
    seconds = time.monotonic() - started
    problems = store_problems(sk, manifests, settled=True)
    report(
        f"concurrency: {commands} commands in 8 processes, {len(failures)} failed; {reads} reader runs, "
        f"{len(read_failures)} failed; {len(problems)} invariant violations at the end; {seconds:.0f}s"
    )
    assert not failures, "\n".join(failures[:20])
    assert not read_failures, "\n".join(read_failures[:20])
    assert not problems, "\n".join(problems)
    assert temp_entries(sk) == []
    # Nothing was lost: the versions nobody uninstalls are there, and the links are right.
    final = state(sk)
    assert final[f"installs/{minor_key(v312)}"] is not None and final[f"installs/{minor_key(old)}"] is not None
    assert reads > 20
    assert Path(venvs[mm311]).exists()
