"""Ask an interpreter what it is: run it once, isolated, with a tiny script and a timeout.

Used to verify a freshly extracted installation before it is moved into place, and by
discovery to learn about interpreters found on PATH (results cached by discovery).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import VerificationError
from .model.version import Version
from .procs import run_bounded

MARKER = "shimkit-probe:"
# Runs under -I -S on every Python >= 3.6 we may meet, and under -E -s -S on 2.7 (which has no
# -I); the working directory is dropped from sys.path before anything is imported, so a
# checked-out json.py is never run.  Prints one marked JSON line.
SCRIPT = (
    "import sys\n"
    "sys.path[:] = [p for p in sys.path if p not in ('', '.')]\n"
    "import json, sysconfig, platform\n"
    "v = sys.version_info\n"
    "pre = {'alpha': 'a', 'beta': 'b', 'candidate': 'rc'}.get(v.releaselevel, '')\n"
    "print(" + repr(MARKER) + " + json.dumps({\n"
    "  'version': '%d.%d.%d' % v[:3] + (pre + str(v.serial) if pre else ''),\n"
    "  'implementation': getattr(getattr(sys, 'implementation', None), 'name', None)"
    " or platform.python_implementation().lower(),\n"
    "  'freethreaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),\n"
    "  'debug': hasattr(sys, 'gettotalrefcount'),\n"
    "  'machine': platform.machine(),\n"
    "  'pointer_bits': 64 if sys.maxsize > 2**32 else 32,\n"
    "  'prefix': sys.prefix, 'base_prefix': getattr(sys, 'base_prefix', sys.prefix),\n"
    "  'executable': sys.executable,\n"
    "}))\n"
)


@dataclass(frozen=True)
class InterpreterInfo:
    """What an interpreter reported about itself."""

    version: str
    implementation: str
    freethreaded: bool
    debug: bool
    machine: str
    pointer_bits: int
    prefix: str
    base_prefix: str
    executable: str

    @property
    def parsed_version(self) -> Version:
        return Version.parse(self.version)

    @property
    def variant(self) -> str:
        parts = [p for p, on in (("freethreaded", self.freethreaded), ("debug", self.debug)) if on]
        return "+".join(parts)

    @property
    def is_venv(self) -> bool:
        return self.prefix != self.base_prefix

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InterpreterInfo:
        info = cls(**{k: data[k] for k in cls.__dataclass_fields__})
        Version.parse(info.version)  # reject garbage early (ValueError)
        return info


def probe(executable: Path, timeout: float = 15.0) -> InterpreterInfo:
    """Run ``executable -I -S`` once and parse what it reports.

    Raises :class:`VerificationError` if it cannot be run, exits non-zero, hangs past
    ``timeout`` seconds, or prints something that is not a report.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        # in a process group of its own, killed whole on timeout (grandchildren included)
        proc = run_bounded([str(executable), "-I", "-S", "-c", SCRIPT], timeout=timeout, env=env)
        if proc.returncode == 2 and b"Unknown option: -I" in proc.stderr:
            # Python 2.7 knows no -I: the same isolation by its parts (pyenv users keep 2.7 around)
            proc = run_bounded([str(executable), "-E", "-s", "-S", "-c", SCRIPT], timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise VerificationError(f"{executable} did not answer within {timeout:.0f}s") from None
    except OSError as exc:
        raise VerificationError(f"cannot run {executable}: {exc.strerror or exc}") from None
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        tail = err[-1] if err else f"exit code {proc.returncode}"
        raise VerificationError(f"{executable} failed to start: {tail}")
    for line in out.splitlines():
        if line.startswith(MARKER):
            try:
                return InterpreterInfo.from_json(json.loads(line[len(MARKER) :]))
            except (ValueError, KeyError, TypeError):
                break
    raise VerificationError(f"{executable} did not report its version (is it a Python interpreter?)")
