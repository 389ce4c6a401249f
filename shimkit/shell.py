"""Shell integration: render the hooks in ``shells/*.j2``, detect the shell, update rc files.

``shimkit init SHELL`` prints a hook rendered from the shell's Jinja template with the install
dir, bin dir, platform and global pin file baked in (every value quoted for that shell).  The
hook contract (design notes §5):

* the bin dir goes on PATH once;
* when the directory changes, the pinned installation's ``bin/`` goes first on PATH and the
  one added before is removed; nothing pinned restores PATH;
* a plain pin (``3.12``, ``3.12.1``, ``3.13t``, ``pypy@3.10`` …) is resolved by the shell
  itself (``<install dir>/cpython-3.12-<platform>/bin``, through the minor-version link), any
  other request by one ``shimkit hook-resolve`` call cached by file path and content;
* nothing read from a version file is evaluated; only text matching the plain-pin pattern ever
  becomes part of a path.

Rendering imports jinja2 (~100 ms); :func:`init_script` caches the rendered text by its inputs
so that a shell start normally only reads a file.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from . import __version__
from .errors import StoreError, UsageError
from .model.request import PLAIN_IMPLEMENTATIONS, PLAIN_MAJORS, PLAIN_PRE_TAGS, PLAIN_VARIANTS, plain_pin_regex
from .safeio import write_text_atomic
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


# ---- quoting for each shell -------------------------------------------------------------
_SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")


def sh_quote(value: object) -> str:
    """POSIX single quotes: everything literal, ``'`` as ``'\\''``."""
    return "'" + str(value).replace("'", "'\\''") + "'"


def fish_quote(value: object) -> str:
    """fish single quotes: only ``\\\\`` and ``\\'`` are escapes."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def nu_quote(value: object) -> str:
    """A nushell double-quoted string (no interpolation; control characters escaped)."""
    out = []
    for ch in str(value):
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def py_quote(value: object) -> str:
    """A Python (xonsh) string literal."""
    return repr(str(value))


def ps_quote(value: object) -> str:
    """PowerShell single quotes: ``'`` doubled (also the typographic quotes PowerShell accepts)."""
    text = str(value)
    for q in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(q, q + q)
    return "'" + text + "'"


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


# ---- rendering ----------------------------------------------------------------------------
def template_dirs(kind: str = "shells") -> list[Path]:
    """``shells/`` (or ``templates/``) inside the installed package (the wheel puts them there),
    else at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    return [d for d in (here / kind, here.parent / kind) if d.is_dir()]


@dataclass(frozen=True)
class HookInputs:
    """Everything a rendered hook depends on."""

    shell: str  # canonical name
    install_dir: str
    bin_dir: str
    host: str
    global_file: str
    cmd: tuple[str, ...]

    def context(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "shell_name": self.shell,
            "install_dir": self.install_dir,
            "bin_dir": self.bin_dir,
            "host": self.host,
            "global_file": self.global_file,
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
        install_dir=os.path.abspath(settings.install_dir),
        bin_dir=os.path.abspath(settings.bin_dir),
        host=str(host()),
        global_file=os.path.abspath(global_version_file()),
        cmd=tuple(shimkit_command()),
    )


def jinja_env(dirs: Sequence[Path]) -> Any:
    """The Jinja environment for shells/ and templates/ (quoting filters for every shell)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        # `${#var}` is everyday shell: Jinja comments are {## … ##} here
        comment_start_string="{##",
        comment_end_string="##}",
    )
    env.filters.update(
        sh=sh_quote,
        shwords=lambda words: " ".join(sh_quote(w) for w in words),
        fish=fish_quote,
        fishwords=lambda words: " ".join(fish_quote(w) for w in words),
        nu=nu_quote,
        py=py_quote,
        py_list=lambda words: repr([str(w) for w in words]),
        ps=ps_quote,
        add_suffix=lambda s, suffix: f"{s}{suffix}",
    )
    # the plain-pin grammar, from its one definition (shimkit.model.request), for hooks and shims
    env.globals.update(
        plain_pin=plain_pin_regex,
        plain_impls=PLAIN_IMPLEMENTATIONS,
        plain_impl_map={s: impl for impl, spellings in PLAIN_IMPLEMENTATIONS for s in spellings},
        plain_variants=PLAIN_VARIANTS,
        plain_majors=PLAIN_MAJORS,
        plain_pre_tags=PLAIN_PRE_TAGS,
    )
    return env


