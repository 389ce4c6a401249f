"""Hostile file systems: an install dir on a read-only file system, a full disk, and bin dir
entries that belong to someone else.

Read-only and full file systems are real mounts: each scenario runs the CLI inside
``unshare --mount`` (a private mount namespace, so the mounts vanish with it), with a bind mount
remounted read-only (``mount -o remount,bind,ro``) or a size-limited tmpfs
(``mount -t tmpfs -o size=…``).  As root, permissions would not stop a write, so nothing short
of a mount makes these real.  If the machine cannot do it the tests fail, saying why.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest
from relkit import (
    Shimkit,
    Templates,
    in_mount_namespace,
    key,
    minor_key,
    one_line_error,
    state,
    store_problems,
    temp_entries,
    unshare_available,
)
from slim import Manifest
from support.malicious import compress, directory, file, tar_bytes
from support.mirror import Mirror


@pytest.fixture(scope="module")
def mounts() -> None:
    why = unshare_available()
    if why is not None:
        pytest.fail(f"these tests need private mount namespaces: {why}", pytrace=False)


def _cli(sk: Shimkit, *args: str) -> str:
    """A shell command running ``shimkit ARGS``, printing its exit status after a marker."""
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "shimkit", *args])
    return f'{cmd} || echo "exit=$?" >&2'


def _results(proc: subprocess.CompletedProcess[str]) -> List[str]:
    """The stderr of each command the namespace script ran, split at the ``### NAME`` markers."""
    return proc.stderr.split("### ")[1:]


# ---------------------------------------------------------------------------- read-only install dir


