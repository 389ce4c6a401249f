"""Shell integration: ``shimkit init SHELL`` (the hook text, from a cache), shell names, quoting.

``shimkit init SHELL`` prints a hook rendered from the shell's Jinja template with the install
dir, bin dir, platform, python-preference and global pin file baked in (every value quoted for
that shell).  The hook contract (design notes §5):

* the bin dir goes on PATH once;
* when the directory changes, the pinned interpreter's directory goes first on PATH and the
  one added before is removed; nothing pinned restores PATH;
* when PATH no longer holds what the hook put there (``deactivate`` restores the PATH saved at
  activation), the prompt hook notices by comparing PATH with the one it left, and resolves again;
* a plain pin (``3.12``, ``3.12.1``, ``3.13t``, ``pypy@3.10`` …) of an installed managed
  version is resolved by the shell itself when managed installations come first
  (``<install dir>/cpython-3.12-<platform>/bin``, through the minor-version link); anything
  else is one ``shimkit hook-resolve`` call (``find``'s resolution, :mod:`shimkit.hookresolve`)
  cached by file path and content;
* nothing read from a version file is evaluated; only text matching the plain-pin pattern ever
  becomes part of a path.

A shell start runs ``shimkit init`` every time: :func:`init_text` answers from a cache keyed by
what the hook depends on, computed from the environment and a few ``stat`` calls, importing no
jinja2, dataclasses, typing or platformdirs (Linux).  Rendering (:mod:`shimkit.shellrender`)
only happens on a miss; rc files are :mod:`shimkit.shellrc`.
"""

from __future__ import annotations

import os
import sys

