"""``shimkit hook-resolve DIR``: the one Python call a shell hook or shim makes for a request it
cannot resolve in pure shell (``>=3.11``, ``requires-python``, a workspace member, anything odd).

Output protocol (stdout, always exit status 0 once the arguments are understood):

* line 1: the ``bin/`` directory to put first on PATH, or an empty line when nothing applies;
* every further line: a message for the user (a warning about a bad version file, or a hint
  that the pinned version is not installed).  The hooks print them on stderr once per
  project visit; they cache the whole output by version-file path and content.

It never downloads (``python-downloads = automatic`` does not apply to a prompt hook) and only
looks at managed installations.  The hooks pass the values they baked in at ``shimkit init``
time (install dir, platform, global pin file) so that both sides resolve against the same store.

This module is on the hot path: it must not import typer, rich, httpx, jinja2 or platformdirs.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Mapping, Optional, Sequence, Union

    from ..discovery import Want
    from ..keys import PlatformTriple

    Host = Union[str, PlatformTriple]

TRUE_WORDS = ("1", "true", "yes", "on")
USAGE = "usage: shimkit hook-resolve [--install-dir DIR] [--host OS-ARCH-LIBC] [--global-file FILE] [--] DIR"


class Resolution:
    """What a hook should do in one directory."""

    __slots__ = ("bin_dir", "messages", "origin", "request", "source")

    def __init__(self) -> None:
        self.bin_dir: Optional[Path] = None  # put first on PATH (None: nothing managed applies)
        self.request: Optional[str] = None  # the request text that was used (raw, stripped)
        # "SHIMKIT_PYTHON", "version-file", "versions-file", "requires-python", "global", ""
        self.source = ""
        self.origin = ""  # where the request came from: a file path or "SHIMKIT_PYTHON"
        self.messages: list[str] = []

    def protocol(self) -> str:
        """The hook protocol text (see the module docstring)."""
        lines = [str(self.bin_dir) if self.bin_dir is not None else ""]
        lines += [m.replace("\n", " ") for m in self.messages]
        return "\n".join(lines) + "\n"


def _truthy(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def bin_dir_for(want: Want, install_dir: Path, host: Host) -> Optional[Path]:
    """The ``bin/`` directory of the best managed installation for ``want``.

    A request without a patch version goes through the installation's minor-version link
    (``cpython-3.12-<host>/bin``) when the link points at the chosen installation, so that a
    ``python -m venv`` typed in the project follows patch upgrades; ``3.12.1`` names its own
    directory.  The pure-shell hooks apply the same rule to plain pins.  Matching is
    :mod:`shimkit.discovery`'s (no ``packaging`` for plain versions and specifiers).
    """
    from .. import discovery as d

    root = os.fspath(install_dir)
    for m in d.managed_installations(root):  # newest first, as Store.installations
        if not want.matches_managed(m, str(host)):
            continue
        base = Path(d.managed_dir(root, m, through_link=not want.names_patch))
        # Windows installations keep python.exe at their top
        return base if m.platform.startswith("windows-") else base / "bin"
    return None


def resolve(
    start: Path,
    *,
    install_dir: Path,
    host: Host,
    global_file: Optional[Path],
    environ: Optional[Mapping[str, str]] = None,
) -> Resolution:
    """Resolve the request for ``start`` the way every hook and shim does.

    Order: ``SHIMKIT_PYTHON`` (the session override of ``shimkit shell``), else the version-file
    walk of :func:`shimkit.versionfile.discover` (unless ``SHIMKIT_NO_CONFIG``), which ends with
    the global pin.  The first line that parses is the request (a ``.python-version`` holds only
    one); bad lines are reported.  Paths and executable names are never accepted.
    """
    from ..versionfile import ceiling_dirs, discover, session_override

    env = os.environ if environ is None else environ
    res = Resolution()
    override = session_override(env)
    if override is not None:
        res.source, res.origin = override.source, override.file
        lines: Sequence[str] = override.lines
    elif _truthy(env.get("SHIMKIT_NO_CONFIG", "")):
        return res
    else:
        warnings: list[str] = []
        found = discover(start, ceilings=ceiling_dirs(dict(env)), global_file=global_file, warn=warnings.append)
        res.messages += [f"shimkit: warning: {w}" for w in warnings]
        if found is None:
            return res
        res.source, res.origin, lines = found.source, found.file, found.lines
    from ..discovery import want_for
    from ..errors import RequestError

    want: Optional[Want] = None
    for line in lines:
        try:
            want = want_for(line.strip())
        except RequestError as exc:
            res.messages.append(f"shimkit: warning: {res.origin}: {exc.message}; ignored")
            continue
        res.request = line.strip()
        break
    if want is None or res.request is None:
        return res
    res.bin_dir = bin_dir_for(want, install_dir, host)
    if res.bin_dir is None and res.source != "requires-python":
        # an explicit pin that is not installed; a project's requires-python is not a pin
        res.messages.append(
            f"shimkit: Python {res.request} ({res.origin}) is not installed; "
            f"run: shimkit install {shlex.quote(res.request)}"
        )
    return res


def parse_host(text: str) -> Optional[str]:
    """``OS-ARCH-LIBC`` as given by a hook, or None if it is not of that shape."""
    parts = text.split("-")
    if len(parts) != 3 or not all(parts):
        return None
    return text


def main(
    directory: Path,
    *,
    install_dir: Optional[Path] = None,
    host: Optional[str] = None,
    global_file: Optional[str] = None,
) -> int:
    """Print the protocol text for ``directory`` (defaults: settings, host, global pin)."""
    if install_dir is None:
        from ..settings import load_settings

        install_dir = load_settings().install_dir
    triple: Optional[Host] = parse_host(host) if host else None
    if triple is None:
        if host:
            sys.stderr.write(f"error: invalid --host {host!r}\n{USAGE}\n")
            return 2
        from ..platform import host as detect_host

        triple = detect_host()
    if global_file is None:
        from ..versionfile import global_version_file

        gfile: Optional[Path] = global_version_file()
    else:
        gfile = Path(global_file) if global_file else None
    res = resolve(Path(os.path.abspath(directory)), install_dir=install_dir, host=triple, global_file=gfile)
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
