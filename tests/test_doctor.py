"""`shimkit doctor`: each problem it promises to find, created for real, found, and (where it says so)
repaired by `--fix`.  Real installs from the loopback mirror, the real CLI in a subprocess, and for
the hook check a real bash running the real hook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import run_shimkit as run_cli

pytestmark = pytest.mark.slow
HOST = "linux-x86_64-gnu"


@pytest.fixture
def env(shimkit_env: dict) -> dict:
    # The bin dir on PATH, as after `update-shell`.
    return {
        **shimkit_env,
        "PATH": os.pathsep.join([shimkit_env["SHIMKIT_BIN_DIR"], shimkit_env["PATH"]]),
    }


@pytest.fixture
def v312(pbs_archives: dict) -> str:
    return next(v for v in pbs_archives if v.startswith("3.12."))


def run(env: dict, *args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, cwd=cwd or Path(env["HOME"]), check=check)


def setup_bashrc(env: dict) -> None:
    run(env, "update-shell", "bash", check=True)


def doctor(env: dict, *args: str, cwd: Path | None = None) -> tuple[int, list[dict]]:
    """Run `doctor --output-format json --shell bash`; (exit code, findings)."""
    proc = run(env, "doctor", "--shell", "bash", "--output-format", "json", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def problems(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["status"] in ("warn", "error")]


def installs(env: dict) -> Path:
    return Path(env["SHIMKIT_PYTHON_INSTALL_DIR"])


def bin_dir(env: dict) -> Path:
    return Path(env["SHIMKIT_BIN_DIR"])


def test_a_healthy_setup_has_no_problems(env: dict, mirror, v312: str) -> None:
    run(env, "install", "3.12", check=True)
    setup_bashrc(env)
    proc = run(env, "doctor", "--shell", "bash")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No problems found" in proc.stdout
    assert "PATH finds shimkit's python3.12" in proc.stdout
    assert "the shell hook for bash is set up in ~/.bashrc" in proc.stdout
    assert "1 installation, 1 minor-version link, no dangling links" in proc.stdout


def test_bin_dir_missing_from_path_is_an_error_with_the_fix(shimkit_env: dict, mirror) -> None:
    env = dict(shimkit_env)  # PATH without the bin dir
    setup_bashrc(env)
    proc = run(env, "doctor", "--shell", "bash")
    assert proc.returncode == 1
    assert f"error  {env['SHIMKIT_BIN_DIR']} (the bin dir) is not on PATH" in proc.stdout
    assert "fix: run `shimkit update-shell` and open a new shell" in proc.stdout
    assert "1 problem found" in proc.stdout


def test_an_earlier_python_on_path_shadowing_an_entry_is_named(env: dict, mirror, tmp_path: Path) -> None:
    run(env, "install", "3.12", check=True)
    setup_bashrc(env)
    other = tmp_path / "other-bin"
    other.mkdir()
    impostor = other / "python3.12"
    impostor.write_text("#!/bin/sh\necho not shimkit\n")
    impostor.chmod(0o755)
    shadowed = {**env, "PATH": os.pathsep.join([str(other), env["PATH"]])}
    code, findings = doctor(shadowed)
    assert code == 1
    [p] = problems(findings)
    assert p["check"] == "path" and p["status"] == "warn"
    assert f"`python3.12` runs {impostor}" in p["message"]
    assert f"{other} comes first on PATH" in p["message"]
    assert f"put {bin_dir(env)} before {other}" in p["fix"]
    # behind the bin dir it shadows nothing
    behind = {**env, "PATH": os.pathsep.join([env["PATH"], str(other)])}
    assert problems(doctor(behind)[1]) == []


def test_pin_without_active_hook_is_an_error_and_a_real_hook_passes(env: dict, mirror, tmp_path: Path) -> None:
    run(env, "install", "3.12", check=True)
    setup_bashrc(env)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".python-version").write_text("3.12\n")
    linked_bin = installs(env) / f"cpython-3.12-{HOST}" / "bin"

    code, findings = doctor(env, cwd=project)
    assert code == 1
    [p] = problems(findings)
    assert p["check"] == "hook" and p["status"] == "error"
    assert "`python` does not follow the pin 3.12" in p["message"]
    assert "the shell hook is not active in this shell" in p["message"]
    assert "shimkit update-shell" in p["fix"]

    # what a hook exports while it has put the pinned installation on PATH
    hooked = {**env, "_SHIMKIT_ADDED": str(linked_bin), "PATH": f"{linked_bin}:{env['PATH']}", "PWD": str(project)}
    code, findings = doctor(hooked, cwd=project)
    assert code == 0, problems(findings)
    assert any(f["message"].startswith("the shell hook is active: python here is 3.12") for f in findings)

    # the real thing: bash loads the hook, which resolves the project's pin, then runs doctor
    shimkit = " ".join([sys.executable, "-m", "shimkit"])
    script = f'eval "$({shimkit} init bash)" && {shimkit} doctor --shell bash'
    proc = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        cwd=project,
        env={**env, "PWD": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok     the shell hook is active: python here is 3.12" in proc.stdout


def test_a_pin_that_is_not_installed_says_what_to_install(env: dict, mirror, tmp_path: Path) -> None:
    setup_bashrc(env)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".python-version").write_text("3.10\n")
    code, findings = doctor(env, cwd=project)
    assert code == 1
    [p] = problems(findings)
    assert p["check"] == "hook"
    assert p["message"] == f"the pin 3.10 ({project / '.python-version'}) is not installed"
    assert p["fix"] == "shimkit install 3.10"


def test_dangling_link_and_entry_are_found_and_fixed(env: dict, mirror, v312: str) -> None:
    run(env, "install", "3.12", check=True)
    setup_bashrc(env)
    # the installation disappears behind shimkit's back (rm -r by hand)
    shutil.rmtree(installs(env) / f"cpython-{v312}-{HOST}")
    code, findings = doctor(env)
    assert code == 1
    messages = {f["message"]: f for f in problems(findings)}
    link_msg = f"the minor-version link cpython-3.12-{HOST} points at a removed installation"
    assert link_msg in messages and messages[link_msg]["fixable"]
    entry = bin_dir(env) / "python3.12"
    dangling = [m for m in messages if m.startswith(f"{entry} points at") and m.endswith("which does not exist")]
    assert dangling and messages[dangling[0]]["fixable"]

    proc = run(env, "doctor", "--shell", "bash", "--fix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"fixed: removed the minor-version link cpython-3.12-{HOST}" in proc.stderr
    assert f"fixed: removed {entry} (its target was gone)" in proc.stderr
    assert not os.path.lexists(entry)
    assert not os.path.lexists(installs(env) / f"cpython-3.12-{HOST}")


def test_link_behind_the_highest_patch_is_repointed_by_fix(env: dict, mirror) -> None:
    run(env, "install", "3.11.2", "3.11.7", check=True)
    setup_bashrc(env)
    link = installs(env) / f"cpython-3.11-{HOST}"
    assert os.readlink(link) == f"cpython-3.11.7-{HOST}"
    tmp = link.with_name("tmp-link")
    tmp.symlink_to(f"cpython-3.11.2-{HOST}")
    os.replace(tmp, link)
    code, findings = doctor(env)
    assert code == 1
    [p] = problems(findings)
    assert p["message"] == (
        f"the minor-version link cpython-3.11-{HOST} points at cpython-3.11.2-{HOST}, "
        f"not the highest installed patch cpython-3.11.7-{HOST}"
    )
    run(env, "doctor", "--fix", "--shell", "bash", check=True)
    assert os.readlink(link) == f"cpython-3.11.7-{HOST}"


def test_foreign_file_taking_an_entry_name_is_reported(env: dict, mirror) -> None:
    run(env, "install", "3.12", check=True)
    setup_bashrc(env)
    entry = bin_dir(env) / "python3.12"
    entry.unlink()
    entry.write_text('#!/bin/sh\nexec /usr/bin/python3 "$@"\n')
    entry.chmod(0o755)
    code, findings = doctor(env)
    assert code == 1
    [p] = problems(findings)
    assert p["check"] == "bin"
    assert p["message"] == (f"{entry} was not created by shimkit, so it does not run the managed 3.12")
    assert p["fix"] == "shimkit install 3.12 --force (replaces it)"
    run(env, "install", "3.12", "--force", check=True)
    assert problems(doctor(env)[1]) == []


def test_venv_pinned_to_a_removed_patch_is_broken_one_through_the_link_is_not(
    env: dict, mirror, tmp_path: Path
) -> None:
    run(env, "install", "3.11.2", "3.11.7", check=True)
    setup_bashrc(env)
    pinned, following = tmp_path / "pinned-venv", tmp_path / "following-venv"
    run(env, "venv", "-p", "3.11.7", str(pinned), check=True)
    run(env, "venv", "-p", "3.11", str(following), check=True)
    assert problems(doctor(env)[1]) == []

    run(env, "uninstall", "3.11.7", check=True)  # the link moves to 3.11.2
    code, findings = doctor(env)
    assert code == 1
    [p] = problems(findings)
    assert p["check"] == "venvs" and p["status"] == "error"
    assert p["message"].startswith(f"virtual environment {pinned} is broken: its interpreter dir ")
    assert f"cpython-3.11.7-{HOST}" in p["message"]
    assert p["fix"] == f"shimkit venv --clear -p 3.11 {pinned}"
    # the venv that went through the minor-version link still runs (on 3.11.2 now)
    out = subprocess.run(
        [following / "bin" / "python", "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "3.11.2"

    # following the fix makes doctor happy again
    run(env, *p["fix"].split()[1:], check=True)
    assert problems(doctor(env)[1]) == []


def test_invalid_config_file_is_a_finding_and_the_other_checks_still_run(env: dict, mirror) -> None:
    setup_bashrc(env)
    config = Path(env["XDG_CONFIG_HOME"]) / "shimkit" / "shimkit.toml"
    config.parent.mkdir(parents=True)
    config.write_text('install-dri = "/tmp/x"\n')
    proc = run(env, "doctor", "--shell", "bash")
    assert proc.returncode == 1
    assert f"error  {config}: unknown setting 'install-dri'" in proc.stdout
    assert "fix: accepted settings: " in proc.stdout
    assert "is on PATH" in proc.stdout  # the remaining checks ran with the defaults


def test_shell_hook_not_set_up_is_a_warning_naming_the_rc_file(env: dict) -> None:
    code, findings = doctor(env)
    [p] = [f for f in problems(findings) if f["check"] == "hook"]
    assert p["message"].startswith("the shell hook is not set up for bash (~/.bashrc does not load it)")
    assert p["fix"] == "shimkit update-shell bash"
    assert code == 1
