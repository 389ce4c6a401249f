"""``shimkit hook-resolve DIR``: the one Python call a shell hook or shim makes for a request it
cannot resolve in pure shell (``>=3.11``, ``requires-python``, a workspace member, anything odd).

Output protocol (stdout, always exit status 0 once the arguments are understood):

* line 1: the ``bin/`` directory to put first on PATH, or an empty line when nothing applies;
* every further line: a message for the user (a warning about a bad version file, or a hint
  that the pinned version is not installed).  The hooks print them on stderr once per
  project visit; they cache the whole output by version-file path and content.

It never downloads (``python-downloads = automatic`` does not apply to a prompt hook); it
resolves as ``shimkit find`` does (managed, PATH, pyenv, uv, mise under ``python-preference``,
virtual environments aside): :mod:`shimkit.hookresolve`.  The hooks pass the values they baked in at ``shimkit init``
time (install dir, platform, global pin file) so that both sides resolve against the same store.

This module is on the hot path: it must not import typer, rich, httpx, jinja2 or platformdirs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Optional

USAGE = "usage: shimkit hook-resolve [--install-dir DIR] [--host OS-ARCH-LIBC] [--global-file FILE] [--] DIR"


def main(
    directory: Path,
    *,
    install_dir: Optional[Path] = None,
    host: Optional[str] = None,
    global_file: Optional[str] = None,
) -> int:
    """Print the protocol text for ``directory`` (defaults: settings, host, global pin)."""
    from ..hookresolve import resolve
    from ..model.key import PlatformTriple
    from ..settings import load_settings
    from ..versionfile import global_version_file

    settings = load_settings().with_overrides(install_dir=install_dir)
    triple = PlatformTriple.parse(host) if host else settings.host
    if triple is None:
        sys.stderr.write(f"error: invalid --host {host!r}\n{USAGE}\n")
        return 2
    if global_file is None:
        gfile: Optional[Path] = global_version_file()
    else:
        gfile = Path(global_file) if global_file else None
    res = resolve(Path(os.path.abspath(directory)), settings, host=triple, global_file=gfile)
    sys.stdout.write(res.protocol())
    sys.stdout.flush()
    return 0


def _cwd() -> Path:
    """The logical working directory (``$PWD``, as the hooks see it) if it is the real one."""
    from ..versionfile import logical_cwd

    return Path(logical_cwd())


def run(args: list[str]) -> Optional[int]:
    """Fast-lane entry: ``hook-resolve [--install-dir D] [--host H] [--global-file F] [--] [DIR]``.

    Returns None (hand over to the typer app) for anything it does not fully understand.
    """
    opts: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            positional.extend(args[i:])
            break
        name, eq, value = arg.partition("=")
        if name in ("--install-dir", "--host", "--global-file"):
            if not eq:
                if i >= len(args):
                    return None
                value = args[i]
                i += 1
            opts[name] = value
        elif arg.startswith("-"):
            return None
        else:
            positional.append(arg)
    if len(positional) > 1:
        return None
    install = opts.get("--install-dir")
    return main(
        Path(positional[0]) if positional else _cwd(),
        install_dir=Path(install) if install else None,
        host=opts.get("--host"),
        global_file=opts.get("--global-file"),
    )
