"""The wheel: what it contains, one version everywhere, and every command working from a clean venv
that holds nothing but the wheel and its dependencies (no checkout on sys.path)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable, Dict, List

import pytest
from support.cli import isolated_env

import shimkit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from gen_cli_docs import visible_commands  # noqa: E402

pytestmark = pytest.mark.slow
HOST = "linux-x86_64-gnu"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(5, "--no-build-isolation")  # the backend is here already: no download
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [built] = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the wheel installed (dependencies from the package index or pip's cache)."""
    root = tmp_path_factory.mktemp("clean") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(root / "bin" / "python"),
            "install",
            "-q",
            "--disable-pip-version-check",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def test_wheel_contains_templates_metadata_and_launchers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in sorted((ROOT / "shells").glob("*.j2")):
        assert f"shimkit/shells/{template.name}" in names
    templates = sorted((ROOT / "templates").glob("*.j2"))
    assert templates, "templates/ is expected to hold the shim template"
    for template in templates:
        assert f"shimkit/templates/{template.name}" in names
    assert "shimkit/data/downloads.json" in names
    for arch in ("x86_64", "aarch64"):
        launcher = f"shimkit/launchers/shimkit-launcher-{arch}.exe"
        assert launcher in names
        assert zipfile.ZipFile(wheel).read(launcher) == (ROOT / launcher).read_bytes()
    for module in sorted((ROOT / "shimkit").rglob("*.py")):
        rel = module.relative_to(ROOT).as_posix()
        if "__pycache__" not in rel:
            assert rel in names
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n or n.endswith(".pyc")]


def test_version_comes_from_one_place(wheel: Path) -> None:
    version = shimkit.__version__
    assert wheel.name.startswith(f"shimkit-{version}-")
    meta = zipfile.ZipFile(wheel).read(f"shimkit-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in meta
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'path = "shimkit/__init__.py"' in pyproject
    entry_points = zipfile.ZipFile(wheel).read(f"shimkit-{version}.dist-info/entry_points.txt").decode()
    assert "shimkit = shimkit.entry:main" in entry_points


@pytest.fixture
def env(tmp_path: Path, venv: Path, mirror) -> Dict[str, str]:
    e = isolated_env(tmp_path, downloads_json_url=mirror.downloads_json_url)
    e["PATH"] = os.pathsep.join([str(venv / "bin"), e["SHIMKIT_BIN_DIR"], "/usr/bin", "/bin"])
    return e


def runner(env: Dict[str, str], cwd: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, exe: str = "shimkit", ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([exe, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
        assert "Traceback" not in proc.stderr, proc.stderr
        if ok:
            assert proc.returncode == 0, f"shimkit {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc

    return run


def test_installed_wheel_runs_from_its_own_files(env: Dict[str, str], venv: Path, tmp_path: Path) -> None:
    run = runner(env, tmp_path)
    version = f"shimkit {shimkit.__version__}"
    assert run("--version").stdout.strip() == version
    assert run("-m", "shimkit", "--version", exe=str(venv / "bin" / "python")).stdout.strip() == version
    where = run(
        "-c",
        "import importlib.metadata as m, shimkit; print(m.version('shimkit')); print(shimkit.__file__)",
        exe=str(venv / "bin" / "python"),
    ).stdout.split()
    assert where[0] == shimkit.__version__
    assert where[1].startswith(str(venv)), "shimkit must be imported from the wheel, not the checkout"


# A real invocation of every visible command, in the order given (later ones use what earlier ones
# made).  A command missing here fails test_every_command_runs_from_the_wheel: add one.
def smoke_steps(project: Path) -> List[tuple[str, List[str], Callable[[subprocess.CompletedProcess[str]], bool]]]:
    return [
        ("install", ["install", "3.12"], lambda p: "Installed cpython-3.12" in p.stderr),
        ("list", ["list", "--only-installed"], lambda p: "cpython-3.12" in p.stdout),
        ("dir", ["dir", "--bin"], lambda p: p.stdout.strip().endswith("/bin")),
        ("find", ["find", "3.12"], lambda p: f"cpython-3.12-{HOST}/bin/python3.12" in p.stdout),
        ("pin", ["pin", "3.12"], lambda p: (project / ".python-version").read_text() == "3.12\n"),
        (
            "exec",
            ["exec", "python", "-c", "import sys; print(sys.version_info[:2])"],
            lambda p: p.stdout.strip() == "(3, 12)",
        ),
        ("venv", ["venv", "-p", "3.12", str(project / ".venv")], lambda p: (project / ".venv/pyvenv.cfg").is_file()),
        ("upgrade", ["upgrade"], lambda p: "up to date" in p.stderr),
        ("init", ["init", "bash"], lambda p: "_shimkit_hook" in p.stdout),
        ("shell", ["shell", "3.12"], lambda p: p.returncode == 2 and "shell integration" in p.stderr),
        ("update-shell", ["update-shell", "bash"], lambda p: "# shimkit: shell integration" in p.stderr),
        ("shims", ["shims", "--help"], lambda p: "enable" in p.stdout),
        ("shims enable", ["shims", "enable"], lambda p: "wrote" in p.stderr),
        ("shims status", ["shims", "status"], lambda p: p.stdout.strip() != ""),
        ("shims disable", ["shims", "disable"], lambda p: "removed" in p.stderr),
        ("metadata", ["metadata", "--help"], lambda p: "refresh" in p.stdout),
        ("metadata show", ["metadata", "show"], lambda p: p.stdout.strip() != ""),
        (
            "metadata refresh",
            ["metadata", "refresh", "--offline"],
            lambda p: p.returncode == 1 and p.stderr.startswith("error: "),
        ),
        ("doctor", ["doctor", "--shell", "bash"], lambda p: f"shimkit {shimkit.__version__}" in p.stdout),
        ("mirror", ["mirror", "--help"], lambda p: "sync" in p.stdout),
        (
            "mirror sync",
            ["mirror", "sync", str(project / "mirror"), "3.12"],
            lambda p: p.returncode == 0 and (project / "mirror" / "SHA256SUMS").is_file(),
        ),
        ("mirror verify", ["mirror", "verify", str(project / "mirror")], lambda p: p.returncode == 0),
        ("uninstall", ["uninstall", "3.12"], lambda p: "Uninstalled cpython-3.12" in p.stderr),
    ]


def test_every_command_runs_from_the_wheel(env: Dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    run = runner(env, project)
    steps = smoke_steps(project)
    commands = visible_commands()
    missing = sorted(set(commands) - {name for name, _a, _c in steps})
    assert not missing, f"add a smoke invocation for {missing} to smoke_steps()"
    for name in commands:
        run(*name.split(), "--help")
    for _name, args, check in steps:
        proc = run(*args, ok=False)
        assert check(proc), f"shimkit {' '.join(args)} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
    # every shell's hook renders from the templates inside the wheel
    for shell in ("bash", "zsh", "fish", "sh", "ksh", "nu", "xonsh", "pwsh"):
        out = run("init", shell).stdout
        assert f"shimkit {shimkit.__version__} shell integration" in out, shell
