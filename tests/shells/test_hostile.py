"""A checked-out repository controls its .python-version: whatever it holds, the hooks of every
shell must only print a warning (never run it, never use it as a path, never hang)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Tuple

import pytest
from shell_harness import FakeStore, run_hook_in

SHELLS = ["bash", "zsh", "dash", "ksh", "fish", "xonsh", "nu"]
# dash's `read` silently drops NUL bytes, and dash has no other way to read a file without
# starting a process: "<BOM>\0\0\03.12" reads as "3.12" there, a valid pin (nothing else can come
# of it: what remains must still match the plain-version pattern to be used at all).
DASH_NUL = b"\xef\xbb\xbf\x00\x00\x003.12\n"


def contents(marker: Path) -> List[Tuple[bytes, bool]]:
    """(file content, whether its first line is a valid pin of 3.12 that must be honoured)."""
    m = str(marker).encode()
    return [
        (b"$(touch " + m + b")\n", False),
        (b"`touch " + m + b"`\n", False),
        (b"3.12;touch " + m + b"\n", False),
        (b"3.12 && touch " + m + b"\n", True),  # pyenv's reading: the first word is the version
        (b"$(touch " + m + b")\n3.12\n", True),  # every line holds requests: the first valid one wins
        (b"3.12\n$(touch " + m + b")\n", True),
        (b"../../../../bin/sh\n", False),
        (b"/usr/bin/python3\n", False),
        (b"${IFS}touch${IFS}" + m + b"\n", False),
        (b"x" * (1024 * 1024), False),  # a 1 MB line
        (bytes(range(256)) * 64, False),  # binary data, NUL bytes included
        (b"\xef\xbb\xbf\x00\x00\x003.12\n", False),  # (dash: see DASH_NUL below)
        (b"3.12\r\x00touch " + m + b"\n", True),  # old Mac line ends: "3.12" is the first line
    ]


@pytest.mark.parametrize("shell", SHELLS)
def test_hostile_version_files_only_warn(shell: str, tmp_path: Path, fake_store: FakeStore) -> None:
    marker = tmp_path / "pwned"
    hook = fake_store.write_hook(shell, tmp_path)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    for i, (data, pins) in enumerate(contents(marker)):
        d = tmp_path / f"repo {i}"
        d.mkdir()
        (d / ".python-version").write_bytes(data)
        started = time.monotonic()
        proc = run_hook_in(shell, hook, d, env)
        took = time.monotonic() - started
        out = proc.stdout.decode("utf-8", "replace").strip()
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 0, (data[:40], err[-2000:])
        if pins or (shell == "dash" and data == DASH_NUL):
            assert out == str(fake_store.bin("3.12")), (data[:40], out, err)
        else:
            assert out == "", (data[:40], out)  # nothing put on PATH
            assert "warning" in err, (data[:40], err)
        assert len(err) < 2000, (data[:40], err[:300])  # a short warning, not the content
        assert took < 20, f"{shell} took {took:.1f}s on {data[:20]!r}"
        assert not marker.exists(), f"{shell} ran {data[:40]!r}"
