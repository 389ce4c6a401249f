"""Settings: flags > ``SHIMKIT_*`` environment variables > ``shimkit.toml``, one table documenting
them all, and errors that name the file, the key and the accepted values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterator

import pytest
from support import cli

from shimkit import settings as s
from shimkit.errors import ConfigError


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for var in list(os.environ):
        if var.startswith(("SHIMKIT_", "XDG_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".config" / "shimkit").mkdir(parents=True)
    yield tmp_path


def config(home: Path, text: str) -> Path:
    path = home / ".config" / "shimkit" / "shimkit.toml"
    path.write_text(text)
    return path


def test_defaults(home: Path) -> None:
    st = s.load_settings()
    assert (st.python_preference, st.python_downloads, st.offline, st.no_config) == (
        "managed",
        "automatic",
        False,
        False,
    )
    assert st.install_dir == str(home / ".local" / "share" / "shimkit" / "python")
    assert st.bin_dir == str(home / ".local" / "bin")
    assert st.config_file is None


@pytest.mark.parametrize(
    ("key", "attr", "file_value", "env_value", "flag_value"),
    [
        ("python-preference", "python_preference", "system", "only-managed", "only-system"),
        ("python-downloads", "python_downloads", "never", "manual", "automatic"),
        ("install-dir", "install_dir", "/from/file", "/from/env", "/from/flag"),
        ("bin-dir", "bin_dir", "/from/file", "/from/env", "/from/flag"),
        ("mirror", "mirror", "http://127.0.0.1:1/file", "http://127.0.0.1:1/env", "http://127.0.0.1:1/flag"),
        ("downloads-json", "downloads_json", "/file.json", "/env.json", "/flag.json"),
    ],
)
def test_flags_beat_env_beat_file(
    home: Path, monkeypatch: pytest.MonkeyPatch, key: str, attr: str, file_value: str, env_value: str, flag_value: str
) -> None:
    spec = next(x for x in s.SETTINGS if x.key == key)

    def value(st: s.Settings) -> str:
        return str(getattr(st, attr))

    default = value(s.load_settings())
    path = config(home, f'{key} = "{file_value}"\n')
    st = s.load_settings()
    assert value(st) == file_value and st.config_file == str(path)
    monkeypatch.setenv(spec.env, env_value)
    assert value(s.load_settings()) == env_value
    assert value(s.load_settings().with_overrides(**{attr: flag_value})) == flag_value
    assert value(s.load_settings().with_overrides(**{attr: None})) == env_value  # a flag not given
    # without the config file (--no-config / SHIMKIT_NO_CONFIG) the file's value is gone
    monkeypatch.delenv(spec.env)
    assert value(s.load_settings(read_config=False)) == default
    monkeypatch.setenv("SHIMKIT_NO_CONFIG", "1")
    assert value(s.load_settings()) == default


def test_invalid_value_in_config_file_names_file_key_and_accepted_values(home: Path) -> None:
    path = config(home, 'python-downloads = "sometimes"\n')
    with pytest.raises(ConfigError) as exc:
        s.load_settings()
    assert exc.value.one_line() == (
        f"{path}: invalid value 'sometimes' for python-downloads; hint: expected one of automatic, manual, never"
    )
    assert exc.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "python-preference = 3\n",
            "invalid value 3 for python-preference; hint: expected one of only-managed, managed, system, only-system",
        ),
        ('offline = "perhaps"\n', "invalid value 'perhaps' for offline; hint: expected true or false"),
        ('install-dir = ""\n', "invalid value '' for install-dir; hint: expected a path"),
        ("mirror = [1]\n", "invalid value [1] for mirror; hint: expected a string"),
        (
            'python_preference = "system"\n',
            "unknown setting 'python_preference'; hint: accepted settings: bin-dir, "
            "compile-bytecode, downloads-json, install-dir, metadata-auto-refresh, "
            "mirror, offline, python-downloads, python-preference",
        ),
    ],
)
def test_config_file_errors(home: Path, text: str, expected: str) -> None:
    path = config(home, text)
    with pytest.raises(ConfigError) as exc:
        s.load_settings()
    assert exc.value.one_line() == f"{path}: {expected}"


def test_unparseable_config_file_names_the_file(home: Path) -> None:
    path = config(home, "python-preference = \n")
    with pytest.raises(ConfigError) as exc:
        s.load_settings()
    assert exc.value.one_line().startswith(f"{path} is not valid TOML")


def test_invalid_environment_value_names_the_variable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIMKIT_PYTHON_PREFERENCE", "sometimes")
    with pytest.raises(ConfigError) as exc:
        s.load_settings()
    assert exc.value.one_line().startswith("SHIMKIT_PYTHON_PREFERENCE: invalid value 'sometimes'")


def test_env_values_are_case_and_space_insensitive(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIMKIT_PYTHON_PREFERENCE", " Only-System ")
    monkeypatch.setenv("SHIMKIT_OFFLINE", "YES")
    st = s.load_settings()
    assert (st.python_preference, st.offline) == ("only-system", True)


def test_relative_paths_in_the_config_file_are_relative_to_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config(home, 'install-dir = "pythons"\nbin-dir = "~/mybin"\n')
    monkeypatch.chdir(tmp_path)
    st = s.load_settings()
    assert st.install_dir == str(path.parent / "pythons")
    assert st.bin_dir == str(home / "mybin")
    monkeypatch.setenv("SHIMKIT_PYTHON_INSTALL_DIR", "$HOME/py")
    assert s.load_settings().install_dir == str(home / "py")


def test_every_setting_is_documented_once() -> None:
    attrs = [spec.attr for spec in s.SETTINGS]
    fields = {name for name in s.Settings.__slots__ if not name.startswith("_")} - {"config_file"}
    assert sorted(attrs) == sorted(fields) and len(set(attrs)) == len(attrs)
    for spec in s.SETTINGS:
        assert spec.env.startswith("SHIMKIT_") and spec.help.strip()
        assert spec.kind in ("path", "str", "bool", "choice")
        if spec.kind == "choice":
            assert spec.choices and spec.default_doc in spec.choices
    keys = {spec.key for spec in s.SETTINGS}
    assert {"python-preference", "python-downloads", "install-dir", "bin-dir", "mirror", "downloads-json"} <= keys


def test_cli_reports_a_bad_config_file_in_one_line(tmp_path: Path) -> None:
    env: Dict[str, str] = cli.isolated_env(tmp_path)
    path = Path(env["XDG_CONFIG_HOME"]) / "shimkit" / "shimkit.toml"
    path.parent.mkdir(parents=True)
    path.write_text('python-preference = "newest"\n')
    for args in (["find"], ["pin"], ["list", "--only-installed"]):
        p = cli.run_shimkit(*args, env=env, cwd=tmp_path)
        assert p.returncode == 2, (args, p.stderr)
        assert p.stderr == (
            f"error: {path}: invalid value 'newest' for python-preference; hint: expected one of "
            "only-managed, managed, system, only-system\n"
        )
    # --no-config skips the file entirely
    assert cli.run_shimkit("find", "--no-config", env=env, cwd=tmp_path).returncode == 0
    assert cli.run_shimkit("find", env=dict(env, SHIMKIT_NO_CONFIG="1"), cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("xdg", [False, True])
def test_user_dirs_agree_with_platformdirs_on_linux(home: Path, monkeypatch: pytest.MonkeyPatch, xdg: bool) -> None:
    # shimkit.dirs computes the XDG rules itself (platformdirs costs ~30 ms to import); on Linux
    # both must name the same directories, with and without the XDG variables set
    import platformdirs

    from shimkit import dirs

    if xdg:
        for var, sub in (("XDG_DATA_HOME", "d"), ("XDG_CONFIG_HOME", "c"), ("XDG_CACHE_HOME", "k")):
            monkeypatch.setenv(var, str(home / sub))
    assert dirs.user_data_dir() == platformdirs.user_data_dir("shimkit", appauthor=False)
    assert dirs.user_config_dir() == platformdirs.user_config_dir("shimkit", appauthor=False, roaming=True)
    assert dirs.user_cache_dir() == platformdirs.user_cache_dir("shimkit", appauthor=False)
