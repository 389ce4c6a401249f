"""End to end with a real interpreter installed from a python-build-standalone archive (served by
the loopback mirror of tests/conftest.py): `shimkit install 3.12`, then the bash hook and the
shims run it in a project pinned to 3.12, and a venv made there follows the minor-version link."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Dict

import pytest
from shell_harness import DIALECTS, Session, env_for, shimkit_cmd
from support.cli import run_shimkit

pytestmark = pytest.mark.slow


def test_hook_and_shims_run_a_real_installation(
    shimkit_env: Dict[str, str], pbs_archives: dict, mirror: object, tmp_path: Path
) -> None:
    version = next(v for v in pbs_archives if v.startswith("3.12."))
    env = dict(shimkit_env)
    run_shimkit("install", "3.12", env=env, cwd=tmp_path, check=True)
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    real = next(p for p in installs.iterdir() if p.name.startswith(f"cpython-{version}-"))
    host = real.name[len(f"cpython-{version}-") :]
    link = installs / f"cpython-3.12-{host}"
    project = tmp_path / "project é"
    project.mkdir()
    (project / ".python-version").write_text("3.12\n", encoding="utf-8")

    session_env = {
        **env_for(Path(env["HOME"]), "/usr/bin:/bin"),
        **{k: v for k, v in env.items() if k.startswith("SHIMKIT_")},
    }
    with Session(DIALECTS["bash"], session_env, project, tmp_path) as s:
        s.load(" ".join(shlex.quote(w) for w in shimkit_cmd()), tmp_path)
        exe, prefix = s.which()
        assert exe == str(link / "bin" / "python")  # through the minor-version link
        assert os.path.realpath(prefix) == str(real)
        version_out = s.ask(
            r"""printf '\036%s\037\n' "$(python -c 'import platform; print(platform.python_version())')" """
        )
        assert version_out == version
        s.type("python -m venv .venv")
    cfg = (project / ".venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert f"home = {link / 'bin'}" in cfg  # a venv made in the project follows patch upgrades

    shims_dir = tmp_path / "shims"
    proc = run_shimkit("shims", "enable", "--shims-dir", str(shims_dir), env=env, cwd=tmp_path, check=True)
    assert proc.returncode == 0
    out = subprocess.run(
        [
            "/usr/bin/env",
            "-i",
            f"PATH={shims_dir}:/usr/bin:/bin",
            "python",
            "-c",
            "import sys; print(sys.executable); print(sys.version.split()[0])",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    name = "python" if (link / "bin" / "python").exists() else "python3"  # the shim's order
    assert out.stdout.split() == [str(link / "bin" / name), version], out.stderr
