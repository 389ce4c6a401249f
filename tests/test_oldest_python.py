"""shimkit running on the oldest Python it supports, 3.9 (RHEL 9's system Python).

The rest of the suite runs shimkit on the test runner's interpreter. Here install.sh puts shimkit
into a 3.9 virtual environment (its dependencies come from the package index, as for a user), and
that shimkit does the everyday work against the loopback mirror: install, list, pin, find, venv,
upgrade, the hook's helpers, doctor and uninstall. Syntax or library calls newer than 3.9 fail here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest
from support import cli, pbs

ROOT = Path(__file__).resolve().parent.parent
HOST = "linux-x86_64-gnu"


@pytest.mark.slow
def test_shimkit_on_python_3_9(
    tmp_path: Path, mirror, pbs_archives: dict, real_sources: List[pbs.InterpreterSource]
) -> None:
    oldest = [s for s in real_sources if (s.major, s.minor) == (3, 9)]
    if not oldest:
        pytest.fail("no CPython 3.9 here: the suite needs one (pyenv install 3.9.18)", pytrace=False)
    env: Dict[str, str] = cli.isolated_env(tmp_path, downloads_json_url=mirror.downloads_json_url)
    env["PATH"] = "/usr/bin:/bin"  # not the test runner's venv
    home = Path(env["HOME"])
    proc = subprocess.run(
        [
            "sh",
            str(ROOT / "install.sh"),
            "--from",
            str(ROOT),
            "--python",
            str(oldest[0].executable),
            "--no-modify-path",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shimkit = Path(env["SHIMKIT_BIN_DIR"]) / "shimkit"  # install.sh and shimkit share SHIMKIT_BIN_DIR
    runtime = subprocess.run(
        [str(home / ".local/share/shimkit/env/bin/python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert runtime == "3.9"

    def sk(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        p = subprocess.run(
            [str(shimkit), *args], env=dict(env, PWD=str(cwd)), cwd=cwd, capture_output=True, text=True, timeout=300
        )
        assert p.returncode == 0, f"shimkit {' '.join(args)} exited {p.returncode}\n{p.stdout}{p.stderr}"
        return p

    installs, bindir = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"]), Path(env["SHIMKIT_BIN_DIR"])
    v312 = next(v for v in pbs_archives if v.startswith("3.12."))
    sk("install", "3.11.2", "3.12")
    assert os.readlink(installs / f"cpython-3.11-{HOST}") == f"cpython-3.11.2-{HOST}"
    listing = sk("list", "--only-installed").stdout
    assert f"cpython-3.11.2-{HOST}" in listing and f"cpython-{v312}-{HOST}" in listing

    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    sk("pin", "3.11", cwd=project)
    assert (project / ".python-version").read_text() == "3.11\n"
    assert sk("find", cwd=project).stdout.strip() == str(installs / f"cpython-3.11-{HOST}" / "bin" / "python3.11")
    sk("venv", cwd=project)
    venv_python = project / ".venv" / "bin" / "python"

    def version(exe: Path) -> str:
        return subprocess.run(
            [str(exe), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=True
        ).stdout.strip()

    assert version(venv_python) == "3.11.2"
    assert "3.11.2 -> 3.11.7" in sk("upgrade").stdout
    assert version(venv_python) == "3.11.7"  # the venv followed the minor-version link
    assert version(bindir / "python3.11") == "3.11.7"

    resolved = sk("hook-resolve", str(project)).stdout
    assert f"cpython-3.11-{HOST}/bin" in resolved
    hook = sk("init", "bash").stdout
    assert subprocess.run(["bash", "-n"], input=hook, text=True).returncode == 0
    doctor = subprocess.run([str(shimkit), "doctor"], env=env, cwd=project, capture_output=True, text=True)
    assert "Traceback" not in doctor.stderr and "minor-version links" in doctor.stdout, doctor.stdout + doctor.stderr
    sk("uninstall", "3.11")
    assert not (installs / f"cpython-3.11-{HOST}").is_symlink()
    assert not (bindir / "python3.11").is_symlink()
