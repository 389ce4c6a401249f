"""`shimkit install/uninstall/list/dir` end to end: real archives of real interpreters, served by a
real HTTP server on 127.0.0.1, installed by the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.cli import run_shimkit as run_cli

HOST = "linux-x86_64-gnu"


def installs(env: dict) -> Path:
    return Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])


def state(env: dict) -> dict[str, str | None]:
    """name -> link target (None for directories) of everything visible in the install dir."""
    root = installs(env)
    if not root.exists():
        return {}
    out: dict[str, str | None] = {}
    for p in sorted(root.iterdir()):
        if p.name in (".lock",):
            continue
        out[p.name] = os.readlink(p) if p.is_symlink() else None
    return out


def temp_is_empty(env: dict) -> bool:
    temp = installs(env) / ".temp"
    return not temp.exists() or not any(temp.iterdir())


def key(version: str) -> str:
    return f"cpython-{version}-{HOST}"


def minor(version: str) -> str:
    return key(".".join(version.split(".")[:2]))


@pytest.fixture
def env(shimkit_env: dict) -> dict:
    return {**shimkit_env, "SHIMKIT_HTTP_BACKOFF": "0.05"}


@pytest.fixture
def v312(pbs_archives: dict) -> str:
    return next(v for v in pbs_archives if v.startswith("3.12."))


def run(env: dict, *args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, cwd=cwd or Path(env["HOME"]), check=check)


def test_install_minor_version_creates_installation_link_and_bin_entry(env: dict, v312: str, mirror) -> None:
    proc = run(env, "install", "3.12", check=True)
    root = installs(env)
    assert state(env) == {".temp": None, key(v312): None, minor(v312): key(v312)} or state(env) == {
        key(v312): None,
        minor(v312): key(v312),
    }
    exe = root / minor(v312) / "bin" / "python3.12"
    out = subprocess.run(
        [exe, "-c", "import ssl, sqlite3, venv, sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == v312
    entry = Path(env["SHIMKIT_BIN_DIR"]) / "python3.12"
    assert os.readlink(entry) == str(exe)
    assert f"Installed {key(v312)}" in proc.stderr
    assert temp_is_empty(env)


def test_no_stdlib_bytecode_is_compiled_by_default(env: dict, v312: str, mirror) -> None:
    # As the archive ships it (and as uv installs it): Python writes bytecode on first import.
    run(env, "install", "3.12", "--no-bin", check=True)
    lib = installs(env) / key(v312) / "lib" / "python3.12"
    pycs = {p.relative_to(lib).as_posix() for p in lib.rglob("*.pyc")}
    # the pinning hook's, compiled in the verification run (no start ever compiles it), and what
    # every start of that run imported (encodings); nothing a compile of the stdlib would write
    hook = {f"__pycache__/sitecustomize.cpython-312{opt}.pyc" for opt in ("", ".opt-1", ".opt-2")}
    assert hook <= pycs
    assert all(p in hook or p.startswith("encodings/") for p in pycs), sorted(pycs)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_bytecode_is_compiled_at_install_with_compile_bytecode(env: dict, v312: str, mirror, how: str) -> None:
    if how == "flag":
        proc = run(env, "install", "3.12", "--no-bin", "--compile-bytecode", "-v", check=True)
        assert f"cpython-{v312}" in proc.stderr and ": compiling bytecode" in proc.stderr  # the step, with -v
    else:
        run({**env, "SHIMKIT_COMPILE_BYTECODE": "1"}, "install", "3.12", "--no-bin", check=True)
    lib = installs(env) / key(v312) / "lib" / "python3.12"
    assert (lib / "__pycache__").is_dir()
    assert any(p.name.startswith("os.cpython-312") for p in (lib / "__pycache__").iterdir())
    assert len(list(lib.rglob("*.pyc"))) > 500


def test_the_installer_reports_its_steps(pbs_archives: dict, v312: str, tmp_path: Path) -> None:
    from shimkit.installer import NullReporter, install_sources, local_archive_source
    from shimkit.store import Store

    class Steps(NullReporter):
        def __init__(self) -> None:
            self.steps: list[tuple[str, str]] = []

        def step(self, label: str, text: str) -> None:
            self.steps.append((label, text))

    reporter = Steps()
    source = local_archive_source(pbs_archives[v312].path, None)
    [outcome] = install_sources([source], Store(tmp_path / "installs"), reporter=reporter)
    assert outcome.status == "installed"
    assert reporter.steps == [(key(v312), "verifying"), (key(v312), "linking")]


def test_several_versions_install_concurrently(env: dict, pbs_archives: dict, mirror) -> None:
    versions = ["3.11", "3.12"]
    run(env, "install", *versions, "--no-bin", check=True)
    got = state(env)
    for v in ("3.11.7", next(v for v in pbs_archives if v.startswith("3.12."))):
        assert got[key(v)] is None
        assert got[minor(v)] == key(v)
    downloads = [r for r in mirror.server.requests if r.path.endswith(".tar.gz")]
    assert len(downloads) == 2


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        (">=3.11,<3.12", "3.11.7"),
        ("cp311", "3.11.7"),
        ("cpython@3.11", "3.11.7"),
        ("cpython3.11", "3.11.7"),
        ("3.11.2", "3.11.2"),
        ("3", None),  # the newest stable 3.x the mirror has
        ("cpython-3.11.2-linux-x86_64-gnu", "3.11.2"),
        ("cpython-3.11-any-any-any", "3.11.7"),
        ("==3.11.*", "3.11.7"),
    ],
)
def test_request_forms_select_the_right_download(
    env: dict, pbs_archives: dict, mirror, request_text: str, expected: str | None
) -> None:
    newest = max(pbs_archives.values(), key=lambda a: (a.major, a.minor, a.patch)).version
    want = expected or newest
    run(env, "install", request_text, "--no-bin", check=True)
    assert [n for n, t in state(env).items() if t is None and n != ".temp"] == [key(want)]


def test_install_without_arguments_reads_python_versions(env: dict, tmp_path: Path, v312: str, mirror) -> None:
    project = tmp_path / "proj" / "sub"
    project.mkdir(parents=True)
    (tmp_path / "proj" / ".python-versions").write_text("# wanted\n3.11.2\n\n3.12\r\n")
    run(env, "install", "--no-bin", cwd=project, check=True)
    assert {n for n, t in state(env).items() if t is None and n != ".temp"} == {key("3.11.2"), key(v312)}


def test_install_without_arguments_or_version_file_installs_newest_stable(
    env: dict, pbs_archives: dict, mirror
) -> None:
    newest = max(pbs_archives.values(), key=lambda a: (a.major, a.minor, a.patch)).version
    run(env, "install", "--no-bin", check=True)
    assert key(newest) in state(env)


def test_already_installed_is_not_downloaded_again(env: dict, v312: str, mirror) -> None:
    run(env, "install", "3.12", check=True)
    before = len(mirror.server.requests)
    proc = run(env, "install", "3.12", check=True)
    assert "already installed" in proc.stderr
    assert not [r for r in mirror.server.requests[before:] if r.path.endswith(".tar.gz")]
    proc = run(env, "install", "3.12", "--reinstall", check=True)
    assert f"Reinstalled {key(v312)}" in proc.stderr
    assert state(env)[minor(v312)] == key(v312)


def test_link_always_points_at_highest_patch(env: dict, mirror) -> None:
    run(env, "install", "3.11.7", check=True)
    run(env, "install", "3.11.2", check=True)  # an older patch does not repoint anything
    assert state(env)[minor("3.11.7")] == key("3.11.7")
    entry = Path(env["SHIMKIT_BIN_DIR"]) / "python3.11"
    assert "3.11.7" in subprocess.run([entry, "-V"], capture_output=True, text=True).stdout
    proc = run(env, "uninstall", "3.11.7", check=True)
    assert state(env)[minor("3.11.7")] == key("3.11.2")
    assert f"{minor('3.11.7')} -> {key('3.11.2')}" in proc.stderr
    # the bin entry follows through the link without having been rewritten
    assert "3.11.2" in subprocess.run([entry, "-V"], capture_output=True, text=True).stdout
    run(env, "uninstall", "3.11", check=True)
    assert minor("3.11.2") not in state(env)
    assert not entry.exists() and not entry.is_symlink()


def test_uninstall_all_and_unknown(env: dict, mirror) -> None:
    run(env, "install", "3.11.2", "3.11.7", check=True)
    proc = run(env, "uninstall", "3.9")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no installed Python matches 3.9")
    # --all removes everything: without a terminal to ask on, only with --yes (as --outdated)
    proc = run(env, "uninstall", "--all")
    assert proc.returncode == 2 and "refusing to remove installations without confirmation" in proc.stderr
    assert "--yes" in proc.stderr and {key("3.11.2"), key("3.11.7")} <= set(state(env))
    run(env, "uninstall", "--all", "--yes", check=True)
    assert {n for n in state(env) if n != ".temp"} == set()


def test_list_and_dir(env: dict, v312: str, mirror) -> None:
    run(env, "install", "3.11.2", "--no-bin", check=True)
    text = run(env, "list", check=True).stdout
    lines = text.splitlines()
    assert any(line.startswith(key("3.11.2")) and str(installs(env)) in line for line in lines)
    assert any(line.startswith(key(v312)) and "<download available>" in line for line in lines)
    # by default only the newest download of each minor is listed: 3.11.7, not both
    assert not any(line.startswith(key("3.11.7")) for line in lines) or "3.11.7" in text
    data = json.loads(run(env, "list", "--output-format", "json", check=True).stdout)
    row = next(r for r in data if r["key"] == key("3.11.2"))
    assert row["installed"] is True and row["path"].endswith("bin/python3.11")
    only = run(env, "list", "--only-installed", check=True).stdout.splitlines()
    managed_rows = [line for line in only if str(installs(env)) in line]
    assert len(managed_rows) == 1 and managed_rows[0].startswith(key("3.11.2"))
    assert all(line.endswith(("(path)", "(pyenv)", "(uv)", "(mise)")) for line in only if line not in managed_rows)
    # served by the fast lane; `-q list …` goes through the typer command: the same output
    for extra in ([], ["--output-format", "json"], ["3.11"], ["3.12"], ["--all-platforms"]):
        fast = run(env, "list", "--only-installed", *extra, check=True)
        assert (fast.stdout, fast.stderr) == (
            run(env, "-q", "list", "--only-installed", *extra, check=True).stdout,
            fast.stderr,
        ), extra
    assert all("<download available>" in line for line in run(env, "list", "--only-downloads").stdout.splitlines())
    every = run(env, "list", "--all-versions", "--only-downloads", check=True).stdout
    assert key("3.11.2") in every and key("3.11.7") in every
    assert run(env, "dir", check=True).stdout.strip() == str(installs(env))
    assert run(env, "dir", "--bin", check=True).stdout.strip() == env["SHIMKIT_BIN_DIR"]
    # the fast lane (dir) and the typer command (-q dir) agree; a relative flag is made absolute
    home = Path(env["HOME"])
    for args in (["dir", "--install-dir", "rel"], ["dir", "--bin", "--bin-dir=rel"]):
        assert run(env, *args, check=True).stdout == run(env, "-q", *args, check=True).stdout == f"{home / 'rel'}\n"
    proc = run(env, "dir", "--bogus")
    assert proc.returncode == 2 and "--bogus" in proc.stderr


def test_list_shows_interpreters_on_path_and_of_other_managers(env: dict, tmp_path: Path, real_sources) -> None:
    # uv: tests/python/python_list.rs (system interpreters are listed with their path); pyenv
    # users run `shimkit list --only-installed` for `pyenv versions` (docs/migrating.md)
    source = next(s for s in real_sources if s.version == "3.11.7")
    pyenv = tmp_path / "pyenv"
    (pyenv / "versions" / "3.11.7" / "bin").mkdir(parents=True)
    (pyenv / "versions" / "3.11.7" / "bin" / "python3").symlink_to(source.executable)
    onpath = tmp_path / "onpath"
    onpath.mkdir()
    (onpath / "python3.12").symlink_to(next(s for s in real_sources if s.version.startswith("3.12.")).executable)
    env = {**env, "PYENV_ROOT": str(pyenv), "PATH": f"{onpath}{os.pathsep}{env['PATH']}"}
    lines = run(env, "list", "--only-installed", check=True).stdout.splitlines()
    assert any(
        line.startswith(key("3.11.7")) and line.endswith(f"{pyenv}/versions/3.11.7/bin/python3  (pyenv)")
        for line in lines
    ), lines
    assert any(line.endswith(f"{onpath}/python3.12  (path)") for line in lines)
    rows = json.loads(run(env, "list", "--only-installed", "3.11", "--output-format", "json", check=True).stdout)
    assert {(r["source"], r["version"], r["installed"]) for r in rows} >= {("pyenv", "3.11.7", True)}
    assert all(r["version"].startswith("3.11.") for r in rows)


def test_list_offers_no_older_patch_when_the_newest_is_installed(env: dict, mirror) -> None:
    run(env, "install", "3.11", "--no-bin", check=True)  # the newest 3.11 download: 3.11.7
    lines = run(env, "list", "3.11", check=True).stdout.splitlines()
    assert any(line.startswith(key("3.11.7")) and str(installs(env)) in line for line in lines)
    assert not any("<download available>" in line for line in lines), lines


def test_list_all_platforms_shows_other_platforms(env: dict) -> None:
    env = dict(env)
    env.pop("SHIMKIT_PYTHON_DOWNLOADS_JSON_URL")  # the embedded metadata has every platform
    out = run(env, "list", "--all-platforms", "--only-downloads", "3.12", check=True).stdout
    assert "-darwin-aarch64-none" in out and "-windows-x86_64-none" in out and "-linux-x86_64-musl" in out
    here = run(env, "list", "--only-downloads", "3.12", check=True).stdout
    assert "darwin" not in here and here.strip()


# ---- errors -------------------------------------------------------------------------------
def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str, code: int = 1) -> None:
    assert proc.returncode == code, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for n in needles:
        assert n in errors[0], errors[0]
    assert "hint:" in errors[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["install", "--bogus"], ["no such option: --bogus", "shimkit install --help"]),
        (["instal", "3.12"], ["no such command 'instal'", "did you mean 'install'"]),
        (["list", "--output-format", "yaml"], ["--output-format", "text or json", "shimkit list --help"]),
        (["venv", "a", "b"], ["unexpected extra argument", "shimkit venv --help"]),
        (["uninstall", "--outdated", "3.12"], ["--outdated takes no versions"]),
        (["install", "3.12", "--default", "--no-bin"], ["--no-bin excludes --default"]),
        (["install", "3.11", "3.12", "--default"], ["--default takes one version"]),
    ],
)
def test_usage_errors_are_one_line(env: dict, args: list, needles: list) -> None:
    # click's own usage errors (typer) are reported like shimkit's: one line, exit 2, no box
    proc = run(env, *args)
    assert_one_line_error(proc, *needles, code=2)
    assert proc.stderr.count("\n") == 1 and "╭" not in proc.stderr and proc.stdout == ""


def assert_nothing_installed(env: dict) -> None:
    assert {n for n in state(env) if n != ".temp"} == set()
    assert temp_is_empty(env)


def test_unknown_version(env: dict, mirror) -> None:
    proc = run(env, "install", "3.99")
    assert_one_line_error(proc, "no download matches 3.99", code=2)


def test_malformed_request(env: dict) -> None:
    proc = run(env, "install", "3.x;rm")
    assert_one_line_error(proc, "invalid Python request", "accepted forms", code=2)


def test_no_download_for_this_platform(env: dict, mirror) -> None:
    proc = run({**env, "SHIMKIT_HOST_PLATFORM": "linux-riscv64-gnu"}, "install", "3.12")
    assert_one_line_error(proc, "for this platform (linux-riscv64-gnu)", code=2)


def test_checksum_mismatch_installs_nothing(env: dict, v312: str, mirror) -> None:
    mirror.publish(overrides={v312: {"sha256": "0" * 64}})
    proc = run(env, "install", "3.12")
    assert_one_line_error(proc, "checksum mismatch", "0" * 64)
    assert_nothing_installed(env)


def test_http_500_then_success_is_retried(env: dict, v312: str, mirror) -> None:
    archive = mirror.archives[v312]
    mirror.server.fail_times(mirror.archive_path(archive), 2, status=500)
    proc = run(env, "install", "3.12", check=True)
    assert "retrying" in proc.stderr
    hits = [r for r in mirror.server.requests if r.path.endswith(archive.filename)]
    assert len(hits) == 3
    assert key(v312) in state(env)


def test_truncated_body_is_retried_then_fails_cleanly(env: dict, v312: str, mirror) -> None:
    archive = mirror.archives[v312]
    mirror.server.truncate(mirror.archive_path(archive), 100_000)
    proc = run({**env, "SHIMKIT_HTTP_RETRIES": "1"}, "install", "3.12")
    assert_one_line_error(proc, "after 2 attempts")
    assert_nothing_installed(env)


def test_connection_reset_mid_body(env: dict, v312: str, mirror) -> None:
    archive = mirror.archives[v312]
    mirror.server.reset(mirror.archive_path(archive), after=200_000)
    proc = run({**env, "SHIMKIT_HTTP_RETRIES": "0"}, "install", "3.12")
    assert_one_line_error(proc)
    assert_nothing_installed(env)


def test_http_404_is_not_retried(env: dict, v312: str, mirror) -> None:
    archive = mirror.archives[v312]
    mirror.server.status(mirror.archive_path(archive), 404)
    proc = run(env, "install", "3.12")
    assert_one_line_error(proc, "HTTP 404")
    assert len([r for r in mirror.server.requests if r.path.endswith(archive.filename)]) == 1
    assert_nothing_installed(env)


def test_slow_server_times_out(env: dict, v312: str, mirror) -> None:
    archive = mirror.archives[v312]
    mirror.server.slow(mirror.archive_path(archive), 5.0)
    started = time.monotonic()
    proc = run({**env, "SHIMKIT_HTTP_TIMEOUT": "0.5", "SHIMKIT_HTTP_RETRIES": "0"}, "install", "3.12")
    assert_one_line_error(proc, "timed out")
    assert time.monotonic() - started < 30
    assert_nothing_installed(env)


def test_redirect_loop(env: dict, v312: str, mirror) -> None:
    archive = mirror.archives[v312]
    mirror.server.redirect_loop(mirror.archive_path(archive))
    proc = run(env, "install", "3.12")
    assert_one_line_error(proc, "redirect")
    assert_nothing_installed(env)


def test_offline_never_touches_the_network(env: dict, mirror) -> None:
    proc = run({**env, "SHIMKIT_OFFLINE": "1"}, "install", "3.12")
    assert_one_line_error(proc, "offline")
    assert mirror.server.requests == []


def test_mislabeled_archive_is_refused(env: dict, pbs_archives: dict, mirror) -> None:
    # The metadata promises 3.11.9 but the archive holds the real 3.11.7 interpreter.
    mirror.publish(overrides={"3.11.7": {"patch": 9}})
    proc = run(env, "install", "3.11.9")
    assert_one_line_error(proc, "reporting version 3.11.7")
    assert_nothing_installed(env)


def test_local_archive_and_file_mirror(env: dict, v312: str, pbs_archives: dict, mirror, tmp_path: Path) -> None:
    archive = pbs_archives[v312]
    local = tmp_path / "airgap" / archive.filename
    local.parent.mkdir()
    shutil.copy(archive.path, local)
    offline = {**env, "SHIMKIT_OFFLINE": "1", "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": str(mirror.downloads_json_path)}
    proc = run(offline, "install", str(local), check=True)
    assert key(v312) in state(env)
    assert "unverified" not in proc.stderr  # the metadata knows this file's checksum
    assert mirror.server.requests == []
    # a file:// mirror laid out like the release server
    tree = tmp_path / "filemirror"
    (tree / archive.build).mkdir(parents=True)
    shutil.copy(pbs_archives["3.11.2"].path, tree / archive.build / pbs_archives["3.11.2"].filename)
    proc = run(
        {**env, "SHIMKIT_OFFLINE": "1", "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": str(mirror.upstream_downloads_json_path)},
        "install",
        "3.11.2",
        "--mirror",
        tree.as_uri(),
        check=True,
    )
    assert key("3.11.2") in state(env)


def test_local_archive_with_wrong_checksum_is_refused(
    env: dict, v312: str, pbs_archives: dict, tmp_path: Path, mirror
) -> None:
    archive = pbs_archives[v312]
    mirror.publish(overrides={v312: {"sha256": "f" * 64}})
    local = tmp_path / archive.filename
    shutil.copy(archive.path, local)
    proc = run(env, "install", str(local))
    assert_one_line_error(proc, "checksum mismatch")
    assert_nothing_installed(env)


def test_mirror_replaces_release_prefix(env: dict, v312: str, mirror) -> None:
    e = {**env, "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": str(mirror.upstream_downloads_json_path)}
    run(e, "install", "3.12", "--mirror", mirror.url, check=True)
    assert key(v312) in state(e)
    run({**e, "SHIMKIT_PYTHON_INSTALL_MIRROR": mirror.url + "/"}, "install", "3.11.2", check=True)
    assert key("3.11.2") in state(e)


def test_malicious_archive_is_rejected(env: dict, v312: str, mirror, tmp_path: Path) -> None:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("python/../../escaped")
        data = b"pwned"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    body = buf.getvalue()
    import hashlib

    archive = mirror.archives[v312]
    mirror.server.add(mirror.archive_path(archive), body)
    mirror.publish(overrides={v312: {"sha256": hashlib.sha256(body).hexdigest()}})
    proc = run(env, "install", "3.12")
    assert_one_line_error(proc, "escaped")
    assert_nothing_installed(env)
    assert not (installs(env).parent / "escaped").exists()
    assert not (installs(env) / "escaped").exists()


# ---- concurrency and kills ----------------------------------------------------------------
def test_two_concurrent_installs_of_the_same_version(env: dict, v312: str, mirror) -> None:
    cmd = [sys.executable, "-m", "shimkit", "install", "3.12"]
    procs = [
        subprocess.Popen(cmd, env=env, cwd=env["HOME"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert {n for n, t in state(env).items() if n != ".temp"} == {key(v312), minor(v312)}
    assert temp_is_empty(env)


@pytest.mark.parametrize("phase", ["download", "extraction"])
def test_killed_install_leaves_nothing_and_next_run_succeeds(env: dict, v312: str, mirror, phase: str) -> None:
    archive = mirror.archives[v312]
    if phase == "download":
        mirror.server.slow(mirror.archive_path(archive), 0.05, chunk=64 * 1024)  # a trickle: killed mid-body
    proc = subprocess.Popen(
        [sys.executable, "-m", "shimkit", "install", "3.12"],
        env=env,
        cwd=env["HOME"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = installs(env)
    deadline = time.monotonic() + 60
    # wait until something is being written in staging, then kill -9
    while time.monotonic() < deadline:
        staged = list((root / ".temp").glob("stage-*/unpacked/*")) if (root / ".temp").exists() else []
        if staged:
            if phase == "extraction":
                time.sleep(0.05)
            break
        time.sleep(0.01)
    else:
        proc.kill()
        pytest.fail("the install never started staging")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    listed = run(env, "list", "--only-installed", check=True).stdout
    # no managed installation (interpreters on PATH are listed too, with their source)
    assert not [line for line in listed.splitlines() if str(installs(env)) in line]
    assert {n for n in state(env) if n != ".temp"} == set()
    mirror.server.clear_faults()
    run(env, "install", "3.12", check=True)
    assert state(env)[minor(v312)] == key(v312)
    assert temp_is_empty(env)


def _hold_lock_with_a_slow_install(env: dict, v312: str, mirror) -> subprocess.Popen[bytes]:
    """A real `shimkit install 3.12` that holds the install dir's lock for a long while (its
    download trickles); returns once it has recorded itself as the lock's owner."""
    mirror.server.slow(mirror.archive_path(mirror.archives[v312]), 0.2, chunk=16 * 1024)
    holder = subprocess.Popen(
        [sys.executable, "-m", "shimkit", "install", "3.12"],
        env=env,
        cwd=env["HOME"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    owner = installs(env) / ".temp" / "lock-owner"
    deadline = time.monotonic() + 60
    while not owner.exists():
        if time.monotonic() > deadline or holder.poll() is not None:
            holder.kill()
            pytest.fail("the install never took the lock")
        time.sleep(0.02)
    return holder


@pytest.mark.parametrize("command", [["uninstall", "3.12"], ["install", "3.11", "--no-bin"]])
def test_waiting_for_the_lock_names_the_holder(env: dict, v312: str, mirror, command: list) -> None:
    holder = _hold_lock_with_a_slow_install(env, v312, mirror)
    try:
        proc = run({**env, "SHIMKIT_LOCK_TIMEOUT": "1"}, *command)
    finally:
        holder.kill()
        holder.wait()
    lines = proc.stderr.splitlines()
    said = f"waiting for another shimkit process (pid {holder.pid}, shimkit install 3.12) …"
    assert [line for line in lines if line.endswith(said)] == [f"warning: {said}"], proc.stderr
    assert lines[-1].startswith(f"error: another shimkit process (pid {holder.pid}, shimkit install 3.12) has held")
    assert proc.returncode == 1


def test_a_killed_lock_holder_is_not_waited_for_nor_named(env: dict, v312: str, mirror) -> None:
    holder = _hold_lock_with_a_slow_install(env, v312, mirror)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (installs(env) / ".temp" / "lock-owner").exists()  # its record outlives it; the lock does not
    mirror.server.clear_faults()
    proc = run(env, "install", "3.12", check=True)
    assert "waiting" not in proc.stderr
    assert temp_is_empty(env)  # the stale record, and the next holder's own, are gone


def test_build_prefix_is_rewritten_to_the_installation(env: dict, v312: str, mirror) -> None:
    """PBS archives name their build prefix /install in sysconfig data; after install, sysconfig
    points at the real installation, so C extensions can find headers and libpython."""
    run(env, "install", "3.12", "--no-bin", check=True)
    inst = installs(env) / key(v312)
    out = subprocess.run(
        [
            inst / "bin" / "python3.12",
            "-c",
            "import sysconfig; print(sysconfig.get_config_var('prefix')); print(sysconfig.get_config_var('INCLUDEPY'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert out[0] == str(inst)
    assert out[1] == str(inst / "include" / "python3.12")
    assert Path(out[1], "Python.h").is_file()
    sysdata = next((inst / "lib" / "python3.12").glob("_sysconfigdata_*.py")).read_text()
    assert "'/install" not in sysdata


def test_downloading_does_not_import_httpx_command_line(mirror) -> None:
    """httpx's own CLI (click, rich, pygments: ~65 ms) stays out of a download."""
    code = (
        "import sys\n"
        "from shimkit import fetch\n"
        f"assert fetch.fetch_bytes({mirror.downloads_json_url!r})\n"
        "print(sorted(m for m in ('click', 'rich', 'pygments') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
