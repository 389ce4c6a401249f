"""The opt-in shims (`shimkit shims enable`): POSIX sh scripts that run the pinned interpreter in
places without a shell hook.  They are exercised the way cron, IDEs and scripts run them: from
`env -i` environments, through `#!/usr/bin/env python`, by absolute path from elsewhere (the
working directory decides, as with pyenv), with the shims dir on PATH twice, with nothing pinned,
a pin that is not installed, and hostile pins; under dash and under bash running as /bin/sh."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
from shell_harness import FakeStore, Projects, find_shell, write

from shimkit import shims
from shimkit.settings import Settings

SYSTEM_PATH = "/usr/bin:/bin"
PREFIX = "import sys; print(sys.prefix)"


class Shims:
    def __init__(self, root: Path, config: Path) -> None:
        self.dir = root
        self.config = config

    def run(
        self,
        *argv: str,
        cwd: Path,
        path: Optional[str] = None,
        extra: Optional[Dict[str, str]] = None,
        input: Optional[str] = None,
    ) -> subprocess.CompletedProcess[str]:
        """argv under `env -i` with PATH = shims + system dirs (like a crontab's PATH)."""
        env = ["PATH=" + (path if path is not None else f"{self.dir}:{SYSTEM_PATH}")]
        env += [f"{k}={v}" for k, v in (extra or {}).items()]
        return subprocess.run(
            ["/usr/bin/env", "-i", *env, *argv], cwd=cwd, capture_output=True, text=True, timeout=60, input=input
        )


@pytest.fixture(params=["dash", "bash-as-sh"])
def shim_set(
    request: pytest.FixtureRequest, tmp_path: Path, fake_store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shims]:
    """The four shims written by shims.enable, their #! pointing at dash or at bash named `sh`
    (bash then runs in POSIX mode, as it does when it is /bin/sh)."""
    if request.param == "dash":
        sh = find_shell("dash")
    else:
        sh = str(tmp_path / "sh")
        os.symlink(find_shell("bash"), sh)
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))  # where the global pin lives (baked in)
    settings = Settings(install_dir=fake_store.root, bin_dir=tmp_path / "bin")
    report = shims.enable(settings, shims_dir=tmp_path / "shims dir é", sh_path=sh)
    assert sorted(report.written) == ["pip", "pip3", "python", "python3"]
    yield Shims(report.shims_dir, config / "shimkit")


def system_python3() -> str:
    found = shutil.which("python3", path=SYSTEM_PATH)
    if found is None:
        pytest.fail("these tests need a system python3 in /usr/bin (apt-get install python3)", pytrace=False)
    return found


def test_cron_like_environments_run_the_pinned_python(
    shim_set: Shims, fake_store: FakeStore, projects: Projects
) -> None:
    write(projects["app"] / "nested" / ".python-version", "3.13\n")
    for name, want in [
        ("app", "3.11"),
        ("app/sub", "3.11"),
        ("other", "3.12"),
        ("patch", "3.12.1"),
        ("ranged", "3.13"),
        ("member", "3.13"),
        ("req", "3.12"),
    ]:
        for exe in ("python", "python3"):
            proc = shim_set.run(exe, "-c", PREFIX, cwd=projects[name])
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.strip() == str(fake_store.prefix(want)), (name, exe)
    nested = shim_set.run("python", "-c", PREFIX, cwd=projects["app"] / "nested")
    assert nested.stdout.strip() == str(fake_store.prefix("3.13"))
    pip = shim_set.run("pip", "--version", cwd=projects["patch"])
    assert pip.stdout.split() == ["pip", "of", f"cpython-3.12.1-{fake_store.host}", "--version"]


