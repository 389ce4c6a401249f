"""Settings: command-line flags > ``SHIMKIT_*`` environment variables > ``shimkit.toml``.

Every setting is declared once in :data:`SETTINGS` (name in the config file, environment
variable, type, accepted values, help).  The docs' configuration reference and the
``--help`` texts are generated from that table, so they cannot drift from the code.
:func:`load_settings` is the one reader: every command, the hooks' helper included, builds its
:class:`Settings` there, so a value is accepted or refused the same way everywhere.

Cheap to import (``find`` and the hooks' helper load it on every call): no dataclasses, typing
or pathlib at run time, and the TOML parser only when a config file exists.  Paths are therefore
plain ``str`` (absolute for ``install_dir``); callers that want ``pathlib.Path`` wrap them.
"""

from __future__ import annotations

import os

from . import dirs
from .errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Mapping, Optional

    from .model.key import PlatformTriple

PYTHON_PREFERENCES = ("only-managed", "managed", "system", "only-system")
PYTHON_DOWNLOADS = ("automatic", "manual", "never")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


class SettingSpec:
    """One setting: where it can come from and what it accepts."""

    __slots__ = ("attr", "choices", "default_doc", "env", "help", "key", "kind")

    def __init__(
        self, attr: str, key: str, env: str, kind: str, help: str, choices: tuple[str, ...] = (), default_doc: str = ""
    ) -> None:
        self.attr = attr  # attribute of Settings
        self.key = key  # key in shimkit.toml ("" for environment-only settings)
        self.env = env  # environment variable
        self.kind = kind  # "path", "str", "bool", "choice"
        self.help = help
        self.choices = choices
        self.default_doc = default_doc


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "install_dir",
        "install-dir",
        "SHIMKIT_PYTHON_INSTALL_DIR",
        "path",
        "Directory holding managed Python installations and their minor-version links.",
        default_doc="<user data dir>/shimkit/python (~/.local/share/shimkit/python)",
    ),
    SettingSpec(
        "bin_dir",
        "bin-dir",
        "SHIMKIT_BIN_DIR",
        "path",
        "Directory receiving python3.X executables (symlinks on POSIX, trampolines on Windows).",
        default_doc="$XDG_BIN_HOME, else ~/.local/bin",
    ),
    SettingSpec(
        "mirror",
        "mirror",
        "SHIMKIT_PYTHON_INSTALL_MIRROR",
        "str",
        "URL replacing https://github.com/astral-sh/python-build-standalone/releases/download "
        "in download URLs (http://, https:// or file://).",
    ),
    SettingSpec(
        "downloads_json",
        "downloads-json",
        "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL",
        "str",
        "Path or URL of a download metadata file (the python-downloads.json shape) used instead of the embedded list.",
    ),
    SettingSpec(
        "offline",
        "offline",
        "SHIMKIT_OFFLINE",
        "bool",
        "Never touch the network; installs from local archives and file:// mirrors still work.",
        default_doc="false",
    ),
    SettingSpec(
        "python_preference",
        "python-preference",
        "SHIMKIT_PYTHON_PREFERENCE",
        "choice",
        "Which interpreters `find` and `venv` consider: only-managed, managed (managed first), "
        "system (system first), only-system.",
        choices=PYTHON_PREFERENCES,
        default_doc="managed",
    ),
    SettingSpec(
        "python_downloads",
        "python-downloads",
        "SHIMKIT_PYTHON_DOWNLOADS",
        "choice",
        "Whether a missing version may be downloaded by `venv -p` (automatic), only by "
        "`install` (manual), or never (`find` and the shell hooks only ever look).",
        choices=PYTHON_DOWNLOADS,
        default_doc="automatic",
    ),
    SettingSpec(
        "no_config",
        "",
        "SHIMKIT_NO_CONFIG",
        "bool",
        "Ignore .python-version files and shimkit.toml.",
        default_doc="false",
    ),
    SettingSpec(
        "metadata_auto_refresh",
        "metadata-auto-refresh",
        "SHIMKIT_METADATA_AUTO_REFRESH",
        "bool",
        "Refresh the download list automatically, at most once a day (never from a shell hook).",
        default_doc="false",
    ),
    SettingSpec(
        "compile_bytecode",
        "compile-bytecode",
        "SHIMKIT_COMPILE_BYTECODE",
        "bool",
        "Compile the standard library's bytecode when installing (seconds per install). Off, Python "
        "writes each module's bytecode the first time it is imported, as after `uv python install`; "
        "turn it on for read-only or shared install dirs, or where PYTHONDONTWRITEBYTECODE is set.",
        default_doc="false",
    ),
)


