"""Which running processes use an installation (so that ``uninstall`` can leave it in place).

A process uses an installation when its executable or a file it has mapped (``libpython``, an
extension module from ``lib-dynload``) lies inside the installation's directory.  That covers
processes started from the installation itself, through its minor-version link, and from every
virtual environment built on it: the kernel records the resolved path.

* Linux: ``/proc/<pid>/exe`` and ``/proc/<pid>/maps``, for every process whose entries this user
  may read (other users' processes are invisible unless shimkit runs as root).
* macOS: best effort, through ``lsof`` (program and library entries); nothing is found when
  ``lsof`` is missing.
* Windows: best effort, through the process and module lists (``EnumProcesses``,
  ``EnumProcessModulesEx``; see :mod:`shimkit.liveprocs_windows`); Windows also refuses to
  rename a directory holding a running program, so an uninstall can fail on its own there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .record import Record


class LiveProcess(Record, frozen=True):
    pid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command})"


def processes_using(root: Path) -> list[LiveProcess]:
    """Live processes (other than this one) running from, or with files mapped from, ``root``."""
    real = os.path.realpath(root)
    if sys.platform.startswith("linux"):
        found = _linux(real)
    elif sys.platform == "darwin":
        found = _lsof(real)
    elif sys.platform == "win32":
        from .liveprocs_windows import processes_using as windows

        found = [LiveProcess(pid, command) for pid, command in windows(real)]
    else:
        found = []
    return sorted((p for p in found if p.pid != os.getpid()), key=lambda p: p.pid)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _linux(root: str, proc: str = "/proc") -> list[LiveProcess]:
    found = []
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        base = f"{proc}/{name}"
        try:
            exe = os.readlink(f"{base}/exe").removesuffix(" (deleted)")
        except OSError:  # a kernel thread, a process that just ended, or another user's
            exe = ""
        hit = _inside(exe, root)
        if not hit:
            try:
                with open(f"{base}/maps", encoding="utf-8", errors="surrogateescape") as f:
                    # "address perms offset dev inode path": the path is the sixth field
                    hit = any(
                        len(fields) == 6 and _inside(fields[5].removesuffix(" (deleted)"), root)
                        for fields in (line.rstrip("\n").split(None, 5) for line in f if root in line)
                    )
            except OSError:
                continue
        if hit:
            found.append(LiveProcess(int(name), _linux_command(base) or exe))
    return found


def _linux_command(base: str) -> str:
    try:
        with open(f"{base}/cmdline", "rb") as f:
            raw = f.read(4096)
    except OSError:
        return ""
    return _short(" ".join(os.fsdecode(a) for a in raw.rstrip(b"\0").split(b"\0")))


def _lsof(root: str) -> list[LiveProcess]:
    """macOS (and any system with ``lsof``): program and library entries of every process."""
    try:
        out = subprocess.run(
            ["lsof", "-n", "-P", "-w", "-d", "txt", "-F", "pcn"],
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found: dict[int, str] = {}
    pid, command = 0, ""
    for line in out.splitlines():
        tag, value = line[:1], line[1:]
        if tag == "p":
            pid, command = int(value), ""
        elif tag == "c":
            command = value
        elif tag == "n" and pid and _inside(value, root):
            found.setdefault(pid, command)
    return [LiveProcess(pid, _short(command)) for pid, command in found.items()]


def _short(command: str, limit: int = 120) -> str:
    return command if len(command) <= limit else command[: limit - 1] + "…"
