"""shimkit.dirlink_windows: the minor-version junction code, run on Linux.

Junctions, reparse tags and ``_winapi.CreateJunction`` cannot exist on Linux (nor under wine,
which cannot create junctions), so the module's Windows calls (``dirlink_windows._ops``) are
substituted by an in-memory volume that enforces the Windows rules that matter here: a
directory cannot be renamed over an existing entry, removing a junction leaves its target
alone, and a junction records an absolute target.  The tests assert what a user of the install
dir would notice: the order of operations and the one moment the link is absent.
"""

from __future__ import annotations

import ntpath
import os
from pathlib import Path
from typing import Optional, Union

import pytest

from shimkit import dirlink_windows as dw

ABSENT = "<absent>"
Entry = Union[tuple[str], tuple[str, str]]  # ("dir",) | ("file",) | ("junction"|"symlink", target)


class FakeVolume:
    """The operations of ``_WindowsOps`` over a dict, logging each call and what ``watch``
    looked like right after it."""

    def __init__(self, watch: str) -> None:
        self.entries: dict[str, Entry] = {}
        self.log: list[tuple[str, ...]] = []
        self.watch = watch
        self.states: list[str] = []

    def _after(self, *op: str) -> None:
        self.log.append(op)
        self.states.append(self.state(self.watch))

    def state(self, path: str) -> str:
        e = self.entries.get(path)
        if e is None:
            return ABSENT
        return ntpath.basename(e[1]) if len(e) == 2 else e[0]

    # -- the _WindowsOps interface --
    def create_junction(self, target: str, link: str) -> None:
        assert os.path.isabs(target), "a junction needs an absolute target"
        assert link not in self.entries
        self.entries[link] = ("junction", target)
        self._after("create_junction", target, link)

    def reparse_tag(self, path: str) -> Optional[int]:
        e = self.entries.get(path)
        if e is None:
            return None
        return {"junction": dw.IO_REPARSE_TAG_MOUNT_POINT, "symlink": dw.IO_REPARSE_TAG_SYMLINK}.get(e[0], 0)

    def is_dir(self, path: str) -> bool:
        return self.entries.get(path, ("",))[0] in ("dir", "junction", "symlink")

    def readlink(self, path: str) -> str:
        e = self.entries[path]
        assert len(e) == 2
        return e[1]

    def rename(self, src: str, dst: str) -> None:
        if dst in self.entries:
            raise FileExistsError(183, "Cannot create a file when that file already exists", dst)
        self.entries[dst] = self.entries.pop(src)
        self._after("rename", src, dst)

    def rmdir(self, path: str) -> None:
        e = self.entries[path]
        assert e[0] in ("junction", "symlink", "dir"), e
        if e[0] == "dir":
            assert not any(p.startswith(path + os.sep) for p in self.entries), "directory not empty"
        del self.entries[path]  # a junction's target (another entry) is untouched
        self._after("rmdir", path)

    def unlink(self, path: str) -> None:
        assert self.entries[path] == ("file",)
        del self.entries[path]
        self._after("unlink", path)


@pytest.fixture
def vol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeVolume:
    fake = FakeVolume(str(tmp_path / "cpython-3.12-windows-x86_64-none"))
    for name in ("cpython-3.12.10-windows-x86_64-none", "cpython-3.12.11-windows-x86_64-none"):
        fake.entries[str(tmp_path / name)] = ("dir",)
        fake.entries[str(tmp_path / name / "python.exe")] = ("file",)
    monkeypatch.setattr(dw, "_ops", fake)
    return fake


def test_replacing_a_junction_leaves_it_absent_for_one_rename_only(tmp_path: Path, vol: FakeVolume) -> None:
    link = tmp_path / "cpython-3.12-windows-x86_64-none"
    vol.entries[str(link)] = ("junction", str(tmp_path / "cpython-3.12.10-windows-x86_64-none"))

    dw.replace_link(link, "cpython-3.12.11-windows-x86_64-none", tmp_path / ".temp")

    kinds = [op[0] for op in vol.log]
    assert kinds == ["create_junction", "rename", "rename", "rmdir"]
    create, aside, into_place, delete = vol.log
    new, old = create[2], aside[2]
    assert create[1] == str(tmp_path / "cpython-3.12.11-windows-x86_64-none")  # absolute
    assert os.path.dirname(new) == os.path.dirname(old) == str(tmp_path / ".temp")
    assert aside == ("rename", str(link), old)
    assert into_place == ("rename", new, str(link))
    assert delete == ("rmdir", old)
    # The link's state after each step: absent right after the old one moves aside, and only
    # until the very next operation puts the new one in place.
    assert vol.states == [
        "cpython-3.12.10-windows-x86_64-none",
        ABSENT,
        "cpython-3.12.11-windows-x86_64-none",
        "cpython-3.12.11-windows-x86_64-none",
    ]
    assert dw.read_link(link) == "cpython-3.12.11-windows-x86_64-none"
    # Both installations are intact: only junctions were created, moved and removed.
    assert vol.entries[str(tmp_path / "cpython-3.12.10-windows-x86_64-none" / "python.exe")] == ("file",)
    assert [p for p in vol.entries if ".temp" in p] == []


