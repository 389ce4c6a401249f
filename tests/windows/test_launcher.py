"""The Windows trampolines: shimkit.trampoline writes them, wine runs the shipped launcher.

The launcher is the committed ``shimkit/launchers/shimkit-launcher-x86_64.exe`` (wine here runs
x86_64 Windows programs; the aarch64 build is the same source and is checked statically and by
the reproducibility test).  The program it starts is ``target.c``, which reports its argv, raw
command line, module path, working directory, environment and stdin as one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path, PureWindowsPath
from typing import Any, Optional

import pytest

from shimkit import trampoline
from shimkit.trampoline import (
    host_launcher_arch,
    is_managed,
    launcher_bytes,
    read_trampoline,
    render_trampoline,
    write_trampoline,
)

ROOT = Path(__file__).resolve().parent.parent.parent
ARCH = "x86_64"
LAUNCHERS = ROOT / "shimkit" / "launchers"
BAD_VARS = ("PYTHONHOME", "PYTHONPATH", "__PYVENV_LAUNCHER__", "PYTHONEXECUTABLE")


Wine = Any  # conftest.Wine: the `wine` fixture (conftest is not importable as a module)


def winpath(path: Path) -> str:
    """``/tmp/x y/a.exe`` as wine's Windows programs see it: ``Z:\\tmp\\x y\\a.exe``."""
    return "Z:" + str(path).replace("/", "\\")


def parse_lines(stdout: bytes) -> list[dict[str, Any]]:
    """The target's JSON lines (one per process that printed)."""
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines() if line.strip()]


class Layout:
    """An install dir with a minor-version link and a bin dir, as shimkit lays them out.

    The link is a Unix symlink, which wine shows as a plain directory: it stands in for the
    junction (wine cannot create junctions), and like a junction it is not resolved in the path
    the launcher starts.
    """

    def __init__(self, root: Path, target_exe: Path) -> None:
        self.target_exe = target_exe
        self.install = root / "Pythön Inställ ✓"  # spaces and non-ASCII in every target path
        self.bin = root / "my bin"
        self.bin.mkdir(parents=True)
        self.link = self.add_version("3.12.11", "3.12")
        self.python312 = self.bin / "python3.12.exe"
        write_trampoline(self.python312, self.target("3.12"), ARCH)

    def add_version(self, version: str, minor: str) -> Path:
        real = self.install / f"cpython-{version}-windows-x86_64-none"
        real.mkdir(parents=True)
        shutil.copy(self.target_exe, real / "python.exe")
        link = self.install / f"cpython-{minor}-windows-x86_64-none"
        if link.is_symlink():
            link.unlink()
        link.symlink_to(real.name)
        return link

    def target(self, minor: str) -> PureWindowsPath:
        return PureWindowsPath(winpath(self.install / f"cpython-{minor}-windows-x86_64-none" / "python.exe"))


@pytest.fixture
def layout(tmp_path: Path, target_exe: Path) -> Layout:
    return Layout(tmp_path, target_exe)