def render(inputs: HookInputs) -> str:
    """Render the hook for ``inputs.shell``."""
    dirs = template_dirs()
    if not dirs:
        raise StoreError("shimkit's shell templates are missing", "reinstall shimkit")
    text: str = jinja_env(dirs).get_template(TEMPLATES[inputs.shell]).render(**inputs.context())
    return text


def _templates_fingerprint() -> str:
    parts = []
    for d in template_dirs():
        for p in sorted(d.iterdir()):
            try:
                st = p.stat()
            except OSError:
                continue
            parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def init_script(shell: str, settings: Settings, *, cache_dir: Optional[Path] = None) -> str:
    """The text ``shimkit init SHELL`` prints, from a cache keyed by every input when possible."""
    inputs = hook_inputs(shell, settings)
    key_data = repr((__version__, sorted(inputs.__dict__.items()), _templates_fingerprint()))
    digest = hashlib.sha256(key_data.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    cache = (cache_dir if cache_dir is not None else settings.cache_dir) / "init" / f"{inputs.shell}-{digest}"
    try:
        return cache.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        pass
    text = render(inputs)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(cache, text)
    except OSError:
        pass  # a read-only cache dir only costs the rendering time
    return text


# ---- rc files ------------------------------------------------------------------------------
MARK_INIT = "# shimkit: shell integration"
MARK_SHIMS = "# shimkit: shims"


def _config_home(home: Path, env: Mapping[str, str]) -> Path:
    value = env.get("XDG_CONFIG_HOME", "")
    return Path(value) if value and os.path.isabs(value) else home / ".config"


def rc_file(shell: str, *, home: Optional[Path] = None, environ: Optional[Mapping[str, str]] = None) -> Path:
    """The file ``update-shell`` edits for ``shell``."""
    env = os.environ if environ is None else environ
    home = home if home is not None else Path(env.get("HOME") or Path.home())
    shell = canonical_shell(shell)
    if shell == "bash":
        return home / ".bashrc"
    if shell == "zsh":
        zdot = env.get("ZDOTDIR", "")
        return (Path(zdot) if zdot and os.path.isabs(zdot) else home) / ".zshrc"
    if shell in ("sh", "dash"):
        return home / ".profile"
    if shell == "ksh":
        return home / ".kshrc"
    if shell == "fish":
        return _config_home(home, env) / "fish" / "conf.d" / "shimkit.fish"
    if shell == "nu":
        if sys.platform == "darwin" and not env.get("XDG_CONFIG_HOME"):
            return home / "Library" / "Application Support" / "nushell" / "autoload" / "shimkit.nu"
        if sys.platform == "win32":
            return Path(env.get("APPDATA", home)) / "nushell" / "autoload" / "shimkit.nu"
        return _config_home(home, env) / "nushell" / "autoload" / "shimkit.nu"
    if shell == "xonsh":
        return home / ".xonshrc"
    # pwsh: $PROFILE (CurrentUserCurrentHost)
    if sys.platform == "win32":
        return home / "Documents" / "PowerShell" / "Microsoft.PowerShell_profile.ps1"
    return _config_home(home, env) / "powershell" / "Microsoft.PowerShell_profile.ps1"


def init_line(shell: str, cmd: Sequence[str]) -> str:
    """The line that loads the hook at shell start (not used for nu, whose file holds the hook).

    It names shimkit by its absolute path even when PATH finds it now: an rc file runs before
    anything has added ``~/.local/bin`` to PATH in shells that do not read ``~/.profile`` (zsh,
    fish), and a bare ``shimkit`` would fail there at every start."""
    shell = canonical_shell(shell)
    posix = " ".join(w if w and set(w) <= _SAFE_CHARS else sh_quote(w) for w in cmd)
    if shell in ("bash", "zsh", "ksh"):
        return f'eval "$({posix} init {shell})"  {MARK_INIT}'
    if shell in ("sh", "dash"):
        # ~/.profile is also read by bash and zsh login shells, which have hooks of their own
        return (
            f'if [ -z "${{BASH_VERSION-}}${{ZSH_VERSION-}}" ]; then eval "$({posix} init {shell})"; fi'
            f"  {MARK_INIT}"
        )
    if shell == "fish":
        return f"{' '.join(fish_quote(w) for w in cmd)} init fish | source  {MARK_INIT}"
    if shell == "xonsh":
        return f"execx(__import__('subprocess').check_output({[*cmd, 'init', 'xonsh']!r}, text=True))  {MARK_INIT}"
    if shell == "pwsh":
        return f"Invoke-Expression (& {' '.join(ps_quote(w) for w in cmd)} init pwsh | Out-String)  {MARK_INIT}"
    raise UsageError(f"no init line for {shell}")  # nu: the autoload file holds the hook itself


def shims_line(shell: str, shims_dir: Path) -> str:
    """The line that puts the shims dir first on PATH (once)."""
    shell = canonical_shell(shell)
    d = str(shims_dir)
    if shell in ("bash", "zsh", "sh", "dash", "ksh"):
        q = sh_quote(d)
        return f'case ":$PATH:" in *:{q}:*) ;; *) PATH={q}:"$PATH"; export PATH ;; esac  {MARK_SHIMS}'
    if shell == "fish":
        return f"fish_add_path --path --move {fish_quote(d)}  {MARK_SHIMS}"
    if shell == "nu":
        return f"$env.PATH = ($env.PATH | where $it != {nu_quote(d)} | prepend {nu_quote(d)})  {MARK_SHIMS}"
    if shell == "xonsh":
        return f"$PATH.insert(0, {py_quote(d)}) if {py_quote(d)} not in $PATH else None  {MARK_SHIMS}"
    q = ps_quote(d)
    return (
        f"if (($env:PATH -split [IO.Path]::PathSeparator) -notcontains {q}) "
        f"{{ $env:PATH = {q} + [IO.Path]::PathSeparator + $env:PATH }}  {MARK_SHIMS}"
    )


@dataclass(frozen=True)
class RcChange:
    """What ``update-shell`` did to one file."""

    path: Path
    action: str  # "created", "added", "rewritten", "unchanged"
    lines: tuple[str, ...]  # the lines added (or the whole file for nu)


def _has_init(text: str) -> bool:
    import re

    init_re = re.compile(r"shimkit.*\binit\b")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if MARK_INIT in line or init_re.search(stripped):
            return True
    return False


def set_up_in(
    shell: str, *, home: Optional[Path] = None, environ: Optional[Mapping[str, str]] = None
) -> Optional[Path]:
    """The startup file of ``shell`` when it already loads shimkit (``update-shell`` ran), else None."""
    path = rc_file(shell, home=home, environ=environ)
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None
    return path if canonical_shell(shell) == "nu" or _has_init(text) else None


def update_rc(
    shell: str,
    settings: Settings,
    *,
    shims_dir: Optional[Path] = None,
    home: Optional[Path] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> RcChange:
    """Make ``shell``'s rc file load the hook (and put ``shims_dir`` on PATH), once.

    Lines are appended in place (a symlinked dotfile stays a symlink); running it again changes
    nothing.  For nushell, whose ``source`` cannot run a command's output, the rendered hook
    itself is written to the user autoload dir and rewritten when it changes.
    """
    shell = canonical_shell(shell)
    path = rc_file(shell, home=home, environ=environ)
    if shell == "nu":
        text = init_script(shell, settings)
        if shims_dir is not None:
            text += "\n" + shims_line(shell, shims_dir) + "\n"
        try:
            old: Optional[str] = path.read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            old = None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}") from None
        if old == text:
            return RcChange(path, "unchanged", ())
        _write_atomic(path, text)
        return RcChange(path, "created" if old is None else "rewritten", (text,))

    try:
        existing = path.read_text(encoding="utf-8", errors="surrogateescape")
        created = False
    except FileNotFoundError:
        existing, created = "", True
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}", "check its permissions") from None
    wanted = []
    if shims_dir is not None and MARK_SHIMS not in existing:
        wanted.append(shims_line(shell, shims_dir))
    if not _has_init(existing):
        wanted.append(init_line(shell, shimkit_command()))
    if not wanted:
        return RcChange(path, "unchanged", ())
    prefix = "" if not existing or existing.endswith("\n") else "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(prefix + "".join(line + "\n" for line in wanted))
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror}", "check its permissions") from None
    return RcChange(path, "created" if created else "added", tuple(wanted))


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror}", "check its permissions") from None


def fast_init(args: Sequence[str]) -> Optional[int]:
    """``shimkit init [SHELL]`` without typer: prints the cached hook (rendering it on a miss).

    Meant for the fast lane (:mod:`shimkit.fastpath`): a shell start runs ``shimkit init`` every
    time, and the typer application alone costs ~200 ms there.  Returns None (use the typer
    command) for options, ``--help`` or anything else it does not handle.
    """
    if len(args) > 1 or any(a.startswith("-") for a in args):
        return None
    from .settings import load_settings

    name = canonical_shell(args[0]) if args else detect_shell()
    text = init_script(name, load_settings())
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return 0
