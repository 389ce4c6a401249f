"""Defect 2 of issue 16 with a real installation (from the loopback mirror's archives), typed into
real shells: `shimkit venv`, activate, `pip install` a wheel built here (no network), import it;
and the shared managed installation refuses `pip install` with a message naming `shimkit venv`.

Before the fix the venv had no pip: `pip` was the managed installation's (next on PATH), the
package landed there, and `python -c 'import skdemo'` failed in the venv."""

from __future__ import annotations

import base64
import hashlib
import shlex
import subprocess
import zipfile
from pathlib import Path
from typing import Dict

import pytest
from shell_harness import DIALECTS, Session, env_for, fish_quote, shimkit_cmd
from support.cli import run_shimkit

pytestmark = pytest.mark.slow


def build_wheel(where: Path) -> Path:
    """A pure-Python wheel ``skdemo 1.0`` written by hand (PEP 427): no build backend, no network."""
    files = {
        "skdemo/__init__.py": b"MARK = 'skdemo works'\n",
        "skdemo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: skdemo\nVersion: 1.0\n",
        "skdemo-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("skdemo-1.0.dist-info/RECORD,,")
    wheel = where / "skdemo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("skdemo-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def run_status(s: Session, command: str) -> tuple[str, str]:
    """(exit status, output) of one typed command line."""
    s._ready()
    s.shell.send(f"{command}; {s.d.status_query}")
    return s.shell.expect()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_pip_in_a_shimkit_venv_installs_there_and_the_managed_python_refuses(
    shell: str, shimkit_env: Dict[str, str], mirror: object, tmp_path: Path
) -> None:
    env = {**shimkit_env, "SHIMKIT_NO_COMPILE": "1"}
    run_shimkit("install", "3.12", env=env, cwd=tmp_path, check=True)
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    real = next(p for p in installs.iterdir() if p.name.startswith("cpython-3.12.") and not p.is_symlink())
    marker = real / "lib" / "python3.12" / "EXTERNALLY-MANAGED"
    assert "shimkit venv" in marker.read_text(encoding="utf-8")
    # real PBS archives ship pip (bin/pip …); the test archives are built without: add it with
    # the marker moved aside (ensurepip drops PIP_BREAK_SYSTEM_PACKAGES), then put it back
    aside = marker.with_name("marker-aside")
    marker.rename(aside)
    subprocess.run(
        [str(real / "bin" / "python3"), "-m", "ensurepip", "--default-pip"],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    aside.rename(marker)
    assert (real / "bin" / "pip").exists()

    wheel = build_wheel(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".python-version").write_text("3.12\n", encoding="utf-8")
    session_env = {
        **env_for(Path(env["HOME"]), "/usr/bin:/bin"),
        **{k: v for k, v in env.items() if k.startswith("SHIMKIT_")},
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INDEX": "1",  # never the network
    }
    d = DIALECTS[shell]
    q = fish_quote if shell == "fish" else shlex.quote
    activate = "source .venv/bin/activate.fish" if shell == "fish" else ". .venv/bin/activate"
    with Session(d, session_env, project, tmp_path) as s:
        s.load(" ".join(shlex.quote(w) for w in shimkit_cmd()), tmp_path)
        out = s.type(d.run("venv"))
        assert (project / ".venv" / "bin" / "pip").exists(), out  # seeded, as `python -m venv` does
        s.type(activate)
        status, out = run_status(s, f"pip install {q(str(wheel))}")
        assert status == "0", out
        got = s.ask(r"""python -c 'import skdemo; print("\036" + skdemo.MARK + "\037")'""")
        assert got == "skdemo works"
        assert list((project / ".venv" / "lib").glob("python3.12/site-packages/skdemo/__init__.py"))
        s.type("deactivate")
        # the shared installation: pip refuses, and says what to do instead
        status, out = run_status(s, f"pip install {q(str(wheel))}")
        assert status != "0", out
        assert "externally-managed-environment" in out and "shimkit venv" in out, out
    assert not list(real.glob("lib/python3.12/site-packages/skdemo"))
