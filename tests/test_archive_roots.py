"""Symlinks are judged against the installation they end up in, not the extraction directory.

An archive's ``python/`` (or ``python/install/``) directory becomes the installation; the rest
of the archive is dropped.  A link that stays inside the extraction directory can still leave
the installation (``python/lib/python3.12/site-packages -> ../../..`` names the install dir
itself once installed), and ``python/install -> ..`` makes the installation a symlink.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import List

import pytest
from support import cli
from support.malicious import Member, compress, directory, file, symlink, tar_bytes

from shimkit.archive import extract_stream, find_install_root
from shimkit.errors import ArchiveError

SCRIPT = b"#!/bin/sh\necho hi\n"


def _unpack(tmp_path: Path, members: List[Member]) -> Path:
    dest = tmp_path / "unpacked"
    dest.mkdir()
    extract_stream(io.BytesIO(compress(tar_bytes(members), "tar.gz")), "tar.gz", dest)
    return dest


HOSTILE = {
    "install dir is a link up": (
        [directory("python"), file("python/bin/python3.12", SCRIPT, 0o755), symlink("python/install", "..")],
        "python/install",
    ),
    "install dir is a link sideways": (
        [
            directory("python/real/bin"),
            file("python/real/bin/python3.12", SCRIPT, 0o755),
            symlink("python/install", "real"),
        ],
        "python/install",
    ),
    "site-packages names the install dir": (
        [
            directory("python/lib/python3.12"),
            file("python/bin/python3.12", SCRIPT, 0o755),
            symlink("python/lib/python3.12/site-packages", "../../.."),
        ],
        "python/lib/python3.12/site-packages",
    ),
    "link into the dropped part of a full archive": (
        [
            file("python/build/secret", b"x"),
            file("python/install/bin/python3.12", SCRIPT, 0o755),
            symlink("python/install/lib", "../build"),
        ],
        "python/install/lib",
    ),
    "link chain through a sibling": (
        [file("python/bin/python3.12", SCRIPT, 0o755), symlink("python/up", ".."), symlink("python/lib", "up/python")],
        "python/up",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_links_leaving_the_installation_are_refused(case: str, tmp_path: Path) -> None:
    members, culprit = HOSTILE[case]
    dest = _unpack(tmp_path, members)  # inside the extraction dir: extraction accepts them
    with pytest.raises(ArchiveError) as info:
        find_install_root(dest)
    assert repr(culprit) in info.value.message, info.value.message
    assert "unsafe archive member" in info.value.message


def test_links_inside_the_installation_are_kept(tmp_path: Path) -> None:
    dest = _unpack(
        tmp_path,
        [
            file("python/bin/python3.12", SCRIPT, 0o755),
            symlink("python/bin/python3", "python3.12"),
            symlink("python/bin/python", "./python3"),
            file("python/lib/libpython3.12.so.1.0", b"\x7fELF"),
            symlink("python/lib/libpython3.12.so", "libpython3.12.so.1.0"),
            symlink("python/share", "lib/../lib"),
            symlink("python/self", "."),
        ],
    )
    assert find_install_root(dest) == dest / "python"


def test_install_refuses_an_archive_whose_install_dir_is_a_link(tmp_path: Path) -> None:
    """End to end: ``shimkit install ARCHIVE`` of such an archive installs nothing."""
    env = dict(cli.isolated_env(tmp_path), SHIMKIT_PYTHON_DOWNLOADS="never")
    archive = tmp_path / "cpython-3.12.9+20250101-x86_64-unknown-linux-gnu-install_only.tar.gz"
    archive.write_bytes(
        compress(
            tar_bytes(
                [
                    file("python/bin/python3.12", SCRIPT, 0o755),
                    symlink("python/lib", "."),
                    symlink("python/install", ".."),
                ]
            ),
            "tar.gz",
        )
    )
    proc = cli.run_shimkit("install", archive, env=env, cwd=tmp_path)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode != 0 and errors and "python/install" in errors[0], proc.stderr
    root = Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == []
    assert list((root / ".temp").iterdir()) == []
