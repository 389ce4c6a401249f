"""Ask an interpreter what it is: run it once, isolated, with a tiny script and a timeout.

Used to verify a freshly extracted installation before it is moved into place, and by
discovery to learn about interpreters found on PATH (results cached by discovery).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Sequence

from .errors import VerificationError
from .model.version import Version
from .procs import run_bounded
from .record import Record

MARKER = "shimkit-probe:"
# Runs under -I -S on every Python >= 3.6 we may meet, and under -E -s -S on 2.7 (which has no
# -I); the working directory is dropped from sys.path before anything is imported, so a
# checked-out os.py is never run.  Prints one marked line: a dict's repr (a Python literal).
# It imports nothing on Python 3 but on Windows (os is loaded at startup): a fresh installation has
# no bytecode, and json, sysconfig or platform compiled from source would cost ~80 ms a run.  2.7
# prints JSON (the repr of its byte strings would not survive a non-ASCII path).
SCRIPT = (
    "import sys\n"
    "sys.path[:] = [p for p in sys.path if p not in ('', '.')]\n"
    "import os\n"
    "v = sys.version_info\n"
    "pre = {'alpha': 'a', 'beta': 'b', 'candidate': 'rc'}.get(v.releaselevel, '')\n"
    "impl = getattr(getattr(sys, 'implementation', None), 'name', None)"
    " or __import__('platform').python_implementation().lower()\n"
    # POSIX free-threaded builds have 't' in their ABI flags; Windows has no sys.abiflags before 3.14
    "ft = 't' in sys.abiflags if hasattr(sys, 'abiflags')"
    " else bool(__import__('sysconfig').get_config_var('Py_GIL_DISABLED'))\n"
    "d = {\n"
    "  'version': '%d.%d.%d' % v[:3] + (pre + str(v.serial) if pre else ''),\n"
    "  'implementation': impl, 'freethreaded': ft,\n"
    "  'debug': hasattr(sys, 'gettotalrefcount'),\n"
    "  'machine': os.uname()[4] if hasattr(os, 'uname') else __import__('platform').machine(),\n"
    "  'pointer_bits': 64 if sys.maxsize > 2**32 else 32,\n"
    "  'prefix': sys.prefix, 'base_prefix': getattr(sys, 'base_prefix', sys.prefix),\n"
    "  'executable': sys.executable,\n"
    "}\n"
    "print(" + repr(MARKER) + " + (__import__('json').dumps(d) if v[0] < 3 else repr(d)))\n"
)


class InterpreterInfo(Record, frozen=True):
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
        return self.as_dict()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InterpreterInfo:
        info = cls(**{k: data[k] for k in cls.__fields__})
        Version.parse(info.version)  # reject garbage early (ValueError)
        return info


def _parse(text: str) -> Any:
    """The report: JSON (Python 2) or a Python literal (Python 3)."""
    try:
        return json.loads(text)
    except ValueError:
        import ast

        return ast.literal_eval(text)


def probe(executable: Path, timeout: float = 15.0, *, then: str = "", args: Sequence[str] = ()) -> InterpreterInfo:
    """Run ``executable -I -S`` once and parse what it reports.

    ``then`` is more code for the same run, after the report (``args`` are its ``sys.argv[1:]``):
    one interpreter start instead of two.  It must not fail (wrap it in try/except).

    Raises :class:`VerificationError` if it cannot be run, exits non-zero, hangs past
    ``timeout`` seconds, or prints something that is not a report.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    script = SCRIPT + then
    try:
        # in a process group of its own, killed whole on timeout (grandchildren included)
        proc = run_bounded([str(executable), "-I", "-S", "-c", script, *args], timeout=timeout, env=env)
        if proc.returncode == 2 and b"Unknown option: -I" in proc.stderr:
            # Python 2.7 knows no -I: the same isolation by its parts (pyenv users keep 2.7 around)
            proc = run_bounded([str(executable), "-E", "-s", "-S", "-c", script, *args], timeout=timeout, env=env)
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
                return InterpreterInfo.from_json(_parse(line[len(MARKER) :]))
            except (ValueError, KeyError, TypeError, SyntaxError, MemoryError, RecursionError):
                break
    raise VerificationError(f"{executable} did not report its version (is it a Python interpreter?)")
