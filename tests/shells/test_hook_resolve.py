"""`shimkit hook-resolve`: the one Python call a hook or shim makes for requests it cannot resolve
in shell.  Its protocol (line 1 the bin dir or nothing, then messages), what it resolves to, and
that it stays on the fast lane (no typer, rich, httpx, jinja2 or platformdirs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from shell_harness import FakeStore, Projects, write

HEAVY = ("typer", "rich", "httpx", "jinja2", "platformdirs")


def resolve(store: FakeStore, d: Path, env: Dict[str, str], global_file: Path) -> List[str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "shimkit",
            "hook-resolve",
            "--install-dir",
            str(store.root),
            "--host",
            store.host,
            "--global-file",
            str(global_file),
            "--",
            str(d),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout.split("\n")[:-1]


def test_protocol_and_answers(tmp_path: Path, fake_store: FakeStore, projects: Projects) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    g = tmp_path / "global" / ".python-version"
    s = fake_store
    assert resolve(s, projects["app"], env, g) == [str(s.bin("3.11"))]  # through the minor link
    assert resolve(s, projects["patch"], env, g) == [str(s.bin("3.12.1"))]  # the patch's own dir
    assert resolve(s, projects["ranged"], env, g) == [str(s.bin("3.13"))]
    assert resolve(s, projects["member"], env, g) == [str(s.bin("3.13"))]
    assert resolve(s, projects["req"], env, g) == [str(s.bin("3.12"))]
    assert resolve(s, projects["none"], env, g) == [""]
    missing = resolve(s, projects["missing"], env, g)
    assert missing[0] == "" and missing[1:] == [
        f"shimkit: Python 3.10 ({projects['missing'] / '.python-version'}) is not installed; run: shimkit install 3.10"
    ]
    hostile = resolve(s, projects["hostile"], env, g)
    # `$(touch pwned)`touch pwned2`;touch pwned3`: its words are refused one by one, nothing runs
    assert hostile[0] == "" and len(hostile) >= 2 and all(h.startswith("shimkit: warning: ") for h in hostile[1:])
    # requires-python that nothing satisfies is not a pin: no hint
    write(projects["req"] / "pyproject.toml", '[project]\nname = "r"\nrequires-python = ">=3.14"\n')
    assert resolve(s, projects["req"], env, g) == [""]
    # the session override wins; SHIMKIT_NO_CONFIG turns the walk (not the override) off
    assert resolve(s, projects["app"], dict(env, SHIMKIT_PYTHON=" 3.13 "), g) == [str(s.bin("3.13"))]
    assert resolve(s, projects["app"], dict(env, SHIMKIT_NO_CONFIG="yes"), g) == [""]
    write(g, "3.12.1\n")
    assert resolve(s, projects["none"], env, g) == [str(s.bin("3.12.1"))]


def test_it_stays_on_the_fast_lane(tmp_path: Path, fake_store: FakeStore, projects: Projects) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "shimkit",
            "hook-resolve",
            "--install-dir",
            str(fake_store.root),
            str(projects["ranged"]),
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.startswith(str(fake_store.bin("3.13")))
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert not imported & set(HEAVY), imported & set(HEAVY)


def test_unknown_arguments_go_to_the_typer_command(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "shimkit", "hook-resolve", "--help"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60,
    )
    assert proc.returncode == 0 and "--install-dir" in proc.stdout
