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
    from ..errors import StoreError
    from ..store import Store
    from ..versionfile import logical_cwd

    settings = a.settings()
    path = Path(a.path)
    with output.CliReporter() as reporter:
        exe = provision.venv_interpreter(a.python, settings, cwd=Path(logical_cwd()), reporter=reporter,
                                         warn=output.warn)
    venv_mod.create(path, exe, seed=a.seed, prompt=a.prompt, clear=a.clear)
    store = Store(settings.install_dir)
    if str(exe).startswith(str(store.root) + os.sep):
        try:
            venv_mod.record(store, path)
        except StoreError as exc:  # a read-only install dir: the venv works, it is just not recorded
            output.warn(f"{exc.message}; `shimkit uninstall` will not warn that {path} uses {exe}")
    output.note(f"Created virtual environment {path} with {exe}")
    output.note(f"Activate with: source {path}/bin/activate")
    return 0
