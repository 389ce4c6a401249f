"""Startup files: which file ``update-shell`` edits for each shell, the lines it adds there
(the ``shimkit init`` line, the shims line), and adding them once.  Split from
:mod:`shimkit.shell`, which keeps only what a shell start needs (``shimkit init``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

from .errors import StoreError, UsageError
from .record import Record
from .safeio import write_text_atomic
from .settings import Settings
from .shell import MARK_INIT, MARK_SHIMS, canonical_shell, init_script, shimkit_command
from .shellquote import _SAFE_CHARS, fish_quote, nu_quote, ps_quote, py_quote, sh_quote

if TYPE_CHECKING:
    from _typeshed import StrPath


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
        return f'if [ -z "${{BASH_VERSION-}}${{ZSH_VERSION-}}" ]; then eval "$({posix} init {shell})"; fi  {MARK_INIT}'
    if shell == "fish":
        return f"{' '.join(fish_quote(w) for w in cmd)} init fish | source  {MARK_INIT}"
    if shell == "xonsh":
        return f"execx(__import__('subprocess').check_output({[*cmd, 'init', 'xonsh']!r}, text=True))  {MARK_INIT}"
    if shell == "pwsh":
        return f"Invoke-Expression (& {' '.join(ps_quote(w) for w in cmd)} init pwsh | Out-String)  {MARK_INIT}"
    raise UsageError(f"no init line for {shell}")  # nu: the autoload file holds the hook itself


def shims_line(shell: str, shims_dir: StrPath) -> str:
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


class RcChange(Record, frozen=True):
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
    shims_dir: Optional[StrPath] = None,
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