def test_first_link_is_never_absent_once_created(tmp_path: Path, vol: FakeVolume) -> None:
    link = tmp_path / "cpython-3.12-windows-x86_64-none"
    dw.replace_link(link, "cpython-3.12.11-windows-x86_64-none", tmp_path / ".temp")
    assert [op[0] for op in vol.log] == ["create_junction", "rename"]
    assert vol.states == [ABSENT, "cpython-3.12.11-windows-x86_64-none"]
    assert (tmp_path / ".temp").is_dir()  # made on demand


def test_failed_move_into_place_restores_the_old_junction(tmp_path: Path, vol: FakeVolume) -> None:
    link = str(tmp_path / "cpython-3.12-windows-x86_64-none")
    vol.entries[link] = ("junction", str(tmp_path / "cpython-3.12.10-windows-x86_64-none"))
    real_rename = vol.rename

    def rename(src: str, dst: str) -> None:
        if dst == link and ".temp" in src and "old-" not in src:
            vol.log.append(("FAILED", "rename", src, dst))
            raise PermissionError(13, "Access is denied (substituted)", dst)
        real_rename(src, dst)

    vol.rename = rename  # type: ignore[method-assign]
    with pytest.raises(PermissionError):
        dw.replace_link(Path(link), "cpython-3.12.11-windows-x86_64-none", tmp_path / ".temp")

    assert vol.state(link) == "cpython-3.12.10-windows-x86_64-none"  # back as it was
    assert [p for p in vol.entries if ".temp" in p] == []  # the new junction is cleaned up
    assert [op[0] for op in vol.log] == ["create_junction", "rename", "FAILED", "rename", "rmdir"]


def test_failed_move_aside_changes_nothing(tmp_path: Path, vol: FakeVolume) -> None:
    link = str(tmp_path / "cpython-3.12-windows-x86_64-none")
    vol.entries[link] = ("junction", str(tmp_path / "cpython-3.12.10-windows-x86_64-none"))
    real_rename = vol.rename

    def rename(src: str, dst: str) -> None:
        if src == link:
            raise PermissionError(13, "in use (substituted)", src)
        real_rename(src, dst)

    vol.rename = rename  # type: ignore[method-assign]
    with pytest.raises(PermissionError):
        dw.replace_link(Path(link), "cpython-3.12.11-windows-x86_64-none", tmp_path / ".temp")
    assert vol.state(link) == "cpython-3.12.10-windows-x86_64-none"
    assert ABSENT not in vol.states
    assert [p for p in vol.entries if ".temp" in p] == []


def test_a_real_directory_is_never_replaced_or_removed(tmp_path: Path, vol: FakeVolume) -> None:
    path = tmp_path / "cpython-3.12.11-windows-x86_64-none"
    with pytest.raises(FileExistsError):
        dw.replace_link(path, "cpython-3.12.10-windows-x86_64-none", tmp_path / ".temp")
    with pytest.raises(IsADirectoryError):
        dw.remove_link(path)
    assert vol.log == []
    assert dw.read_link(path) is None


def test_read_link_names_the_target_directory(tmp_path: Path, vol: FakeVolume) -> None:
    j = str(tmp_path / "j")
    for stored in (
        r"C:\Users\Zoë\shimkit\python\cpython-3.12.11-windows-x86_64-none",
        r"\\?\C:\Users\Zoë\shimkit\python\cpython-3.12.11-windows-x86_64-none",  # how readlink shows it
        "C:\\Users\\Zoë\\shimkit\\python\\cpython-3.12.11-windows-x86_64-none\\",
    ):
        vol.entries[j] = ("junction", stored)
        assert dw.read_link(Path(j)) == "cpython-3.12.11-windows-x86_64-none"
    vol.entries[j] = ("symlink", r"..\python\cpython-3.13.1-windows-x86_64-none")
    assert dw.read_link(Path(j)) == "cpython-3.13.1-windows-x86_64-none"
    assert dw.read_link(tmp_path / "missing") is None
    assert dw.read_link(tmp_path / "cpython-3.12.10-windows-x86_64-none" / "python.exe") is None


def test_remove_link_removes_only_the_junction(tmp_path: Path, vol: FakeVolume) -> None:
    link = str(tmp_path / "cpython-3.12-windows-x86_64-none")
    target = str(tmp_path / "cpython-3.12.11-windows-x86_64-none")
    vol.entries[link] = ("junction", target)

    dw.remove_link(Path(link))

    assert vol.log == [("rmdir", link)]
    assert vol.entries[target] == ("dir",)
    assert vol.entries[target + os.sep + "python.exe"] == ("file",)
    dw.remove_link(Path(link))  # already gone: no error
    assert vol.log == [("rmdir", link)]


def test_remove_link_on_a_plain_file_unlinks_it_like_posix(tmp_path: Path, vol: FakeVolume) -> None:
    path = str(tmp_path / "stray")
    vol.entries[path] = ("file",)
    dw.remove_link(Path(path))
    assert vol.log == [("unlink", path)]
