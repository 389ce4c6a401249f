"""PEP 668 (issue 16): every managed installation is marked externally managed, the new ones by
the installer and the ones an older shimkit made at the next install or upgrade; and
`shimkit shell` refuses a version nothing provides (shimkit.session)."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from support.cli import run_shimkit

from shimkit import externally_managed
from shimkit.errors import RequestError
from shimkit.model.key import PythonKey
from shimkit.session import NotInstalledError, check_shell_request
from shimkit.settings import Settings

pytestmark = pytest.mark.slow


def test_pip_reads_the_message_that_names_shimkit_venv(tmp_path: Path) -> None:
    # pip reads the file with configparser, section externally-managed, key Error
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(externally_managed.text())
    message = parser.get("externally-managed", "Error")
    assert "shimkit venv" in message and "pip install --break-system-packages" in message


def test_a_new_installation_is_marked_and_an_older_one_gets_it_at_the_next_install(
    shimkit_env: dict, mirror: object, pbs_archives: dict, tmp_path: Path
) -> None:
    env = {**shimkit_env, "SHIMKIT_NO_COMPILE": "1"}
    run_shimkit("install", "3.12", env=env, cwd=tmp_path, check=True)
    installs = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    first = next(p for p in installs.iterdir() if p.name.startswith("cpython-3.12.") and not p.is_symlink())
    marker = first / "lib" / "python3.12" / "EXTERNALLY-MANAGED"
    assert marker.read_text(encoding="utf-8") == externally_managed.text()
    marker.unlink()  # as an installation made by an older shimkit
    other = next(v for v in pbs_archives if not v.startswith("3.12."))
    run_shimkit("install", other, env=env, cwd=tmp_path, check=True)
    assert marker.read_text(encoding="utf-8") == externally_managed.text()
    key = PythonKey.parse(first.name)
    assert key is not None and externally_managed.is_marked(first, key)


def test_shell_accepts_what_is_there_and_refuses_what_is_not(tmp_path: Path, monkeypatch) -> None:
    host = str(Settings().host)
    root = tmp_path / "installs"
    (root / f"cpython-3.12.1-{host}" / "bin").mkdir(parents=True)
    (root / f"cpython-3.12.1-{host}" / "bin" / "python3.12").write_text("")
    monkeypatch.setenv("PATH", "/nonexistent")  # no system interpreters
    monkeypatch.setenv("HOME", str(tmp_path))  # no pyenv, uv or mise
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    settings = Settings(install_dir=root)
    assert check_shell_request(" 3.12 ", settings, str(tmp_path)) == "3.12"
    with pytest.raises(NotInstalledError) as info:
        check_shell_request("3.10", settings, str(tmp_path))
    assert info.value.exit_code == 1 and "shimkit install 3.10" in (info.value.hint or "")
    assert check_shell_request("3.10", settings, str(tmp_path), force=True) == "3.10"
    with pytest.raises(NotInstalledError) as info:
        check_shell_request("3.7.1", settings, str(tmp_path))  # no download of it either
    assert "no download" in (info.value.hint or "")
    with pytest.raises(RequestError):
        check_shell_request("../bin/python", settings, str(tmp_path), force=True)