def test_read_only_install_dir(
    mounts: None, sk: Shimkit, templates: Templates, slim_versions, manifests: Dict[str, Manifest]
) -> None:
    old, new, _v312, _other = slim_versions
    templates.reset(sk, [old])
    before = state(sk)
    ro = shlex.quote(str(sk.installs))
    steps = {
        "install": _cli(sk, "install", new),
        "upgrade": _cli(sk, "upgrade"),
        "uninstall": _cli(sk, "uninstall", old),
        "list": _cli(sk, "list", "--only-installed"),
        "find": _cli(sk, "find", "3.11"),
        "bin-entry": f"{shlex.quote(str(sk.bin / ('python' + old.rsplit('.', 1)[0])))} -c 'import json' "
        '|| echo "exit=$?" >&2',
    }
    script = f"mount --bind {ro} {ro}\nmount -o remount,bind,ro {ro}\n"
    script += f"touch {ro}/probe 2>/dev/null && {{ echo 'the bind mount is writable' >&2; exit 3; }}\n"
    for name, cmd in steps.items():
        script += f"echo '### {name}' >&2\n{cmd}\n"
    started = time.monotonic()
    proc = in_mount_namespace(script, sk.env)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 90, "a command waited instead of failing"
    out = dict(zip(steps, _results(proc)))
    for name in ("install", "upgrade", "uninstall"):
        text = out[name]
        assert "exit=1" in text, f"{name}: {text}"
        errors = [line for line in text.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "Traceback" not in text, f"{name}: {text}"
        assert "read-only file system" in errors[0].lower() and "hint:" in errors[0], f"{name}: {errors[0]}"
    # readers do not need the lock: they work on a read-only install dir
    for name in ("list", "find", "bin-entry"):
        assert "exit=" not in out[name] and "Traceback" not in out[name], f"{name}: {out[name]}"
    assert key(old) in proc.stdout and f"{minor_key(old)}/bin/python3.11" in proc.stdout
    assert state(sk) == before
    assert store_problems(sk, manifests, settled=True) == []


def test_install_dir_cannot_be_created_on_a_read_only_file_system(mounts: None, sk: Shimkit, slim_versions) -> None:
    _old, new, _v312, _other = slim_versions
    parent = sk.root / "ro-parent"
    parent.mkdir()
    p = shlex.quote(str(parent))
    env = {**sk.env, "SHIMKIT_PYTHON_INSTALL_DIR": str(parent / "installs")}
    script = f"mount --bind {p} {p}\nmount -o remount,bind,ro {p}\necho '### install' >&2\n{_cli(sk, 'install', new)}\n"
    proc = in_mount_namespace(script, env)
    text = _results(proc)[0]
    assert "exit=1" in text, text
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot create install dir" in errors[0] and "read-only" in errors[0].lower(), text
    assert "hint:" in errors[0]
    assert os.listdir(parent) == []


# ---------------------------------------------------------------------------- full disk


def _bomb(size: int) -> bytes:
    """A PBS-looking tar.gz whose one big member (zeros) compresses ~1000:1."""
    members = [directory("python/"), directory("python/bin/"), file("python/bin/zeros", b"\0" * size)]
    return compress(tar_bytes(members), "tar.gz")


@pytest.mark.parametrize("what", ["real-archive", "compression-bomb"])
def test_full_disk(
    what: str, mounts: None, sk: Shimkit, templates: Templates, slim_mirror: Mirror, slim_versions
) -> None:
    """The install dir is a tmpfs too small for what is unpacked: a clear error, and everything
    written is removed again (the tmpfs is as empty as before), so the disk is not left full."""
    _old, new, _v312, _other = slim_versions
    tree_bytes = sum(p.stat().st_size for p in templates.trees[new].rglob("*") if p.is_file() and not p.is_symlink())
    size_kb = tree_bytes // 2 // 1024  # room for about half of the installation
    if what == "compression-bomb":
        import hashlib

        data = _bomb(64 * 1024 * 1024)
        url_path = f"/bomb/cpython-{new}+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz"
        slim_mirror.server.add(url_path, data)
        slim_mirror.publish(
            overrides={new: {"url": slim_mirror.server.url(url_path), "sha256": hashlib.sha256(data).hexdigest()}}
        )
    inst = shlex.quote(str(sk.installs))
    script = (
        f"mkdir -p {inst}\nmount -t tmpfs -o size={size_kb}k tmpfs {inst}\n"
        f"echo '### install' >&2\n{_cli(sk, 'install', new)}\n"
        f"echo '### after' >&2\n"
        f"du -sk {inst} >&2\nls -A {inst} {inst}/.temp >&2\n"
        f"echo '### list' >&2\n{_cli(sk, 'list', '--only-installed')}\n"
    )
    proc = in_mount_namespace(script, sk.env)
    assert proc.returncode == 0, proc.stderr
    install, after, listing = _results(proc)
    assert "exit=1" in install, install
    errors = [line for line in install.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in install, install
    assert "no space left" in errors[0].lower() and "hint:" in errors[0], errors[0]
    used_kb = int(after.split("\n", 1)[1].split()[0])
    assert used_kb <= 8, f"{used_kb} KiB left on the full file system:\n{after}"
    names = after.split("\n", 2)[2].split()
    assert key(new) not in names and not any(n.startswith(("stage-", "trash-")) for n in names), after
    assert "exit=" not in listing and "Traceback" not in listing, listing


# ---------------------------------------------------------------------------- foreign bin entries

FOREIGN = [
    "file-of-another-user",
    "symlink-to-another-tool",
    "dangling-symlink",
    "prefix-lookalike-symlink",
    "directory",
]


def _make_foreign(kind: str, entry: Path, sk: Shimkit, old: str) -> None:
    if kind == "file-of-another-user":
        entry.write_text("#!/bin/sh\necho theirs\n")
        entry.chmod(0o755)
        os.chown(entry, 4242, 4242)
    elif kind == "symlink-to-another-tool":
        os.symlink("/usr/bin/python3", entry)
        os.lchown(entry, 4242, 4242)
    elif kind == "dangling-symlink":
        os.symlink("/nonexistent/pyenv/shims/python3.11", entry)
    elif kind == "prefix-lookalike-symlink":
        # starts with the install dir's path as a string, but lies outside it
        other = Path(str(sk.installs) + "-old") / minor_key(old) / "bin" / "python3.11"
        other.parent.mkdir(parents=True)
        other.write_text("#!/bin/sh\necho old\n")
        other.chmod(0o755)
        os.symlink(other, entry)
    else:
        entry.mkdir()
        (entry / "keep").write_text("mine")


def _identity(p: Path) -> tuple:
    st = os.lstat(p)
    body = os.readlink(p) if stat.S_ISLNK(st.st_mode) else (p.read_text() if p.is_file() else sorted(os.listdir(p)))
    return (st.st_ino, st.st_uid, stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), body)


@pytest.mark.parametrize("kind", FOREIGN)
def test_bin_entry_owned_by_someone_else(kind: str, sk: Shimkit, slim_versions, manifests: Dict[str, Manifest]) -> None:
    old, _new, _v312, _other = slim_versions
    mm = old.rsplit(".", 1)[0]
    sk.bin.mkdir(parents=True)
    entry = sk.bin / f"python{mm}"
    _make_foreign(kind, entry, sk, old)
    before = _identity(entry)

    proc = sk.run("install", old)
    line = one_line_error(proc, str(entry), "--force")
    assert "not created by shimkit" in line
    assert (sk.installs / key(old)).is_dir(), "the installation itself must still succeed"
    assert _identity(entry) == before
    sk.run("uninstall", old, check=True)
    assert _identity(entry) == before, "uninstall removed or changed an entry it did not make"
    assert temp_entries(sk) == []

    proc = sk.run("install", old, "--force")
    if kind == "directory":
        # a directory is never replaced, not even with --force: it may hold anything
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert _identity(entry) == before
    else:
        assert proc.returncode == 0, proc.stderr
        assert os.readlink(entry) == str(sk.installs / minor_key(old) / "bin" / f"python{mm}")
        assert subprocess.run([str(entry), "-c", "import json"], env={"PATH": "/usr/bin:/bin"}).returncode == 0
        sk.run("uninstall", old, check=True)
        assert not entry.exists() and not entry.is_symlink()
    assert store_problems(sk, manifests, settled=True) == []


def test_read_only_bin_dir_with_several_versions(
    mounts: None, sk: Shimkit, slim_versions, manifests: Dict[str, Manifest]
) -> None:
    """The bin dir cannot be written: the installations still complete (they are fine), the
    error says what could not be written, and nothing is left in ``.temp/``."""
    old, _new, v312, _other = slim_versions
    sk.bin.mkdir(parents=True)
    b = shlex.quote(str(sk.bin))
    script = (
        f"mount --bind {b} {b}\nmount -o remount,bind,ro {b}\n"
        f"echo '### install' >&2\n{_cli(sk, 'install', old, v312)}\n"
    )
    proc = in_mount_namespace(script, sk.env)
    text = _results(proc)[0]
    assert "exit=1" in text and "Traceback" not in text, text
    assert "read-only" in text.lower(), text
    for v in (old, v312):
        assert (sk.installs / key(v)).is_dir(), f"{v} was not installed:\n{text}"
    assert temp_entries(sk) == []
    assert store_problems(sk, manifests, settled=True) == []


def test_relative_bin_entries_are_judged_from_the_bin_dir(
    sk: Shimkit, templates: Templates, slim_versions, manifests: Dict[str, Manifest]
) -> None:
    """A relative symlink is resolved from the directory it is in, never from where shimkit runs:
    one made by hand into the install dir (``ln -sr``) goes away with its version instead of
    dangling, and a foreign one that only *looks* like it points there from the current directory
    is left alone."""
    old, _new, _v312, _other = slim_versions
    mm = old.rsplit(".", 1)[0]
    templates.reset(sk, [old])
    target = sk.installs / minor_key(old) / "bin" / f"python{mm}"
    by_hand = sk.bin / f"py{mm.replace('.', '')}"
    os.symlink(os.path.relpath(target, sk.bin), by_hand)
    assert subprocess.run([str(by_hand), "-c", "pass"]).returncode == 0
    # relative to the bin dir this leads nowhere (a foreign, dangling entry); relative to sk.root,
    # where the command runs, it would name the installation
    foreign = sk.bin / "theirs"
    os.symlink(os.path.relpath(target, sk.root), foreign)
    before = _identity(foreign)
    sk.run("uninstall", old, check=True, cwd=sk.root)
    assert not by_hand.is_symlink(), "an entry into the removed version was left dangling"
    assert foreign.is_symlink() and _identity(foreign) == before, "a foreign entry was removed"
    assert store_problems(sk, {}, settled=True) == [f"bin entry theirs -> {os.readlink(foreign)} does not resolve"]
