"""What a shell hook or shim puts first on PATH in a directory: the one resolution the hooks'
helper (``shimkit hook-resolve``), ``shimkit doctor`` and the shims' fallback share.

Output protocol of :meth:`Resolution.protocol` (what ``hook-resolve`` prints):

* line 1: the ``bin/`` directory to put first on PATH, or an empty line when nothing applies;
* every further line: a message for the user (a warning about a bad version file, or a hint
  that the pinned version is not installed).  The hooks print them on stderr once per
  project visit; they cache the whole output by version-file path and content.

It never downloads (a prompt hook must not) and only looks at managed installations.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from . import layout
from .errors import RequestError
from .model.request import PythonRequest
from .versionfile import ceiling_dirs, discover, session_override

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Mapping, Optional, Sequence

    from .model.key import PlatformTriple


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


def bin_dir_for(req: PythonRequest, install_dir: Path, host: PlatformTriple) -> Optional[Path]:
    """The ``bin/`` directory of the best managed installation for ``req``.

    A request without a patch version goes through the installation's minor-version link
    (``cpython-3.12-<host>/bin``) when the link points at the chosen installation, so that a
    ``python -m venv`` typed in the project follows patch upgrades; ``3.12.1`` names its own
    directory.  The pure-shell hooks apply the same rule to plain pins.
    """
    root = os.fspath(install_dir)
    try:
        keys = layout.installations(root)  # newest first
    except OSError:
        return None
    for key in keys:
        if req.matches_key(key, host):
            return Path(layout.bin_dir(root, key, through_link=not req.names_patch))
    return None


def resolve(
    start: Path,
    *,
    install_dir: Path,
    host: PlatformTriple,
    global_file: Optional[Path],
    no_config: bool = False,
    environ: Optional[Mapping[str, str]] = None,
) -> Resolution:
    """Resolve the request for ``start`` the way every hook and shim does.

    Order: ``SHIMKIT_PYTHON`` (the session override of ``shimkit shell``), else the version-file
    walk of :func:`shimkit.versionfile.discover` (unless ``no_config``), which ends with
    the global pin.  The first line that parses is the request (a ``.python-version`` holds only
    one); bad lines are reported.  Paths and executable names are never accepted.
    """
    env = os.environ if environ is None else environ
    res = Resolution()
    override = session_override(env)
    if override is not None:
        res.source, res.origin = override.source, override.file
        lines: Sequence[str] = override.lines
    elif no_config:
        return res
    else:
        warnings: list[str] = []
        found = discover(start, ceilings=ceiling_dirs(dict(env)), global_file=global_file, warn=warnings.append)
        res.messages += [f"shimkit: warning: {w}" for w in warnings]
        if found is None:
            return res
        res.source, res.origin, lines = found.source, found.file, found.lines
    req: Optional[PythonRequest] = None
    for line in lines:
        try:
            req = PythonRequest.parse(line.strip(), allow_paths=False)
        except RequestError as exc:
            res.messages.append(f"shimkit: warning: {res.origin}: {exc.message}; ignored")
            continue
        res.request = line.strip()
        break
    if req is None or res.request is None:
        return res
    res.bin_dir = bin_dir_for(req, install_dir, host)
    if res.bin_dir is None and res.source != "requires-python":
        # an explicit pin that is not installed; a project's requires-python is not a pin
        res.messages.append(
            f"shimkit: Python {res.request} ({res.origin}) is not installed; "
            f"run: shimkit install {shlex.quote(res.request)}"
        )
    return res