from . import __version__
from .errors import UsageError
from .shellquote import (  # re-exported: the quoting of every shell lives there
    _SAFE_CHARS,
    fish_quote,
    nu_quote,
    ps_quote,
    py_quote,
    sh_quote,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Mapping, Optional, Sequence

    from .settings import Settings

# name accepted by `init`/`update-shell` -> template in shells/
TEMPLATES: dict[str, str] = {
    "bash": "bash.sh.j2",
    "zsh": "zsh.zsh.j2",
    "fish": "fish.fish.j2",
    "sh": "posix.sh.j2",
    "dash": "posix.sh.j2",
    "ksh": "posix.sh.j2",
    "nu": "nu.nu.j2",
    "xonsh": "xonsh.xsh.j2",
    "pwsh": "pwsh.ps1.j2",
}
ALIASES: dict[str, str] = {
    "posix": "sh",
    "ksh93": "ksh",
    "nushell": "nu",
    "powershell": "pwsh",
}
SUPPORTED = tuple(TEMPLATES)
CACHE_SLOTS = 4
MARK_INIT = "# shimkit: shell integration"
MARK_SHIMS = "# shimkit: shims"

# The temporaries of the POSIX core (declared `local` in bash/zsh, unset in dash/ksh).
_TEMPS = "new msg src file all nul line key l odd rest v impl var pre i r m p ceil c q s a vf n d out b dir"
POSIX_TEMPS = tuple(f"_sk_{name}" for name in _TEMPS.split(" "))


def canonical_shell(name: str) -> str:
    """``bash``, ``zsh``, ``fish``, ``sh``, ``dash``, ``ksh``, ``nu``, ``xonsh`` or ``pwsh`` for a shell name.

    Accepts paths and Windows names (``/usr/bin/zsh``, ``pwsh.exe``, ``-bash`` login shells).
    """
    base = os.path.basename(name.strip()).lower().lstrip("-")
    if base.endswith(".exe"):
        base = base[:-4]
    base = ALIASES.get(base, base)
    if base not in TEMPLATES:
        raise UsageError(
            f"unsupported shell {name!r}",
            "supported shells: " + ", ".join(SUPPORTED) + " (posix = sh, nushell = nu, powershell = pwsh)",
        )
    return base


def detect_shell(environ: Optional[Mapping[str, str]] = None) -> str:
    """The shell running shimkit (shellingham inspects the parent processes), else ``$SHELL``."""
    env = os.environ if environ is None else environ
    try:
        import shellingham

        name, _path = shellingham.detect_shell()
        return canonical_shell(name)
    except UsageError:
        raise
    except Exception:  # shellingham.ShellDetectionFailure, or /proc unreadable
        pass
    fallback = env.get("SHELL", "")
    if fallback:
        return canonical_shell(fallback)
    raise UsageError(
        "cannot detect your shell",
        "name it, e.g. `shimkit init bash`; supported shells: " + ", ".join(SUPPORTED),
    )


def shimkit_command() -> list[str]:
    """The command the hooks and shims run to call this shimkit (absolute, so a pinned
    interpreter's own ``shimkit`` on PATH cannot take its place)."""
    argv0 = sys.argv[0] if sys.argv else ""
    name = os.path.basename(argv0).lower()
    if name in ("shimkit", "shimkit.exe") and os.path.isfile(argv0):
        return [os.path.abspath(argv0)]
    # `python -m shimkit`: the same interpreter, without the working directory on sys.path
    # (a checked-out repository must not be able to shadow the shimkit package)
    if sys.version_info >= (3, 11):
        return [sys.executable, "-P", "-m", "shimkit"]
    return [sys.executable, "-c", "import sys; del sys.path[0]; from shimkit.entry import main; sys.exit(main())"]


def display_command(cmd: Sequence[str]) -> str:
    """How to write ``cmd`` in a POSIX rc file: ``shimkit`` when that is what PATH finds."""
    if len(cmd) == 1:
        import shutil

        found = shutil.which("shimkit")
        try:
            if found is not None and os.path.samefile(found, cmd[0]):
                return "shimkit"
        except OSError:
            pass
    return " ".join(w if w and set(w) <= _SAFE_CHARS else sh_quote(w) for w in cmd)


def session_command(value: Optional[str], shell: Optional[str] = None) -> str:
    """How to set (``value``) or drop (None) SHIMKIT_PYTHON by hand in ``shell`` (default: the
    shell running shimkit; POSIX syntax when it cannot be told), for hints."""
    try:
        name = canonical_shell(shell) if shell else detect_shell()
    except UsageError:
        name = "sh"
    if name == "fish":
        return "set -e SHIMKIT_PYTHON" if value is None else f"set -gx SHIMKIT_PYTHON {fish_quote(value)}"
    if name == "nu":
        return "hide-env SHIMKIT_PYTHON" if value is None else f"$env.SHIMKIT_PYTHON = {nu_quote(value)}"
    if name == "xonsh":
        return "del $SHIMKIT_PYTHON" if value is None else f"$SHIMKIT_PYTHON = {py_quote(value)}"
    if name == "pwsh":
        return "Remove-Item Env:SHIMKIT_PYTHON" if value is None else f"$env:SHIMKIT_PYTHON = {ps_quote(value)}"
    import shlex

    return "unset SHIMKIT_PYTHON" if value is None else f"export SHIMKIT_PYTHON={shlex.quote(value)}"


# ---- what a hook depends on ----------------------------------------------------------------
def template_dirs(kind: str = "shells") -> list[Path]:
    """``shells/`` (or ``templates/``) inside the installed package (the wheel puts them there),
    else at the top of a source checkout."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    return [d for d in (here / kind, here.parent / kind) if d.is_dir()]


def _template_dir_names() -> list[str]:
    here = os.path.dirname(os.path.realpath(__file__))
    dirs = (os.path.join(here, "shells"), os.path.join(os.path.dirname(here), "shells"))
    return [d for d in dirs if os.path.isdir(d)]


class HookInputs:
    """Everything a rendered hook depends on."""

    FIELDS = ("shell", "install_dir", "bin_dir", "host", "global_file", "cmd", "preference")

    def __init__(
        self,
        shell: str,
        install_dir: str,
        bin_dir: str,
        host: str,
        global_file: str,
        cmd: Sequence[str],
        preference: str = "managed",
    ) -> None:
        self.shell = shell  # canonical name
        self.install_dir = install_dir
        self.bin_dir = bin_dir
        self.host = host
        self.global_file = global_file
        self.cmd = tuple(cmd)
        self.preference = preference  # python-preference: whether plain pins may be resolved in shell

    def items(self) -> list[tuple[str, object]]:
        return [(name, getattr(self, name)) for name in self.FIELDS]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HookInputs) and self.items() == other.items()

    def __hash__(self) -> int:
        return hash(tuple(self.items()))

    def __repr__(self) -> str:
        return "HookInputs(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"

    def context(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "shell_name": self.shell,
            "install_dir": self.install_dir,
            "bin_dir": self.bin_dir,
            "host": self.host,
            "global_file": self.global_file,
            "preference": self.preference,
            "cmd": list(self.cmd),
            "init_cmd": display_command(self.cmd) + " init",
            # how the POSIX-family hooks make control characters, and whether `read -d ''` works
            "consts": "dollar" if self.shell in ("bash", "zsh") else "printf",
            "read_d": "static" if self.shell in ("bash", "zsh") else "probe",
            "windows": self.host.startswith("windows-"),
            "cache_slots": CACHE_SLOTS,
            "temps": POSIX_TEMPS,
        }


def hook_inputs(shell: str, settings: Settings) -> HookInputs:
    """The values baked into a hook for ``settings`` (absolute paths)."""
    from .platform import host
    from .versionfile import global_version_file

    return HookInputs(
        shell=canonical_shell(shell),
        install_dir=settings.install_dir,
        bin_dir=os.path.abspath(settings.bin_dir),
        host=str(host()),
        global_file=os.path.abspath(global_version_file()),
        cmd=tuple(shimkit_command()),
        preference=settings.python_preference,
    )


def render(inputs: HookInputs) -> str:
    """Render the hook for ``inputs.shell`` (imports jinja2: :mod:`shimkit.shellrender`)."""
    from .errors import StoreError
    from .shellrender import render_template

    dirs = template_dirs()
    if not dirs:
        raise StoreError("shimkit's shell templates are missing", "reinstall shimkit")
    return render_template(dirs, TEMPLATES[inputs.shell], inputs.context())


def _templates_fingerprint() -> str:
    parts = []
    for d in _template_dir_names():
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            try:
                st = os.stat(p)
            except OSError:
                continue
            parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


# ---- the cache ------------------------------------------------------------------------------
def _cache_root(cache_dir: Optional[Path]) -> str:
    """``<user cache dir>/init`` without pathlib or platformdirs on XDG systems."""
    if cache_dir is not None:
        return os.path.join(os.fspath(cache_dir), "init")
    if sys.platform not in ("win32", "darwin"):
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "shimkit", "init")
    from .dirs import user_cache_dir

    return os.path.join(os.fspath(user_cache_dir()), "init")


def _read_cached(path: str, key: str) -> Optional[str]:
    """The text stored under ``key`` in ``path`` (its first line is the key it was stored for)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    stored, sep, text = data.partition(b"\0")
    if not sep or stored != key.encode("utf-8", "surrogateescape"):
        return None  # a digest collision, or a file of another version: render again
    return text.decode("utf-8", "surrogateescape")


def _write_cached(path: str, key: str, text: str) -> None:
    from .safeio import write_text_atomic

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_text_atomic(path, key + "\0" + text)
    except (OSError, UnicodeError):
        pass  # a read-only cache dir only costs the rendering time


def _file_name(shell: str, key: str) -> str:
    import zlib  # the stored key is compared in full: a short checksum is enough to name the file

    return f"{shell}-{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}"


def init_script(shell: str, settings: Settings, *, cache_dir: Optional[Path] = None) -> str:
    """The text ``shimkit init SHELL`` prints for ``settings``, from a cache keyed by every input."""
    inputs = hook_inputs(shell, settings)
    key = repr(("inputs", __version__, inputs.items(), _templates_fingerprint()))
    path = os.path.join(_cache_root(cache_dir), _file_name(inputs.shell, key))
    text = _read_cached(path, key)
    if text is None:
        text = render(inputs)
        _write_cached(path, key, text)
    return text


# what the settings, the global pin and the cache location are computed from
_ENV_INPUTS = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "APPDATA", "LOCALAPPDATA")