class Settings:
    """Resolved settings, built once per command and passed explicitly to core functions."""

    __slots__ = (
        "_host",
        "bin_dir",
        "compile_bytecode",
        "config_file",
        "downloads_json",
        "install_dir",
        "metadata_auto_refresh",
        "mirror",
        "no_config",
        "offline",
        "python_downloads",
        "python_preference",
    )

    def __init__(
        self,
        *,
        install_dir: Optional[str] = None,
        bin_dir: Optional[str] = None,
        mirror: Optional[str] = None,
        downloads_json: Optional[str] = None,
        offline: bool = False,
        python_preference: str = "managed",
        python_downloads: str = "automatic",
        no_config: bool = False,
        metadata_auto_refresh: bool = False,
        compile_bytecode: bool = False,
        config_file: Optional[str] = None,
    ) -> None:
        self.install_dir = os.path.abspath(install_dir if install_dir is not None else dirs.default_install_dir())
        self.bin_dir = os.fspath(bin_dir) if bin_dir is not None else dirs.default_bin_dir()
        self.mirror = mirror
        self.downloads_json = downloads_json
        self.offline = offline
        self.python_preference = python_preference
        self.python_downloads = python_downloads
        self.no_config = no_config
        self.metadata_auto_refresh = metadata_auto_refresh
        self.compile_bytecode = compile_bytecode
        self.config_file = config_file  # the shimkit.toml that was read, if any
        self._host: Optional[PlatformTriple] = None

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if not name.startswith("_")}

    @property
    def cache_dir(self) -> str:
        return dirs.user_cache_dir()

    @property
    def host(self) -> PlatformTriple:
        """The platform this command installs for and matches against (detected once)."""
        if self._host is None:
            from .platform import host

            self._host = host()
        return self._host

    def with_overrides(self, **flags: Any) -> Settings:
        """A copy with the command-line flags that were given (None means 'not given')."""
        values = self._values()
        for k, v in flags.items():
            if k not in values:
                raise TypeError(f"unknown setting {k!r}")
            if v is not None:
                values[k] = os.path.expanduser(os.fspath(v)) if k in ("install_dir", "bin_dir") else v
        new = Settings(**values)
        new._host = self._host
        return new

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(tuple(self._values().items()))

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in self._values().items()) + ")"


def truthy(value: str) -> Optional[bool]:
    """True/False for the words a boolean setting accepts (any case, spaces ignored), else None."""
    word = value.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def config_path() -> str:
    """``$SHIMKIT_CONFIG_FILE`` if set, else ``<user config dir>/shimkit/shimkit.toml``."""
    explicit = os.environ.get("SHIMKIT_CONFIG_FILE")
    if explicit:
        return explicit
    return os.path.join(dirs.user_config_dir(), "shimkit.toml")


def _convert(spec: SettingSpec, value: Any, origin: str, base: Optional[str] = None) -> Any:
    """``value`` checked and converted for ``spec``; a relative path from a config file is taken
    relative to that file's directory (``base``), not to wherever the command happens to run."""

    def bad(expected: str) -> ConfigError:
        return ConfigError(
            f"{origin}: invalid value {value!r} for {spec.key or spec.env}",
            f"expected {expected}",
        )

    if isinstance(value, str) and "\0" in value:
        raise bad("text without NUL characters")  # no file system or URL accepts one
    if spec.kind == "path":
        if not isinstance(value, str) or not value.strip():
            raise bad("a path")
        path = os.path.expanduser(os.path.expandvars(value))
        return os.path.join(base, path) if base is not None and not os.path.isabs(path) else path
    if spec.kind == "str":
        if not isinstance(value, str):
            raise bad("a string")
        return value.strip() or None
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        word = truthy(value) if isinstance(value, str) else None
        if word is None:
            raise bad("true or false")
        return word
    if spec.kind == "choice":
        if isinstance(value, str) and value.strip().lower() in spec.choices:
            return value.strip().lower()
        raise bad("one of " + ", ".join(spec.choices))
    raise AssertionError(spec.kind)  # pragma: no cover


def _read_toml(path: str) -> dict[str, Any]:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
    try:
        with open(path, "rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", "fix its permissions or remove it") from exc
    except ValueError as exc:  # tomllib.TOMLDecodeError is a ValueError
        raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax or remove the file") from exc
    return data


def load_settings(environ: Mapping[str, str] | None = None, *, read_config: bool = True) -> Settings:
    """Build :class:`Settings` from the environment and the config file (flags are applied later)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    by_attr = {s.attr: s for s in SETTINGS}

    no_config = _convert(by_attr["no_config"], env.get("SHIMKIT_NO_CONFIG", ""), "SHIMKIT_NO_CONFIG")
    config_file: str | None = None
    if read_config and not no_config:
        path = config_path()
        if os.path.isfile(path):
            config_file = path
            data = _read_toml(path)
            known = {s.key: s for s in SETTINGS if s.key}
            for key, value in data.items():
                spec = known.get(key)
                if spec is None:
                    raise ConfigError(
                        f"{path}: unknown setting {key!r}",
                        "accepted settings: " + ", ".join(sorted(known)),
                    )
                values[spec.attr] = _convert(spec, value, path, base=os.path.dirname(os.path.abspath(path)))

    for spec in SETTINGS:
        raw = env.get(spec.env)
        if raw is not None and (raw.strip() or spec.kind == "bool"):
            values[spec.attr] = _convert(spec, raw, spec.env)

    from . import tracing

    tracing.debug(
        f"settings: config file {config_file or 'none (' + str(config_path()) + ' absent)'}"
        if read_config and not no_config
        else "settings: config file not read (--no-config)"
    )
    return Settings(config_file=config_file, **values)
