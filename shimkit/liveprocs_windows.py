"""Which processes use an installation, on Windows (best effort; see :mod:`shimkit.liveprocs`).

Every process this user may open is asked for its loaded modules (the program first, then its
DLLs and ``.pyd`` extension modules) with ``EnumProcessModulesEx`` / ``GetModuleFileNameExW``;
a process that cannot be opened (another user's, a protected one) is skipped.  The "command" is
the program's path: reading another process's command line needs its memory.
"""

from __future__ import annotations

import ctypes
import ntpath
import sys
from ctypes import wintypes

PROCESS_QUERY_INFORMATION = 0x0400
PROCESS_VM_READ = 0x0010
LIST_MODULES_ALL = 0x03


def processes_using(root: str) -> list[tuple[int, str]]:
    """(pid, program path) of each process with a module loaded from inside ``root``."""
    if sys.platform != "win32":
        return []
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    psapi = ctypes.WinDLL("psapi", use_last_error=True)
    prefix = ntpath.normcase(root.rstrip("\\/")) + "\\"
    pids = (wintypes.DWORD * 65536)()
    got = wintypes.DWORD()
    if not psapi.EnumProcesses(pids, ctypes.sizeof(pids), ctypes.byref(got)):
        return []
    found = []
    for pid in list(pids)[: got.value // ctypes.sizeof(wintypes.DWORD)]:
        handle = kernel32.OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ, False, pid)
        if not handle:
            continue
        try:
            modules = (wintypes.HMODULE * 2048)()
            needed = wintypes.DWORD()
            if not psapi.EnumProcessModulesEx(
                handle, modules, ctypes.sizeof(modules), ctypes.byref(needed), LIST_MODULES_ALL
            ):
                continue
            count = min(needed.value // ctypes.sizeof(wintypes.HMODULE), len(modules))
            name = ctypes.create_unicode_buffer(32768)
            paths = []
            for module in list(modules)[:count]:
                if psapi.GetModuleFileNameExW(handle, module, name, len(name)):
                    paths.append(name.value)
            if any(ntpath.normcase(p).startswith(prefix) for p in paths):
                found.append((int(pid), paths[0] if paths else f"pid {pid}"))
        finally:
            kernel32.CloseHandle(handle)
    return found
