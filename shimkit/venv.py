"""Virtual environments that follow patch upgrades.

``shimkit venv -p 3.12 .venv`` runs the interpreter *through* the minor-version link
(``<install dir>/cpython-3.12-…/bin/python3.12``).  The stdlib ``venv`` module records the
directory of the interpreter it was started as, so ``pyvenv.cfg`` says
``home = <install dir>/cpython-3.12-…/bin`` and ``.venv/bin/python`` links to the same path:
after ``shimkit upgrade 3.12`` repoints the link, the venv runs the new patch without being
recreated.  A request naming a patch (``-p 3.12.1``) uses the patch directory instead, so
that venv stays on 3.12.1.

shimkit keeps a small record of the venvs it created (``<install dir>/.venvs.json``) so that
``uninstall --outdated`` can say which of them still pin an old patch.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Callable, Optional

from .errors import ShimkitError, StoreError
from .layout import VENV_RECORD
from .probecache import venv_home
from .record import Record
from .safeio import write_text_atomic
from .store import Store


class VenvInfo(Record, frozen=True):
    """A venv shimkit created, as recorded."""

    path: Path
    home: Optional[str]  # from its pyvenv.cfg, None if unreadable

    @property
    def exists(self) -> bool:
        return (self.path / "pyvenv.cfg").is_file()

    @property
    def broken(self) -> bool:
        """The venv exists but its base interpreter directory is gone."""
        return self.exists and (self.home is None or not os.path.isdir(self.home))


# Set by install.sh/install.ps1 --uninstall around `shimkit uninstall --all`: shimkit itself goes
# too, so a hint must not name it.
UNINSTALLING_SELF_ENV = "SHIMKIT_UNINSTALLING_SELF"


def recreate_command(venv: Path, home: Optional[str]) -> str:
    """The command that rebuilds ``venv`` on the minor version its ``home`` named
    (``shimkit venv --clear -p 3.12 /path``); without ``-p`` if ``home`` names none.  While
    shimkit uninstalls itself, the venv module of another Python (``python3.12 -m venv --clear``)."""
    import shlex

    from .model.key import is_minor_key, try_parse_key

    req = None
    minor = "3"
    for part in reversed(Path(home).parts if home else ()):
        if is_minor_key(part):  # cpython-3.12[+variant]-<platform>: parse it as its .0 patch
            impl, rest = part.split("-", 1)
            mm, _, tail = rest.partition("-")
            version, plus, variant = mm.partition("+")
            part = f"{impl}-{version}.0{plus}{variant}-{tail}"
        key = try_parse_key(part)
        if key is not None:
            req, minor = key.minor_request, f"{key.major}.{key.minor}"
            break
    if os.environ.get(UNINSTALLING_SELF_ENV) == "1":
        python = f"py -{minor}" if os.name == "nt" else f"python{minor}"
        return f"{python} -m venv --clear {shlex.quote(str(venv))}"
    return f"shimkit venv --clear {'-p ' + req + ' ' if req else ''}{shlex.quote(str(venv))}"


def create(
    path: Path,
    interpreter: Path,
    *,
    with_pip: bool = True,
    seed: bool = False,
    prompt: Optional[str] = None,
    clear: bool = False,
) -> None:
    """Create a venv at ``path`` by running ``interpreter -m venv`` (the interpreter path is kept as given).

    pip is seeded by default, as ``python -m venv`` does (``with_pip=False``: ``--without-pip``):
    otherwise ``pip`` in the activated venv would be the next one on PATH, the managed
    installation's, which refuses to install (PEP 668, :mod:`shimkit.externally_managed`).
    ``seed`` (the old ``--seed``) asks for pip too."""
    with_pip = with_pip or seed
    if (path / "pyvenv.cfg").exists() and not clear:
        raise ShimkitError(f"{path} is already a virtual environment", "pass --clear to replace it")
    if path.exists() and not (path / "pyvenv.cfg").exists() and any(path.iterdir()):
        raise ShimkitError(
            f"{path} exists and is not an empty directory or a virtual environment", "choose another path"
        )
    cmd = [str(interpreter), "-I", "-m", "venv"]
    if not with_pip:
        cmd.append("--without-pip")
    if prompt:
        cmd += ["--prompt", prompt]
    if clear:
        cmd.append("--clear")
    cmd.append(str(path))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise ShimkitError(
            f"creating the virtual environment at {path} failed: {lines[-1] if lines else proc.returncode}",
            "try --without-pip, or check that the target directory is writable",
        )


# ---- how to activate it -----------------------------------------------------------------
def user_shell(environ: Optional[dict[str, str]] = None) -> str:
    """The name of the shell the user runs shimkit from (shellingham looks at the parent
    processes), else ``$SHELL``'s, lower case without ``.exe``; "" if neither tells."""
    env = os.environ if environ is None else environ
    name = ""
    try:
        import shellingham

        name, _path = shellingham.detect_shell()
    except Exception:  # shellingham.ShellDetectionFailure, or /proc unreadable
        name = env.get("SHELL", "")
    base = os.path.basename(name.strip()).lower().lstrip("-")
    return base[:-4] if base.endswith(".exe") else base


