"""Hostile input end to end: malicious archives served by the mirror, hostile version files read
by the CLI and by the bash and zsh hooks, config files with wrong types, and requests full of
shell metacharacters.

``tests/test_archive.py`` checks every attack against the extractor itself; here a representative
of each kind goes through ``shimkit install`` from the mirror, and the test checks what a user
would see: one clear error naming the member, nothing written outside, nothing left in the
install dir or ``.temp/``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest
from relkit import Shimkit, Templates, key, minor_key, one_line_error, state, temp_entries
from support.malicious import Member, ZipMember, compress, directory, file, hardlink, symlink, tar_bytes, zip_bytes
from support.mirror import Mirror

# ---------------------------------------------------------------------------- malicious archives

UP = "../" * 40  # from anywhere below the install dir back up to /


def _attacks(sentinel: Path) -> List[Tuple[str, str, bytes, str]]:
    """(id, file-name ending, archive bytes, member the error must name), aimed at ``sentinel``."""
    s = str(sentinel).lstrip("/")
    ok = [directory("python/"), directory("python/bin/"), file("python/bin/README", b"fine")]
    tars: List[Tuple[str, List[Member], str]] = [
        ("path-traversal", [*ok, file(f"python/{UP}{s}/evil")], f"python/{UP}{s}/evil"),
        ("absolute-path", [*ok, file(f"{sentinel}/evil")], f"{sentinel}/evil"),
        ("symlink-escape", [*ok, symlink("python/lib", f"{UP}{s}"), file("python/lib/evil")], "python/lib"),
        ("symlink-absolute", [*ok, symlink("python/lib", str(sentinel)), file("python/lib/evil")], "python/lib"),
        ("hardlink-escape", [*ok, hardlink("python/h", f"{UP}{s}/secret")], "python/h"),
        ("hardlink-absolute", [*ok, hardlink("python/h", f"{sentinel}/secret")], "python/h"),
        ("char-device", [*ok, Member("python/null", tarfile.CHRTYPE)], "python/null"),
        ("block-device", [*ok, Member("python/sda", tarfile.BLKTYPE)], "python/sda"),
        ("fifo", [*ok, Member("python/fifo", tarfile.FIFOTYPE)], "python/fifo"),
        # zip-bomb style: one member whose (pax) header claims 5 GiB; refused before anything is
        # written, instead of filling the disk
        (
            "oversized-member",
            [*ok, Member("python/bomb", data=b"\0" * 4096, pax=(("size", str(5 * 2**30)),))],
            "python/bomb",
        ),
    ]
    out = [
        (
            i,
            "tar.gz" if i != "symlink-escape" else "tar.zst",
            compress(tar_bytes(m, tarfile.PAX_FORMAT), "tar.gz" if i != "symlink-escape" else "tar.zst"),
            name,
        )
        for i, m, name in tars
    ]
    link = 0o120777
    out += [
        (
            "zip-traversal",
            "zip",
            zip_bytes([ZipMember("python/README"), ZipMember(f"python/{UP}{s}/evil")]),
            f"python/{UP}{s}/evil",
        ),
        (
            "zip-symlink-escape",
            "zip",
            zip_bytes([ZipMember("python/lib", f"{UP}{s}".encode(), link), ZipMember("python/lib/evil")]),
            "python/lib",
        ),
    ]
    return out


ATTACK_IDS = [a[0] for a in _attacks(Path("/placeholder"))]


def _tree(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"") for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("attack_id", ATTACK_IDS)
def test_malicious_archive_is_refused_end_to_end(
    attack_id: str, sk: Shimkit, slim_mirror: Mirror, tmp_path: Path, slim_versions
) -> None:
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "secret").write_text("do not touch")
    before = _tree(sentinel)
    _id, ending, data, member = next(a for a in _attacks(sentinel) if a[0] == attack_id)
    _old, new, _v312, _other = slim_versions
    url_path = f"/hostile/cpython-{new}+20990101-x86_64-unknown-linux-gnu-install_only.{ending}"
    slim_mirror.server.add(url_path, data)
    slim_mirror.publish(
        overrides={new: {"url": slim_mirror.server.url(url_path), "sha256": hashlib.sha256(data).hexdigest()}}
    )
    proc = sk.run("install", new)
    line = one_line_error(proc)
    assert repr(member) in line or member in line, f"the error does not name the member {member!r}: {line}"
    assert _tree(sentinel) == before
    assert (sentinel / "secret").stat().st_nlink == 1  # no hard link was made to it
    assert not [p for p in sk.root.rglob("evil")], "a member was written"
    assert state(sk) == {}
    assert temp_entries(sk) == []


# ---------------------------------------------------------------------------- hostile version files

SENTINEL_NAME = "PWNED"


def _hostile_version_files(base: Path) -> Dict[str, Callable[[Path], None]]:
    """id -> writer of a hostile ``.python-version`` into the given directory."""
    pwned = base / SENTINEL_NAME

    def text(content: bytes) -> Callable[[Path], None]:
        return lambda d: (d / ".python-version").write_bytes(content)

    return {
        "command-substitution": text(f"$(touch {pwned})\n".encode()),
        "backticks": text(f"`touch {pwned}`\n".encode()),
        "semicolon": text(f"3.11; touch {pwned}\n".encode()),
        "nul-byte": text(f"3.11\0; touch {pwned}\n".encode()),
        "relative-path": text(b"../../../../../../usr/bin/python3\n"),
        "absolute-path": text(b"/usr/bin/python3\n"),
        "executable-name": text(b"python3\n"),
        "terminal-escapes": text(b"\x1b]0;owned\x07\x1b[2J3.11\n"),
        "huge": text(b"3" * (1024 * 1024)),  # one 1 MiB line
        "many-lines": text(b"#\n" * 300_000 + b"3.11\n"),
        "fifo": lambda d: os.mkfifo(d / ".python-version"),
        "dev-zero": lambda d: os.symlink("/dev/zero", d / ".python-version"),
        "directory": lambda d: (d / ".python-version").mkdir(),
        "symlink-loop": lambda d: os.symlink(".python-version", d / ".python-version"),
    }


HOSTILE_IDS = list(_hostile_version_files(Path("/x")))


def _no_control_chars(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, f"raw control characters reach the terminal: {text!r}"


def _project(tmp_path: Path, case: str) -> Tuple[Path, Path]:
    """(project dir holding the hostile file, a directory two levels below it)."""
    proj = tmp_path / "proj"
    deep = proj / "a" / "b"
    deep.mkdir(parents=True)
    _hostile_version_files(tmp_path)[case](proj)
    return proj, deep


@pytest.mark.parametrize("case", HOSTILE_IDS)
def test_hostile_version_file_cli(case: str, sk: Shimkit, templates: Templates, tmp_path: Path, slim_versions) -> None:
    """``find``, ``pin`` and the hooks' ``hook-resolve`` read the file as data: nothing runs, nothing
    hangs, no path from it is used, and what they print is escaped."""
    old, _new, _v312, _other = slim_versions
    templates.reset(sk, [old])
    _proj, deep = _project(tmp_path, case)
    env = {**sk.env, "SHIMKIT_PYTHON_PREFERENCE": "only-managed"}
    for args in (["find"], ["pin"], ["hook-resolve", "--install-dir", str(sk.installs), str(deep)]):
        proc = sk.run(*args, cwd=deep, env=env, timeout=30)
        out = proc.stdout + proc.stderr
        assert "Traceback" not in out, out
        _no_control_chars(out)
        assert proc.returncode in (0, 2), out
        if args[0] == "find" and proc.returncode == 0:
            # whatever it picked, it is a managed interpreter, never the path in the file
            assert proc.stdout.startswith(str(sk.installs)), out
        if args[0] == "hook-resolve":
            first = proc.stdout.split("\n", 1)[0]
            assert first == "" or first.startswith(str(sk.installs)), out
    assert not (tmp_path / SENTINEL_NAME).exists()
    assert sorted(os.listdir(deep)) == []


SHELLS = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "zsh": ["zsh", "-f", "-i"],
}


@pytest.mark.parametrize("shell", list(SHELLS))
def test_hostile_version_files_through_the_shell_hook(
    shell: str, sk: Shimkit, templates: Templates, tmp_path: Path, slim_versions
) -> None:
    """An interactive shell with ``eval "$(shimkit init SHELL)"`` visits a directory holding each
    hostile file: the prompt hook never runs its content, never hangs, never puts a path from it
    on PATH, and the shell keeps working (a good pin afterwards still applies)."""
    exe = shutil.which(SHELLS[shell][0])
    if exe is None:
        pytest.fail(f"{shell} is not installed (apt-get install {shell}); the hooks are tested in it")
    old, _new, _v312, _other = slim_versions
    templates.reset(sk, [old])
    lines = [f'eval "$({sys.executable} -m shimkit init {shell})"']
    dirs = {}
    for case in HOSTILE_IDS:
        d = tmp_path / "cases" / case
        (d / "a").mkdir(parents=True)
        _hostile_version_files(tmp_path)[case](d)
        dirs[case] = d / "a"
        lines += [f"cd '{d / 'a'}'", f'echo "CASE {case} PATH=$PATH"']
    good = tmp_path / "good"
    good.mkdir()
    (good / ".python-version").write_text(old.rsplit(".", 1)[0] + "\n")
    lines += [f"cd '{good}'", 'echo "GOOD PATH=$PATH"', "echo DONE", "exit"]
    env = {**sk.env, "PATH": f"{sk.bin}:/usr/bin:/bin", "SHELL": exe, "TERM": "dumb"}
    try:
        proc = subprocess.run(
            SHELLS[shell],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=30,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        done = [line.split()[1] for line in out.splitlines() if line.startswith("CASE ")]
        stuck = HOSTILE_IDS[len(done)] if len(done) < len(HOSTILE_IDS) else "the good pin"
        pytest.fail(
            f"the {shell} hook hangs (over 30s for the whole session) in the directory whose "
            f".python-version is {stuck!r}; finished before it: {done}",
            pytrace=False,
        )
    assert "DONE" in proc.stdout, f"the shell did not get through every directory:\n{proc.stdout}\n{proc.stderr}"
    assert not (tmp_path / SENTINEL_NAME).exists()
    # the shells draw their own prompts with escape sequences; what the hook prints must have none
    _no_control_chars("\n".join(line for line in (proc.stdout + proc.stderr).splitlines() if "shimkit" in line))
    managed_bin = f"{sk.installs / minor_key(old)}/bin"
    for line in proc.stdout.splitlines():
        if line.startswith("CASE "):
            path = line.split("PATH=", 1)[1].split(":")
            assert all(p in (str(sk.bin), "/usr/bin", "/bin", managed_bin) for p in path), line
            assert "/usr/bin/python3" not in path
        if line.startswith("GOOD "):
            assert line.split("PATH=", 1)[1].split(":")[0] == managed_bin, line


# ---------------------------------------------------------------------------- config files

CONFIGS = {
    "path-is-a-number": "install-dir = 5\n",
    "bool-is-a-word": 'offline = "maybe"\n',
    "choice-is-a-list": 'python-preference = ["managed"]\n',
    "choice-is-a-bool": "python-downloads = true\n",
    "path-is-a-table": "[bin-dir]\nx = 1\n",
    "unknown-setting": "colour = 1\n",
    "not-toml": "install-dir = \n",
    "not-utf8": b"\xff\xfe\x00install-dir\n",
    "nul-in-bin-dir": 'bin-dir = "/tmp/x\\u0000y"\n',
    "nul-in-downloads-json": 'downloads-json = "\\u0000"\n',
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_config_file_with_wrong_types(case: str, sk: Shimkit, templates: Templates, slim_versions) -> None:
    old, new, _v312, _other = slim_versions
    templates.reset(sk, [old])
    before = state(sk)
    cfg = Path(sk.env["XDG_CONFIG_HOME"]) / "shimkit" / "shimkit.toml"
    cfg.parent.mkdir(parents=True)
    content = CONFIGS[case]
    cfg.write_bytes(content if isinstance(content, bytes) else content.encode())
    # The environment's own settings must not hide the file's errors; offline, so that nothing
    # can reach past the loopback mirror whatever the file says.
    env = {k: v for k, v in sk.env.items() if k not in ("SHIMKIT_BIN_DIR", "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL")}
    env["SHIMKIT_OFFLINE"] = "1"
    for args in (
        ["install", new],
        ["list", "--only-installed"],
        ["find", "3.11"],
        ["pin", "3.11"],
        ["uninstall", old],
        ["dir"],
    ):
        proc = sk.run(*args, env=env)
        line = one_line_error(proc, str(cfg), code=2)
        assert "\0" not in line
    assert state(sk) == before
    assert not (sk.home / ".python-version").exists()


# ---------------------------------------------------------------------------- shell metacharacters

REQUESTS = [
    "3.12; touch PWNED",
    "$(touch PWNED)",
    "`touch PWNED`",
    "3.12 && touch PWNED",
    "3.12|tee PWNED",
    ">PWNED",
    "3.12\ntouch PWNED",
    "3.12*",
    "3.12'",
    '3.12"',
    "%(x)s{0}",
]


@pytest.mark.parametrize("request_text", REQUESTS)
def test_request_with_shell_metacharacters(request_text: str, sk: Shimkit, templates: Templates, slim_versions) -> None:
    old, _new, _v312, _other = slim_versions
    templates.reset(sk, [old])
    before = state(sk)
    work = sk.root / "work"
    work.mkdir()
    # (a NUL cannot travel in argv; the version-file tests cover one)
    cases = [
        ["install", request_text],
        ["find", request_text],
        ["pin", request_text],
        ["uninstall", request_text],
        ["upgrade", request_text],
        ["venv", "v", "-p", request_text],
    ]
    for args in cases:
        proc = sk.run(*args, cwd=work)
        one_line_error(proc, "invalid Python request", code=2)
    assert sorted(os.listdir(work)) == [], "a file was created (a pin, a venv, a redirection)"
    assert not list(sk.root.rglob("PWNED"))
    assert state(sk) == before


# ---------------------------------------------------------------------------- environment knobs

KNOBS = {
    "SHIMKIT_CONCURRENT_DOWNLOADS": "four",
    "SHIMKIT_HTTP_RETRIES": "many",
    "SHIMKIT_HTTP_TIMEOUT": "soon",
    "SHIMKIT_HTTP_BACKOFF": "",
    "SHIMKIT_LOCK_TIMEOUT": "forever",
    "SHIMKIT_VERIFY_TIMEOUT": "30s",
}


@pytest.mark.parametrize("name", list(KNOBS))
def test_environment_knob_with_a_wrong_type(name: str, sk: Shimkit, slim_versions) -> None:
    """The tuning knobs outside the settings table fall back to their defaults on a value they
    cannot use: the install still works, and never ends in a traceback."""
    _old, new, _v312, _other = slim_versions
    proc = sk.run("install", new, "--no-bin", env={**sk.env, name: KNOBS[name]})
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert (sk.installs / key(new)).is_dir()
    assert temp_entries(sk) == []
