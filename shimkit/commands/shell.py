"""``shimkit init``, ``shell``, ``update-shell`` and the hidden ``hook-resolve``.

``init`` runs in every new shell and ``hook-resolve`` from prompt hooks: both answer with cheap
imports only (the hook text comes from a cached rendering; jinja2 only on a cache miss).
"""

from __future__ import annotations

import os
import sys

from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli.parse import Args


def _shell_name(name: str | None) -> str:
    from .. import shell as shell_mod

    return shell_mod.canonical_shell(name) if name else shell_mod.detect_shell()


def init(a: Args) -> int:
    from .. import shell as shell_mod

    name = _shell_name(a.shell)
    # the common case (no flags) answers from the cache without building Settings
    text = (
        shell_mod.init_script(name, a.settings())
        if a.given("install_dir") or a.given("bin_dir")
        else shell_mod.init_text(name)
    )
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return 0


def shell(a: Args) -> int:
    from .. import shell as shell_mod
    from ..errors import NotFoundError, UsageError
    from ..model.request import parse_request
    from ..session import check_shell_request
    from ..versionfile import logical_cwd, session_override

    hooked = bool(os.environ.get("SHIMKIT_SHELL_HOOK"))
    if a.request is not None and a.unset:
        raise UsageError("give a version or --unset, not both", "drop one of them")
    if a.request is None and not a.unset:
        current = session_override()
        if current is None:
            raise NotFoundError("no session override is set", "set one with: shimkit shell 3.12")
        output.out(current.lines[0])
        return 0
    # without the hook nothing can change this shell: say that first (the request checked for form only)
    text = None if a.unset else str(parse_request(a.request, allow_paths=False))
    if not hooked:
        raise UsageError(
            "`shimkit shell` needs the shell integration to change this shell",
            "set it up with `shimkit update-shell`, or run: " + shell_mod.session_command(text),
        )
    if text is not None:
        text = check_shell_request(text, a.settings(), logical_cwd(), force=a.force)
    output.out("unset" if text is None else f"set {text}")
    return 0


def update_shell(a: Args) -> int:
    from .. import shellrc
    from ..dirs import default_shims_dir

    name = _shell_name(a.shell)
    change = shellrc.update_rc(name, a.settings(), shims_dir=default_shims_dir() if a.shims else None)
    if change.action == "unchanged":
        output.note(f"{change.path} already sets up shimkit for {name}; nothing changed")
        return 0
    if name == "nu":
        output.note(f"{change.action.capitalize()} {change.path} (the hook itself; nushell loads it at start)")
    else:
        output.note(f"{'Created' if change.action == 'created' else 'Added to'} {change.path}:")
        for line in change.lines:
            output.note(f"  {line}")
    output.note("Open a new shell (or source that file) to use it.")
    return 0


def hook_resolve(a: Args) -> int:
    """The protocol text for a directory (see :mod:`shimkit.hookresolve`), against the install
    dir, platform and global pin file the hook baked in at ``shimkit init`` time."""
    from ..errors import UsageError
    from ..hookresolve import resolve
    from ..model.key import PlatformTriple
    from ..settings import load_settings
    from ..versionfile import global_version_file, logical_cwd

    settings = load_settings().with_overrides(install_dir=a.install_dir)
    host = PlatformTriple.parse(a.host) if a.host else settings.host
    if host is None:
        raise UsageError(f"invalid --host {a.host!r}", "give OS-ARCH-LIBC, e.g. linux-x86_64-gnu")
    gfile = global_version_file() if a.global_file is None else (a.global_file or None)
    directory = os.path.abspath(a.directory if a.directory is not None else logical_cwd())
    res = resolve(directory, settings, host=host, global_file=gfile)
    sys.stdout.write(res.protocol())
    sys.stdout.flush()
    return 0