def _environment_key(shell: str) -> str:
    """Everything :func:`init_script` would depend on, read from the environment and a few
    ``stat`` calls only: ``SHIMKIT_*`` variables, the user directories, the config file's
    identity, how shimkit runs, the templates, this machine."""
    env = os.environ
    names = sorted(k for k in env if k.startswith("SHIMKIT_") or k in _ENV_INPUTS)
    config = env.get("SHIMKIT_CONFIG_FILE") or os.path.join(
        env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"), "shimkit", "shimkit.toml"
    )
    try:
        st = os.stat(config)
        config_id = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    except OSError:
        config_id = "-"
    machine = os.uname().machine if hasattr(os, "uname") else sys.platform
    return repr(
        (
            "env",
            __version__,
            shell,
            [(k, env[k]) for k in names],
            config,
            config_id,
            sys.executable,
            sys.argv[0] if sys.argv else "",
            machine,
            _templates_fingerprint(),
        )
    )


def init_text(shell: str, *, cache_dir: Optional[Path] = None) -> str:
    """The hook ``shimkit init SHELL`` prints (``shell`` canonical or an alias).

    The cached path reads one file found by :func:`_environment_key`; only a miss loads the
    settings and renders (then the text is stored under both keys)."""
    name = canonical_shell(shell)
    key = _environment_key(name)
    path = os.path.join(_cache_root(cache_dir), _file_name(name, key))
    text = _read_cached(path, key)
    if text is None:
        from .settings import load_settings

        text = init_script(name, load_settings(), cache_dir=cache_dir)
        _write_cached(path, key, text)
    return text


__all__ = ["fish_quote", "nu_quote", "ps_quote", "py_quote", "sh_quote"]
