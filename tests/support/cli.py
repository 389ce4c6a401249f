"""Run the ``shimkit`` CLI as a subprocess in an isolated environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Mapping, Optional, Union


def isolated_env(tmp_path: Path, downloads_json_url: Optional[str] = None) -> Dict[str, str]:
    """An environment built from scratch (nothing inherited, so no PYTHON*, VIRTUAL_ENV, PYENV*,
    SHIMKIT_* or XDG_* from the developer's shell leaks in).

    Everything shimkit may write lives under ``tmp_path``: HOME, the XDG base directories, the
    managed install dir (``tmp_path/installs``) and the bin dir (``tmp_path/bin``).  Only HOME is
    created; shimkit must create the rest itself.  PATH is the test venv's bin directory (for
    ``shimkit`` itself) plus /usr/bin:/bin.
    """
    home = Path(tmp_path) / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_BIN_HOME": str(home / ".local" / "bin"),
        "SHIMKIT_PYTHON_INSTALL_DIR": str(Path(tmp_path) / "installs"),
        "SHIMKIT_BIN_DIR": str(Path(tmp_path) / "bin"),
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    if downloads_json_url is not None:
        env["SHIMKIT_PYTHON_DOWNLOADS_JSON_URL"] = downloads_json_url
    return env


def run_shimkit(
    *args: Union[str, os.PathLike[str]],
    env: Mapping[str, str],
    cwd: Optional[Union[str, os.PathLike[str]]] = None,
    check: bool = False,
    input: Optional[str] = None,
    timeout: float = 300.0,
) -> subprocess.CompletedProcess[str]:
    """``python -m shimkit ARGS`` with exactly ``env``; text output captured.

    ``check=True`` raises AssertionError carrying the command, exit code, stdout and stderr
    (more useful in a pytest report than CalledProcessError).
    """
    cmd = [sys.executable, "-m", "shimkit", *(os.fspath(a) for a in args)]
    proc = subprocess.run(
        cmd,
        env=dict(env),
        cwd=None if cwd is None else os.fspath(cwd),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd[2:])} exited {proc.returncode}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"
        )
    return proc
