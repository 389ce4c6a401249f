"""The rc line's cost (issue 16): `shimkit init SHELL` answers a shell start from its cache, and the
cached path imports nothing heavy (no jinja2, dataclasses, typing, platformdirs, not even
pathlib or hashlib).  Measured figures are in the issue's report; this checks the imports, which
is what made it cost ~100 ms."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import isolated_env

HEAVY = (
    "jinja2",
    "dataclasses",
    "typing",
    "platformdirs",
    "pathlib",
    "hashlib",
    "shimkit.settings",
    "shimkit.model.request",
    "shimkit.shellrender",
)


def imported(env: dict, shell: str) -> tuple[str, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "shimkit", "init", shell],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    names = {m.group(1) for m in re.finditer(r"\|\s+(\S+)\s*$", proc.stderr, re.M)}
    return proc.stdout, names


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "nu", "xonsh", "pwsh", "sh"])
def test_a_cached_init_imports_nothing_heavy(shell: str, tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    first, names = imported(env, shell)  # renders (jinja2) and stores
    assert "jinja2" in names
    again, names = imported(env, shell)
    assert again == first
    assert not [m for m in HEAVY if m in names], sorted(names)


def test_a_changed_setting_renders_again(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    first, _ = imported(env, "bash")
    other, names = imported({**env, "SHIMKIT_PYTHON_INSTALL_DIR": str(tmp_path / "elsewhere")}, "bash")
    assert "jinja2" in names and other != first and str(tmp_path / "elsewhere") in other
    config = Path(env["XDG_CONFIG_HOME"]) / "shimkit" / "shimkit.toml"
    config.parent.mkdir(parents=True)
    config.write_text('python-preference = "system"\n')
    changed, names = imported(env, "bash")
    assert "jinja2" in names and "_shimkit_pref=system" in changed.replace("'", "")
