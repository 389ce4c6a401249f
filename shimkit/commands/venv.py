"""``shimkit venv [PATH] [-p REQUEST]``."""

from __future__ import annotations

import os
from pathlib import Path

from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli.parse import Args


def venv(a: Args) -> int:
    from .. import provision
    from .. import venv as venv_mod
    from ..errors import StoreError, UsageError
    from ..store import Store
    from ..versionfile import logical_cwd

    settings = a.settings()
    path = Path(a.path)
    with output.CliReporter() as reporter:
        exe = provision.venv_interpreter(
            a.python, settings, cwd=Path(logical_cwd()), reporter=reporter, warn=output.warn
        )
    if a.without_pip and a.seed:
        raise UsageError("--without-pip and --seed exclude each other", "drop one of them")
    venv_mod.create(path, exe, with_pip=not a.without_pip, prompt=a.prompt, clear=a.clear)
    store = Store(settings.install_dir)
    if str(exe).startswith(str(store.root) + os.sep):
        try:
            venv_mod.record(store, path)
        except StoreError as exc:  # a read-only install dir: the venv works, it is just not recorded
            output.warn(f"{exc.message}; `shimkit uninstall` will not warn that {path} uses {exe}")
    output.note(f"Created virtual environment {path} with {exe}")
    output.note(venv_mod.activate_hint(path))
    return 0
