"""``shimkit shell REQUEST``: what may become this shell session's override (``SHIMKIT_PYTHON``).

pyenv refuses ``pyenv shell 3.10`` when 3.10 is not installed ("version `3.10' not installed",
exit 1); an override nothing satisfies would make ``python`` "command not found" in every
project of the session.  :func:`check_shell_request` applies the same rule with ``find``'s
resolution (managed, PATH, pyenv, uv, mise under ``python-preference``; virtual environments
aside, as for the hook), unless the user forces it.
"""

from __future__ import annotations

import os

from .errors import ShimkitError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from .settings import Settings


class NotInstalledError(ShimkitError):
    """The requested version is not installed (exit 1, as pyenv's)."""

    exit_code = 1


def check_shell_request(request: str, settings: Settings, cwd: str, *, force: bool = False) -> str:
    """The canonical text to put in ``SHIMKIT_PYTHON`` for ``request``.

    Raises :class:`~shimkit.errors.RequestError` for a malformed request, a path or an executable
    name, and :class:`NotInstalledError` when no interpreter satisfies it (unless ``force``):
    the hint names ``shimkit install`` when there is a download of it for this platform."""
    from .discovery import Search
    from .hookresolve import download_exists
    from .model.request import PythonRequest

    req = PythonRequest.parse(request, allow_paths=False)
    text = str(req)
    if force:
        return text
    if Search(settings, os.fspath(cwd), settings.python_preference, True).first(req) is not None:
        return text
    if download_exists(req, settings, settings.host) is False:
        hint = f"no download of it exists for {settings.host} either; pass --force to set it anyway"
    else:
        hint = f"install it with `shimkit install {text}`, or pass --force to set it anyway"
    what = "is not installed" if settings.python_preference != "only-system" else "is not on this machine"
    raise NotInstalledError(f"Python {text} {what}", hint)
