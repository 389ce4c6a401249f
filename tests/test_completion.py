"""Value completion (issue 16): installed versions, available downloads and shell names, from the
install dir's names and a small per-platform list in the cache dir; no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shimkit import completion
from shimkit.downloads import EMBEDDED
from shimkit.metadata_cache import cache_file
from shimkit.platform import host
from shimkit.settings import Settings

HOST = str(host())


def test_the_spelled_out_paths_are_the_modules(tmp_path: Path) -> None:
    assert completion.EMBEDDED == str(EMBEDDED)
    assert cache_file(tmp_path) == tmp_path / completion.REFRESHED


def test_installed_versions_as_requests_and_keys(tmp_path: Path) -> None:
    for name in ("cpython-3.12.1", "cpython-3.13.0+freethreaded", "pypy-3.10.14"):
        (tmp_path / f"{name}-{HOST}" / "bin").mkdir(parents=True)
    os.symlink(f"cpython-3.12.1-{HOST}", tmp_path / f"cpython-3.12-{HOST}")
    words = completion.installed(tmp_path)
    assert {"3.12.1", "3.12", "3.13.0t", "3.13t", "pypy@3.10.14", "pypy@3.10"} <= set(words)
    assert completion.installed(tmp_path, incomplete="3.1") == [w for w in words if w.startswith("3.1")]
    assert f"cpython-3.12.1-{HOST}" in completion.installed(tmp_path, keys=True)
    assert completion.installed(tmp_path / "nothing") == []


def test_available_downloads_come_from_a_cached_list(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = Settings(install_dir=tmp_path / "installs")
    words = completion.available(settings)
    assert "3.12" in words and words.index("3.13") < words.index("3.12")  # newest first
    cached = tmp_path / "cache" / "shimkit" / "completion" / f"downloads-{HOST}.txt"
    assert cached.is_file()
    # the next completion reads only that file: no download-list module is imported
    prog = ("import sys; from shimkit import completion; from shimkit.settings import Settings; "
            f"w = completion.available(Settings(install_dir={str(tmp_path / 'installs')!r}), '3.1'); "
            "assert w and all(x.startswith('3.1') for x in w), w; "
            "heavy = [m for m in ('shimkit.downloads', 'json', 'httpx', 'jinja2', 'typer') if m in sys.modules]; "
            "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", prog], env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_shell_names() -> None:
    assert completion.shells() == ["bash", "zsh", "fish", "sh", "dash", "ksh", "nu", "xonsh", "pwsh", "posix",
                                   "ksh93", "nushell", "powershell"]
    assert completion.shells("p") == ["pwsh", "posix", "powershell"]