def activate_command(venv: Path, shell: Optional[str] = None) -> str:
    """The command that activates ``venv`` in ``shell`` (default: :func:`user_shell`), with the
    path written as given (relative stays relative) and quoted for that shell."""
    import shlex

    from .shellquote import _SAFE_CHARS, fish_quote, nu_quote, ps_quote, py_quote

    def q(quote: Callable[[str], str], path: Path) -> str:
        text = str(path)
        return text if text and set(text) <= _SAFE_CHARS else quote(text)

    name = user_shell() if shell is None else shell
    windows = os.name == "nt"
    scripts = venv / ("Scripts" if windows else "bin")
    if name in ("fish",):
        return f"source {q(fish_quote, scripts / 'activate.fish')}"
    if name in ("csh", "tcsh"):
        return f"source {q(shlex.quote, scripts / 'activate.csh')}"
    if name in ("pwsh", "powershell"):
        return f"& {q(ps_quote, scripts / 'Activate.ps1')}"
    if name in ("nu", "nushell"):
        if (scripts / "activate.nu").is_file():  # virtualenv writes one; the stdlib's venv does not
            return f"overlay use {nu_quote(scripts / 'activate.nu')}"
        absolute = os.path.abspath(venv)
        return (
            f"$env.VIRTUAL_ENV = {nu_quote(absolute)}; "
            f"$env.PATH = ($env.PATH | prepend {nu_quote(os.path.join(absolute, 'bin'))})"
        )
    if name == "xonsh":
        return f"source-bash {q(py_quote, scripts / 'activate')}"
    if windows and name in ("cmd", ""):
        return str(scripts / "activate.bat")
    word = "." if name in ("sh", "dash", "ash", "ksh", "mksh") else "source"
    return f"{word} {q(shlex.quote, scripts / 'activate')}"


def activate_hint(venv: Path, shell: Optional[str] = None) -> str:
    """The line ``shimkit venv`` prints after creating ``venv``."""
    return f"Activate with: {activate_command(venv, shell)}"


# ---- the record of created venvs --------------------------------------------------------
def _record_path(store: Store) -> Path:
    return store.root / VENV_RECORD


def recorded(store: Store) -> list[VenvInfo]:
    """The venvs shimkit created that still exist."""
    try:
        paths = json.loads(_record_path(store).read_text())
    except (OSError, ValueError):
        return []
    out = []
    for p in paths if isinstance(paths, list) else []:
        if isinstance(p, str):
            info = VenvInfo(Path(p), venv_home(p))
            if info.exists:
                out.append(info)
    return out


def record(store: Store, venv: Path) -> None:
    """Remember ``venv`` (under the store lock; the file is replaced atomically)."""
    with store.locked():
        known = [str(v.path) for v in recorded(store)]
        p = str(venv.resolve())
        if p not in known:
            known.append(p)
        try:
            write_text_atomic(_record_path(store), json.dumps(known, indent=1))
        except OSError as exc:
            raise StoreError(f"cannot update {_record_path(store)}: {exc.strerror}") from None


def pinning(store: Store, installation_dir: Path) -> list[VenvInfo]:
    """Recorded venvs whose ``home`` lies inside ``installation_dir`` (pinned to that patch)."""
    prefix = str(installation_dir) + os.sep
    return [v for v in recorded(store) if v.home and (v.home + os.sep).startswith(prefix)]