def test_a_script_with_env_python_in_a_pinned_project(
    shim_set: Shims, fake_store: FakeStore, projects: Projects
) -> None:
    script = projects["other"] / "tool.py"
    script.write_text(
        "#!/usr/bin/env python\n"
        "import sys\n"
        "print(sys.prefix)\n"
        "print(sys.argv[1:])\n"
        "print(sys.stdin.read().upper())\n"
        "sys.exit(3)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    proc = shim_set.run("./tool.py", "a b", "$(c)", "", cwd=projects["other"], input="from stdin")
    assert proc.returncode == 3  # the exit status comes through
    out = proc.stdout.splitlines()
    assert out == [str(fake_store.prefix("3.12")), "['a b', '$(c)', '']", "FROM STDIN"]


def test_called_by_absolute_path_the_working_directory_decides(
    shim_set: Shims, fake_store: FakeStore, projects: Projects
) -> None:
    proc = shim_set.run(str(shim_set.dir / "python"), "-c", PREFIX, cwd=projects["other"], path=SYSTEM_PATH)
    assert proc.stdout.strip() == str(fake_store.prefix("3.12"))


def test_signals_reach_the_interpreter(shim_set: Shims, projects: Projects) -> None:
    env = {"PATH": f"{shim_set.dir}:{SYSTEM_PATH}"}
    proc = subprocess.Popen(
        ["python", "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"],
        cwd=projects["app"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert int(proc.stdout.readline()) == proc.pid  # exec: the shim became the interpreter
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == -signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()


def test_unpinned_falls_through_without_recursing(shim_set: Shims, projects: Projects, tmp_path: Path) -> None:
    alias = tmp_path / "shims alias"
    alias.symlink_to(shim_set.dir)
    path = f"{shim_set.dir}:{alias}:{shim_set.dir}/:{shim_set.dir}:{SYSTEM_PATH}"
    proc = shim_set.run("python3", "-c", "import sys; print(sys.executable)", cwd=projects["none"], path=path)
    assert proc.returncode == 0, proc.stderr
    assert os.path.realpath(proc.stdout.strip()) == os.path.realpath(system_python3())
    assert proc.stderr == ""
    # nothing else to run: a clear error, no loop
    alone = shim_set.run("python3", "-V", cwd=projects["none"], path=f"{shim_set.dir}:{alias}")
    assert alone.returncode == 127
    assert "no python3 on PATH besides the shims" in alone.stderr


def test_a_missing_pin_says_so_once_and_falls_through(shim_set: Shims, projects: Projects) -> None:
    proc = shim_set.run("python3", "-c", "import sys; print(sys.executable)", cwd=projects["missing"])
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        f"shimkit: Python 3.10 ({projects['missing'] / '.python-version'}) is not installed; run: shimkit install 3.10"
    ]
    assert os.path.realpath(proc.stdout.strip()) == os.path.realpath(system_python3())


@pytest.mark.parametrize(
    "content",
    [
        "$(touch pwned)\n",
        "`touch pwned`\n",
        "3.12; touch pwned\n",
        "3.12\n$(touch pwned)\n",
        "../../../../usr/bin/touch pwned\n",
        "x" * (1024 * 1024),
        "\x00\xff\xfe3.1\x002\n",
    ],
)
def test_hostile_pins_are_inert(shim_set: Shims, projects: Projects, content: str) -> None:
    d = projects["hostile"]
    (d / ".python-version").write_bytes(content.encode("utf-8", "surrogateescape"))
    proc = shim_set.run("python3", "-c", "import sys; print(sys.executable)", cwd=d)
    assert proc.returncode == 0, proc.stderr
    if content.startswith("3.12\n"):  # a valid first line is the pin; the rest is never looked at
        assert "cpython-3.12" in proc.stdout
    else:
        assert os.path.realpath(proc.stdout.strip()) == os.path.realpath(system_python3())
        assert "warning" in proc.stderr
    for where in (d, projects.root, d.parent):
        assert not (where / "pwned").exists()


def test_session_override_and_global_pin(shim_set: Shims, fake_store: FakeStore, projects: Projects) -> None:
    over = shim_set.run("python", "-c", PREFIX, cwd=projects["app"], extra={"SHIMKIT_PYTHON": "3.13"})
    assert over.stdout.strip() == str(fake_store.prefix("3.13"))
    # outside pinned projects the system python3 stays in charge, until a global pin exists
    plain = shim_set.run("python3", "-c", "import sys; print(sys.executable)", cwd=projects["none"])
    assert os.path.realpath(plain.stdout.strip()) == os.path.realpath(system_python3())
    write(shim_set.config / ".python-version", "3.12\n")
    pinned = shim_set.run("python3", "-c", PREFIX, cwd=projects["none"])
    assert pinned.stdout.strip() == str(fake_store.prefix("3.12"))
    off = shim_set.run("python3", "-c", PREFIX, cwd=projects["none"], extra={"SHIMKIT_NO_CONFIG": "1"})
    assert off.stdout.strip() != str(fake_store.prefix("3.12"))


# ---- the CLI -------------------------------------------------------------------------------------
def cli(*args: str, env: Dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shimkit", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_enable_status_disable(tmp_path: Path, fake_store: FakeStore, projects: Projects) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": SYSTEM_PATH,
        "LANG": "C.UTF-8",
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "SHIMKIT_PYTHON_INSTALL_DIR": str(fake_store.root),
    }
    shims_dir = home / ".local/share/shimkit/shims"
    proc = cli("shims", "enable", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in shims_dir.iterdir()) == ["pip", "pip3", "python", "python3"]
    assert all(os.access(p, os.X_OK) for p in shims_dir.iterdir())
    assert "update-shell --shims" in proc.stderr
    assert "up to date" in cli("shims", "enable", env=env, cwd=tmp_path).stderr

    # the default shims (#!/bin/sh) work too
    run = subprocess.run(
        ["/usr/bin/env", "-i", f"PATH={shims_dir}:{SYSTEM_PATH}", "python", "-c", PREFIX],
        cwd=projects["app"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.strip() == str(fake_store.prefix("3.11")), run.stderr

    status = cli("shims", "status", env=env, cwd=tmp_path).stdout
    assert f"shims dir: {shims_dir}" in status and "on PATH: no" in status
    status = cli("shims", "status", env=dict(env, PATH=f"/usr/bin:{shims_dir}:/bin"), cwd=tmp_path).stdout
    assert "on PATH: yes, entry 2" in status
    assert "python3: /usr/bin/python3 comes first" in status
    status = cli("shims", "status", env=dict(env, PATH=f"{shims_dir}:{SYSTEM_PATH}"), cwd=tmp_path).stdout
    assert "python3: before /usr/bin/python3" in status

    (shims_dir / "notes.txt").write_text("mine", encoding="utf-8")
    proc = cli("shims", "disable", env=env, cwd=tmp_path)
    assert proc.returncode == 0
    assert [p.name for p in shims_dir.iterdir()] == ["notes.txt"]  # only the shims went


def test_enable_never_replaces_a_foreign_file(tmp_path: Path, fake_store: FakeStore) -> None:
    target = tmp_path / "shims"
    target.mkdir()
    (target / "python").write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    settings = Settings(install_dir=fake_store.root, bin_dir=tmp_path / "bin")
    with pytest.raises(Exception, match="not a shimkit shim"):
        shims.enable(settings, shims_dir=target)
    assert (target / "python").read_text(encoding="utf-8") == "#!/bin/sh\necho mine\n"


def test_path_state_lists_pythons_on_both_sides(tmp_path: Path) -> None:
    before, after, shim_dir = tmp_path / "before", tmp_path / "after", tmp_path / "shims"
    for d in (before, after, shim_dir):
        d.mkdir()
    for d, name in ((before, "python"), (after, "python3")):
        (d / name).write_text("#!/bin/sh\n", encoding="utf-8")
        (d / name).chmod(0o755)
    state = shims.path_state(shim_dir, f"{before}:{shim_dir}:{after}")
    assert state.on_path and state.position == 2
    assert state.before["python"] == [before / "python"] and state.after["python3"] == [after / "python3"]
    assert not shims.path_state(shim_dir, f"{before}:{after}").on_path


def test_shellcheck_passes_on_the_shims(tmp_path: Path, fake_store: FakeStore) -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not installed; CI installs it with: apt-get install shellcheck", pytrace=False)
    settings = Settings(install_dir=fake_store.root, bin_dir=tmp_path / "bin")
    for name in shims.SHIM_NAMES:
        script = tmp_path / name
        script.write_text(shims.render_shim(name, settings, tmp_path / "shims"), encoding="utf-8")
        proc = subprocess.run(["shellcheck", "-s", "sh", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
