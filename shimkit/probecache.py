"""What an interpreter reports about itself, asked once and remembered.

Interpreters other than managed ones are run once (``-I -S`` and a tiny script, see
:mod:`shimkit.probe`); the answer is cached in ``<user cache dir>/interpreters/`` keyed by path
and the executable's mtime, size, inode and device.  A failure (not executable, non-zero exit,
garbage output, a hang past ``SHIMKIT_PROBE_TIMEOUT`` seconds, default 10) is remembered for an
hour.  Also here: which virtual environment an executable belongs to, and what its
``pyvenv.cfg`` names as home (the search and the probe both need it).
"""

from __future__ import annotations

import os
import stat

from .errors import VerificationError
from .model.version import Version

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    from _typeshed import StrPath

    from .probe import InterpreterInfo


PROBE_TIMEOUT_ENV = "SHIMKIT_PROBE_TIMEOUT"
DEFAULT_PROBE_TIMEOUT = 10.0
ERROR_TTL = 3600.0  # seconds a failed probe is remembered
CACHE_FORMAT = 2
CACHE_MAGIC = "shimkit-probe"
# Entries are NUL-separated fields, not JSON: reading them must not import json (and re) on every
# ``find``/``list`` that meets an interpreter on PATH; no path or value can hold a NUL.
# Layout: MAGIC, format, path, stat key, time, then "ok" and the report's key/type/value triples,
# or "error" and the reason, then "end".
_DECODE: dict[str, Callable[[str], Any]] = {"s": str, "i": int, "f": float, "b": lambda v: v == "1"}


def probe_timeout() -> float:
    """``SHIMKIT_PROBE_TIMEOUT`` seconds (default 10): how long a candidate may take to answer."""
    try:
        value = float(os.environ.get(PROBE_TIMEOUT_ENV, ""))
        return value if value > 0 else DEFAULT_PROBE_TIMEOUT
    except ValueError:
        return DEFAULT_PROBE_TIMEOUT


def venv_of(exe: str) -> Optional[str]:
    """The virtual environment ``exe`` belongs to: CPython looks for ``pyvenv.cfg`` next to the
    executable (as invoked, symlinks not resolved) or one directory up."""
    d = os.path.dirname(os.path.abspath(exe))
    for venv in (d, os.path.dirname(d)):
        if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
            return venv
    return None


def venv_home(venv: StrPath) -> Optional[str]:
    """The ``home`` key of a venv's ``pyvenv.cfg`` (None if unreadable or absent)."""
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, sep, value = line.partition("=")
                if sep and key.strip().lower() == "home":
                    return value.strip()
    except OSError:
        pass
    return None


def _cache_file(cache_dir: str, exe: str) -> str:
    import binascii

    raw = os.fsencode(exe)
    name = f"{binascii.crc32(raw):08x}{binascii.crc32(raw[::-1]):08x}.probe"
    return os.path.join(cache_dir, "interpreters", name)


def _encode(entry: dict[str, Any]) -> str:
    fields = [CACHE_MAGIC, str(CACHE_FORMAT), entry["path"], entry["stat"], repr(entry["time"])]
    if "info" in entry:
        fields.append("ok")
        for k, v in entry["info"].items():
            kind = "b" if isinstance(v, bool) else "i" if isinstance(v, int) else "f" if isinstance(v, float) else "s"
            fields += [k, kind, ("1" if v else "0") if kind == "b" else str(v).replace("\0", " ")]
    else:
        fields += ["error", entry["error"].replace("\0", " ")]
    return "\0".join([*fields, "end"])  # a cut-off file lacks it


def _decode(text: str) -> Optional[dict[str, Any]]:
    """The entry :func:`_encode` wrote, or None for anything else (damaged, another format)."""
    fields = text.split("\0")
    if fields.pop() != "end" or len(fields) < 7 or fields[0] != CACHE_MAGIC or fields[1] != str(CACHE_FORMAT):
        return None
    entry: dict[str, Any] = {"path": fields[2], "stat": fields[3], "time": float(fields[4])}
    if fields[5] == "error" and len(fields) == 7:
        entry["error"] = fields[6]
        return entry
    triples = fields[6:]
    if fields[5] != "ok" or len(triples) % 3:
        return None
    info = {}
    for i in range(0, len(triples), 3):
        k, kind, v = triples[i : i + 3]
        info[k] = _DECODE[kind](v)  # KeyError, ValueError: not ours
    entry["info"] = info
    return entry


def _valid_info(info: Any) -> bool:
    return (
        isinstance(info, dict)
        and all(isinstance(info.get(k), str) for k in ("version", "implementation", "prefix", "base_prefix"))
        and Version.try_parse(info["version"]) is not None
    )


def interpreter_info(
    exe: str, cache_dir: str, *, timeout: Optional[float] = None
) -> tuple[Optional[dict[str, Any]], str]:
    """What ``exe`` reports about itself (:meth:`InterpreterInfo.to_json` shape) and "" — or None
    and the reason it cannot be used."""
    try:
        st = os.stat(exe)
    except OSError as exc:
        return None, exc.strerror or "cannot stat"
    if not stat.S_ISREG(st.st_mode):
        return None, "not a regular file"
    if not os.access(exe, os.X_OK):
        return None, "not executable"
    import time

    key = f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}:{st.st_dev}"
    path = _cache_file(cache_dir, exe)
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            data = _decode(fh.read(1 << 16))
        if data is not None and data.get("path") == exe and data.get("stat") == key:
            if _valid_info(data.get("info")):
                return data["info"], ""
            error = data.get("error")
            if isinstance(error, str) and time.time() - float(data.get("time", 0)) < ERROR_TTL:
                return None, error
    except (OSError, ValueError, TypeError, KeyError):
        pass
    from pathlib import Path

    from .probe import probe

    entry: dict[str, Any] = {"path": exe, "stat": key, "time": time.time()}
    info: Optional[dict[str, Any]] = None
    reason = ""
    try:
        info = probe(Path(exe), timeout if timeout is not None else probe_timeout()).to_json()
        venv = venv_of(exe)
        if venv is not None:
            # under -S, site.py never runs, so sys.prefix stays the base prefix; report what a
            # normal start reports (the venv), so `prefix != base_prefix` identifies venvs
            info["prefix"] = venv
        entry["info"] = info
    except VerificationError as exc:
        reason = exc.message.replace(exe, "").strip() or exc.message
        entry["error"] = reason
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from .safeio import write_text_atomic

        write_text_atomic(path, _encode(entry))
    except OSError:
        pass  # a read-only cache only costs speed
    return info, reason


def probe_cached(exe: StrPath, cache_dir: str) -> InterpreterInfo:
    """:class:`InterpreterInfo` for ``exe`` through the cache; :class:`VerificationError` if broken."""
    from .probe import InterpreterInfo

    info, reason = interpreter_info(os.fspath(exe), cache_dir)
    if info is None:
        raise VerificationError(
            f"{os.fspath(exe)} cannot be used: {reason}",
            f"check that `{os.fspath(exe)} -c pass` runs, or name another interpreter",
        )
    return InterpreterInfo.from_json(info)


def variant_of(info: dict[str, Any]) -> str:
    """``freethreaded``, ``debug``, ``freethreaded+debug`` or "" from a probe report."""
    flags = (("freethreaded", info.get("freethreaded")), ("debug", info.get("debug")))
    return "+".join(p for p, on in flags if on)
