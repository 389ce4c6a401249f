"""Value completion (issue 16): installed versions, available downloads and shell names, from the
install dir's names and a small per-platform list in the cache dir; no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shimkit import completion
from shimkit.platform import host

HOST = str(host())


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [k for k in os.environ if k.startswith("SHIMKIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SHIMKIT_PYTHON_INSTALL_DIR", str(tmp_path / "installs"))
    return tmp_path


def test_installed_versions(env: Path) -> None:
    for name in ("cpython-3.12.1", "cpython-3.13.0+freethreaded", "pypy-3.10.14"):
        (env / "installs" / f"{name}-{HOST}" / "bin").mkdir(parents=True)
    assert set(completion.candidates("installed")) == {
        "3.12",
        "3.12.1",
        "3.13t",
        "3.13.0t",
        "pypy@3.10",
        "pypy@3.10.14",
    }


def test_available_downloads_come_from_a_cached_list(env: Path) -> None:
    words = completion.candidates("available")
    assert "3.12" in words and words.index("3.13") < words.index("3.12")  # newest first
    assert (env / "cache" / "shimkit" / "completion" / f"downloads-{HOST}.txt").is_file()
    # the next press reads only that file: no download-list module is imported
    prog = (
        "import sys; from shimkit import completion; w = completion.candidates('available'); "
        "assert '3.12' in w, w; "
        "heavy = [m for m in ('shimkit.downloads', 'json', 'httpx', 'jinja2', 'typer') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    proc = subprocess.run([sys.executable, "-c", prog], env=dict(os.environ), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert completion.candidates("pinnable")[: len(words)] == words  # nothing installed: all downloads


def test_shell_names() -> None:
    assert completion.candidates("shells") == ["bash", "zsh", "fish", "sh", "dash", "ksh", "nu", "xonsh", "pwsh"]