def drive(
    wine: Wine,
    target_exe: Path,
    tmp_path: Path,
    cmdline: str,
    env: Optional[dict[str, str]] = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[bytes]:
    """Start ``cmdline`` exactly as written (target.c's driver mode does the CreateProcessW)."""
    file = tmp_path / f"cmdline-{uuid.uuid4().hex[:8]}.txt"
    file.write_bytes(cmdline.encode("utf-8"))
    return wine.run(target_exe, extra_env={"TARGET_DRIVE": winpath(file), **(env or {})}, **kwargs)


def one_report(proc: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    (report,) = parse_lines(proc.stdout)
    return report


# Each of these breaks a launcher that re-quotes a parsed argv, or parses argv[0] wrongly.
NASTY = [
    "plain",
    "two words",
    "",
    'quote"inside',
    "trailing\\",
    "trailing space\\ ",
    '\\"',
    'a\\\\"b',
    "\\\\server\\share\\",
    '""',
    "héllo ✓",
    "tab\there",
    "%PATH% ^&|<> !x!",
    "C:\\Program Files\\x\\",
]


def test_arguments_reach_the_target_verbatim(wine: Wine, target_exe: Path, layout: Layout, tmp_path: Path) -> None:
    cmdline = subprocess.list2cmdline([winpath(layout.python312), *NASTY])
    tail = cmdline[len(subprocess.list2cmdline([winpath(layout.python312)])) + 1 :]

    got = one_report(drive(wine, target_exe, tmp_path, cmdline))

    assert got["argv"][1:] == NASTY
    # The launcher hands the caller's text on untouched, after the quoted target path.
    assert got["cmdline"] == f'"{layout.target("3.12")}" {tail}'
    assert got["argv"][0] == str(layout.target("3.12"))
    # And the target parses it exactly as it parses the same text given to it directly.
    direct = one_report(drive(wine, target_exe, tmp_path, subprocess.list2cmdline([winpath(target_exe), *NASTY])))
    assert got["argv"][1:] == direct["argv"][1:]


@pytest.mark.parametrize(
    "form",
    ["quoted path", "unquoted path", "bare name", "tab after name", "no arguments"],
)
def test_every_way_of_naming_the_trampoline_is_skipped_exactly(
    wine: Wine, target_exe: Path, layout: Layout, tmp_path: Path, form: str
) -> None:
    plain_bin = tmp_path / "plainbin"
    plain_bin.mkdir()
    write_trampoline(plain_bin / "python3.12.exe", layout.target("3.12"), ARCH)
    tail = 'x "a b" c\\"d'
    argv0, sep, cwd = {
        "quoted path": (f'"{winpath(layout.python312)}"', " ", None),
        "unquoted path": (winpath(plain_bin / "python3.12.exe"), " ", None),
        # found by CreateProcess's search (cwd); with ".exe", since "python3.12" has an extension
        "bare name": ("python3.12.exe", " ", plain_bin),
        "tab after name": (f'"{winpath(layout.python312)}"', "\t ", None),
        "no arguments": (f'"{winpath(layout.python312)}"', "", None),
    }[form]
    if form == "no arguments":
        tail = ""

    got = one_report(drive(wine, target_exe, tmp_path, argv0 + sep + tail, cwd=cwd))

    target = str(layout.target("3.12"))
    assert got["cmdline"] == (f'"{target}" {tail}' if tail else f'"{target}"')
    assert got["argv"] == ([target, "x", "a b", 'c"d'] if tail else [target])


@pytest.mark.parametrize("code", [0, 1, 255])
def test_exit_code_is_the_targets(wine: Wine, layout: Layout, code: int) -> None:
    proc = wine.run(layout.python312, extra_env={"TARGET_EXIT": str(code)})
    assert proc.returncode == code
    assert parse_lines(proc.stdout)[0]["argv"][0] == str(layout.target("3.12"))


def test_stdin_stdout_and_stderr_flow_through(wine: Wine, layout: Layout) -> None:
    data = b"line one\r\nline two\n\x00\xff\xfe binary " + bytes(range(256)) * 200  # ~50 KiB
    proc = wine.run(
        layout.python312,
        extra_env={"TARGET_READ_STDIN": "1", "TARGET_STDERR": "to stderr: ✓"},
        stdin=data,
    )
    assert proc.returncode == 0
    assert bytes.fromhex(one_report(proc)["stdin"]) == data
    assert proc.stderr.decode("utf-8") == "to stderr: ✓"


def test_environment_reaches_the_target_unchanged(wine: Wine, target_exe: Path, layout: Layout, tmp_path: Path) -> None:
    env = {"SHIMKIT_TEST_VAR": "ünïcode ✓ = value", "PYTHONPATH": r"Z:\user's own\path"}
    through = one_report(drive(wine, target_exe, tmp_path, f'"{winpath(layout.python312)}"', env=env))
    direct = one_report(drive(wine, target_exe, tmp_path, f'"{winpath(target_exe)}"', env=env))

    assert through["env"] == direct["env"]  # nothing added, removed or changed
    assert through["env"]["SHIMKIT_TEST_VAR"] == "ünïcode ✓ = value"
    assert through["env"]["PYTHONPATH"] == r"Z:\user's own\path"  # the user's own value, untouched
    assert not {"PYTHONHOME", "__PYVENV_LAUNCHER__"} & set(through["env"])


def test_interpreter_started_from_inside_gets_a_clean_environment(wine: Wine, layout: Layout) -> None:
    """3.12 (through its trampoline) starts 3.13 (through its own): the 3.13 process gets no
    variable from the first launcher, so a PYTHONHOME-style hand-off could not break it."""
    layout.add_version("3.13.5", "3.13")
    python313 = layout.bin / "python3.13.exe"
    write_trampoline(python313, layout.target("3.13"), ARCH)

    proc = wine.run(
        layout.python312,
        args=["-c", "spawn"],
        extra_env={"TARGET_SPAWN": f'"{winpath(python313)}" -c "import sys"'},
    )

    assert proc.returncode == 0, proc.stderr
    inner, outer = parse_lines(proc.stdout)  # the inner process finishes (and prints) first
    assert outer["exe"] == str(layout.target("3.12"))
    assert inner["exe"] == str(layout.target("3.13"))
    assert inner["argv"][1:] == ["-c", "import sys"]
    assert not set(BAD_VARS) & set(inner["env"])
    # Exactly the outer process's environment, less the variable target.c itself removed.
    assert inner["env"] == {k: v for k, v in outer["env"].items() if k != "TARGET_SPAWN"}


def test_working_directory_is_kept(wine: Wine, layout: Layout, tmp_path: Path) -> None:
    cwd = tmp_path / "wörk dir"
    cwd.mkdir()
    got = one_report(wine.run(layout.python312, cwd=cwd))
    assert got["cwd"].rstrip("\\") == winpath(cwd)


def test_missing_target_fails_with_one_line_naming_it(wine: Wine, layout: Layout) -> None:
    entry = layout.bin / "python3.11.exe"
    missing = layout.target("3.11")
    write_trampoline(entry, missing, ARCH)

    started = time.monotonic()
    proc = wine.run(entry)
    elapsed = time.monotonic() - started

    assert proc.returncode == 1
    assert proc.stdout == b""
    message = proc.stderr.decode("utf-8").rstrip("\r\n")
    assert "\n" not in message
    assert str(missing) in message
    assert message.startswith("shimkit launcher: target not found: ")
    assert elapsed < 10


def test_file_without_a_target_fails_cleanly(wine: Wine, tmp_path: Path) -> None:
    bare = tmp_path / "python3.12.exe"
    bare.write_bytes(launcher_bytes(ARCH))  # a launcher nobody appended a target to
    proc = wine.run(bare)
    assert proc.returncode == 1
    message = proc.stderr.decode("utf-8").rstrip("\r\n")
    assert "\n" not in message
    assert "carries no target" in message
    assert winpath(bare) in message


def test_patch_upgrade_moves_the_entry_without_rewriting_it(wine: Wine, layout: Layout) -> None:
    before = layout.python312.read_bytes()
    # What `shimkit install 3.12` does on an upgrade: repoint the minor link; the old patch may go.
    layout.add_version("3.12.12", "3.12")
    shutil.rmtree(layout.install / "cpython-3.12.11-windows-x86_64-none")
    write_trampoline(layout.python312, layout.target("3.12"), ARCH)  # a refresh is a no-op

    got = one_report(wine.run(layout.python312))

    assert layout.python312.read_bytes() == before
    # Started by the path through the link, so its own module path (from which CPython derives
    # sys.prefix) is the link path: stdlib and site-packages of the linked installation.
    assert got["exe"] == str(layout.target("3.12"))


def test_killing_the_launcher_kills_the_target(wine: Wine, target_exe: Path, layout: Layout, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    proc = drive(
        wine,
        target_exe,
        tmp_path,
        f'"{winpath(layout.python312)}"',
        env={"TARGET_DRIVE_ACTION": "kill", "TARGET_READY_FILE": winpath(ready), "TARGET_SLEEP_MS": "30000"},
    )
    assert proc.returncode == 9, proc.stderr  # the exit code TerminateProcess gave the launcher
    assert parse_lines(proc.stdout)[-1] == {"target_exited": True}


def test_ctrl_c_is_left_to_the_target(wine: Wine, layout: Layout, tmp_path: Path) -> None:
    """Ctrl+C reaches every process on the console: the launcher must outlive it, so the target
    can handle it and its exit code comes back.  wine turns SIGINT to its processes into that
    console event (a Windows console cannot be driven here), so signal the whole group."""
    ready = tmp_path / "ready"
    env = dict(wine.env, TARGET_READY_FILE=winpath(ready), TARGET_ON_CTRL_C="42", TARGET_SLEEP_MS="20000")
    proc = subprocess.Popen(
        ["wine", str(layout.python312)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready.exists(), "the target never got ready"
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 42, err
    assert parse_lines(out)[-1] == {"ctrl_c": True}


# --- the committed binaries --------------------------------------------------------------


def pe_info(data: bytes) -> tuple[int, list[str]]:
    """(machine type, imported DLL names) of a PE image."""
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    assert data[pe : pe + 4] == b"PE\0\0"
    machine, nsections = struct.unpack_from("<HH", data, pe + 4)
    opt_size = struct.unpack_from("<H", data, pe + 20)[0]
    opt = pe + 24
    assert struct.unpack_from("<H", data, opt)[0] == 0x20B  # PE32+
    import_rva = struct.unpack_from("<I", data, opt + 112 + 8)[0]  # data directory 1
    sections = []
    for i in range(nsections):
        s = opt + opt_size + 40 * i
        vsize, va, rawsize, rawptr = struct.unpack_from("<IIII", data, s + 8)
        sections.append((va, max(vsize, rawsize), rawptr))

    def offset(rva: int) -> int:
        for va, size, rawptr in sections:
            if va <= rva < va + size:
                return rva - va + rawptr
        raise AssertionError(f"rva {rva:#x} in no section")

    dlls = []
    at = offset(import_rva)
    while True:
        name_rva = struct.unpack_from("<I", data, at + 12)[0]
        if name_rva == 0:
            break
        o = offset(name_rva)
        dlls.append(data[o : data.index(b"\0", o)].decode("ascii"))
        at += 20
    return machine, dlls


@pytest.mark.parametrize(("arch", "machine"), [("x86_64", 0x8664), ("aarch64", 0xAA64)])
def test_shipped_launchers_need_only_kernel32(arch: str, machine: int) -> None:
    data = launcher_bytes(arch)
    got_machine, dlls = pe_info(data)
    assert got_machine == machine
    assert [d.lower() for d in dlls] == ["kernel32.dll"]  # nothing a user's machine could lack
    assert len(data) < 16 * 1024
    assert read_trampoline(LAUNCHERS / f"shimkit-launcher-{arch}.exe") is None


def test_reproducible(tmp_path: Path) -> None:
    """A fresh build from launcher.c gives the committed binaries, byte for byte."""
    try:
        import ziglang  # noqa: F401
    except ImportError:
        pytest.fail(
            "the launcher build needs Zig from PyPI: `pip install ziglang==0.17.1` into the test environment",
            pytrace=False,
        )
    out = tmp_path / "out"
    proc = subprocess.run(
        ["sh", str(ROOT / "launcher" / "build.sh"), str(out)],
        env=dict(os.environ, PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    recorded = dict(
        reversed(line.split()) for line in (ROOT / "launcher" / "SHA256SUMS").read_text().splitlines() if line
    )
    for arch in trampoline.ARCHES:
        name = f"shimkit-launcher-{arch}.exe"
        fresh = hashlib.sha256((out / name).read_bytes()).hexdigest()
        committed = hashlib.sha256((LAUNCHERS / name).read_bytes()).hexdigest()
        assert fresh == committed == recorded[name], f"{name}: rebuild with launcher/build.sh and commit"


# --- shimkit.trampoline without wine ----------------------------------------------------

INSTALL = PureWindowsPath(r"C:\Users\Zoë\AppData\Roaming\shimkit\python")
TARGET = INSTALL / "cpython-3.12-windows-x86_64-none" / "python.exe"


def test_read_trampoline_returns_what_was_written(tmp_path: Path) -> None:
    entry = tmp_path / "python3.12.exe"
    write_trampoline(entry, TARGET, "aarch64")
    assert str(read_trampoline(entry)) == str(TARGET)
    assert entry.read_bytes().startswith(launcher_bytes("aarch64"))


def test_foreign_files_are_not_trampolines(tmp_path: Path, target_exe: Path) -> None:
    good = render_trampoline(TARGET, ARCH)
    foreign = {
        "other.exe": target_exe.read_bytes(),  # a real Windows program
        "bare-launcher.exe": launcher_bytes(ARCH),
        "text.exe": b"#!/bin/sh\necho hi\n",
        "empty.exe": b"",
        "no-mz.exe": b"XX" + good[2:],  # our footer on something that is not an executable
        "bad-length.exe": good[:-16] + struct.pack("<II8s", 10**6, 1, b"SHIMKITL"),
        "odd-length.exe": good[:-16] + struct.pack("<II8s", 7, 1, b"SHIMKITL"),
        "future-format.exe": good[:-16] + struct.pack("<II8s", len(str(TARGET)) * 2, 2, b"SHIMKITL"),
    }
    for name, data in foreign.items():
        (tmp_path / name).write_bytes(data)
        assert read_trampoline(tmp_path / name) is None, name
        assert not is_managed(tmp_path / name, INSTALL), name
    (tmp_path / "a-dir.exe").mkdir()
    for path in (tmp_path / "a-dir.exe", tmp_path / "missing.exe"):
        assert read_trampoline(path) is None
        assert not is_managed(path, INSTALL)


@pytest.mark.parametrize(
    ("install_dir", "managed"),
    [
        (str(INSTALL), True),
        (str(INSTALL).upper(), True),  # Windows paths compare case-insensitively
        (str(INSTALL).replace("\\", "/") + "/", True),
        (str(INSTALL.parent), True),
        (str(INSTALL) + "2", False),  # a sibling sharing the prefix is not inside
        (str(INSTALL / "cpython-3.12-windows-x86_64-none" / "python.exe"), False),
        (r"D:\elsewhere", False),
    ],
)
def test_is_managed_means_target_inside_install_dir(tmp_path: Path, install_dir: str, managed: bool) -> None:
    entry = tmp_path / "python3.12.exe"
    write_trampoline(entry, TARGET, ARCH)
    assert is_managed(entry, PureWindowsPath(install_dir)) is managed


def test_write_replaces_atomically_and_leaves_identical_entries_alone(tmp_path: Path) -> None:
    entry = tmp_path / "python3.12.exe"
    entry.write_bytes(b"old")
    write_trampoline(entry, TARGET, ARCH)
    first = entry.stat()
    time.sleep(0.01)
    write_trampoline(entry, TARGET, ARCH)
    assert entry.stat().st_mtime_ns == first.st_mtime_ns and entry.stat().st_ino == first.st_ino
    other = PureWindowsPath(str(TARGET).replace("3.12", "3.13"))
    write_trampoline(entry, other, ARCH)
    assert str(read_trampoline(entry)) == str(other)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["python3.12.exe"]  # no temp files left


def test_running_entry_is_moved_aside_when_it_cannot_be_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows refuses to replace a running executable but lets it be renamed; Linux has no such
    # lock, so the refusal is substituted here.
    entry = tmp_path / "python3.12.exe"
    write_trampoline(entry, TARGET, ARCH)
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        set_aside = any(p.name.endswith(".old") for p in tmp_path.iterdir())
        if Path(dst) == entry and Path(src).name.endswith(".tmp") and entry.exists() and not set_aside:
            raise PermissionError(13, "Access is denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(trampoline.os, "replace", replace)
    monkeypatch.setattr(trampoline.os, "unlink", lambda p: (_ for _ in ()).throw(PermissionError(13, "in use")))
    other = PureWindowsPath(str(TARGET).replace("3.12", "3.13"))
    write_trampoline(entry, other, ARCH)
    assert str(read_trampoline(entry)) == str(other)
    aside = [p for p in tmp_path.iterdir() if p.name.endswith(".old")]
    assert len(aside) == 1 and str(read_trampoline(aside[0])) == str(TARGET)  # still "running"

    monkeypatch.undo()
    write_trampoline(entry, TARGET, ARCH)  # the next write clears what was set aside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["python3.12.exe"]


@pytest.mark.parametrize("bad", ["python.exe", r"relative\python.exe", r"C:python.exe", 'C:\\a"b\\python.exe'])
def test_targets_must_be_absolute_windows_paths(bad: str) -> None:
    with pytest.raises(ValueError):
        render_trampoline(PureWindowsPath(bad) if '"' not in bad else bad, ARCH)


@pytest.mark.parametrize(
    ("machine", "arch"),
    [("AMD64", "x86_64"), ("ARM64", "aarch64"), ("x86_64", "x86_64"), ("aarch64", "aarch64")],
)
def test_host_launcher_arch(machine: str, arch: str) -> None:
    assert host_launcher_arch(machine) == arch
    assert launcher_bytes(arch)[:2] == b"MZ"


def test_host_launcher_arch_rejects_unknown_machines() -> None:
    with pytest.raises(ValueError, match="x86"):
        host_launcher_arch("x86")
