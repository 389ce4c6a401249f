"""Zero processes per prompt, and none for a `cd` into a project with a plain pin (dash: one, to
read the version file with a byte limit).

Each shell runs the hook many times under ``strace -f``: once a script that only loads the hook
and enters one project, once the same script followed by 40 directory changes between projects
pinned to plain versions (3.11, 3.12.1, a subdirectory, a dir with nothing pinned) and 100
prompts without a change.  Both must start exactly the same number of processes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import List

import pytest
from shell_harness import FakeStore, Projects, find_shell, fish_quote, nu_quote

from shimkit import shell as shell_mod

FORKS = re.compile(r"\b(clone|clone3|fork|vfork)\(")
STEPS = ("app", "patch", "app/sub", "none", "other")


def script(shell: str, hook: Path, dirs: List[Path], rounds: int, prompts: int) -> List[str]:
    if shell in ("bash", "zsh", "dash", "ksh"):
        q = shell_mod.sh_quote
        body = [f". {q(str(hook))}", f"cd {q(str(dirs[0]))}", "_shimkit_hook"]
        for _ in range(rounds):
            for d in dirs:
                body += [f"cd {q(str(d))}", "_shimkit_hook"]
        body += ["_shimkit_hook"] * prompts
        return [find_shell(shell), "-fc" if shell == "zsh" else "-c", "\n".join(body)]
    if shell == "fish":
        body = [f"source {fish_quote(str(hook))}", f"cd {fish_quote(str(dirs[0]))}"]
        for _ in range(rounds):
            body += [f"cd {fish_quote(str(d))}" for d in dirs]
        body += ["_shimkit_on_prompt"] * prompts
        return [find_shell("fish"), "--no-config", "-c", "\n".join(body)]
    if shell == "xonsh":
        body = [f"execx(open({str(hook)!r}).read())", f"cd @({str(dirs[0])!r})"]
        for _ in range(rounds):
            body += [f"cd @({str(d)!r})" for d in dirs]
        body += ["events.on_pre_prompt.fire()"] * prompts
        return [find_shell("xonsh"), "--no-rc", "-c", "\n".join(body)]
    body = [f"source {nu_quote(str(hook))}", f"cd {nu_quote(str(dirs[0]))}", "_shimkit_hook"]
    for _ in range(rounds):
        for d in dirs:
            body += [f"cd {nu_quote(str(d))}", "_shimkit_hook"]
    body += ["_shimkit_hook"] * prompts
    return [find_shell("nu"), "--no-config-file", "-c", "\n".join(body)]


def count_forks(argv: List[str], tmp_path: Path, name: str) -> int:
    log = tmp_path / f"{name}.strace"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o", str(log), *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    # processes only: a clone with CLONE_THREAD is a thread of the shell itself (fish and nu run
    # worker threads whose number varies with timing)
    return sum(
        1
        for line in log.read_text().splitlines()
        if FORKS.search(line) and "resumed" not in line and "CLONE_THREAD" not in line
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash", "ksh", "fish", "nu", "xonsh"])
def test_no_process_per_prompt_or_plain_cd(
    shell: str, tmp_path: Path, fake_store: FakeStore, projects: Projects
) -> None:
    if shutil.which("strace") is None:
        pytest.fail("strace is not installed; CI installs it with: apt-get install strace", pytrace=False)
    hook = fake_store.write_hook(shell, tmp_path)
    dirs = [projects[s] for s in STEPS]
    base = count_forks(script(shell, hook, dirs, 0, 0), tmp_path, "base")
    busy = count_forks(script(shell, hook, dirs, 8, 100), tmp_path, "busy")
    if shell == "dash":
        # dash's `read` cannot stop after 64 KiB (nor avoid a system call per byte): it reads a
        # version file with one `head`, at most one per cd and none per prompt
        idle = count_forks(script(shell, hook, dirs, 0, 100), tmp_path, "idle")
        assert idle == base, f"dash: {idle - base} processes for 100 prompts"
        assert 0 < busy - base <= 8 * len(dirs), f"dash: {busy - base} processes for 40 cds"
        return
    assert busy == base, f"{shell}: {busy - base} processes for 40 cds and 100 prompts"
