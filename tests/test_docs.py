"""The documentation site: it builds with `mkdocs build --strict` (no warnings, every page in the
nav, every link and anchor resolving), the generated references are current, every CLI command
and every environment variable the code reads is documented, and the README opens with the two
commands that work on a fresh machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Set

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "scripts"))
from gen_cli_docs import visible_commands  # noqa: E402
from gen_config_docs import documented_names  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built strictly into a temp dir."""
    try:
        import material  # noqa: F401
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.fail("mkdocs-material is missing: pip install -e '.[docs]' (scripts/test.sh installs it)", pytrace=False)
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


@pytest.mark.parametrize("script", ["gen_cli_docs.py", "gen_config_docs.py"])
def test_generated_references_are_current(script: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_site_builds_strictly_with_every_page(site: Path) -> None:
    pages = sorted(p.relative_to(DOCS).with_suffix("").as_posix() for p in DOCS.rglob("*.md"))
    for page in pages:
        html = site / ("index.html" if page == "index" else f"{page}/index.html")
        assert html.is_file(), page


def test_every_cli_command_is_in_the_reference_and_the_guides(site: Path) -> None:
    reference = (site / "reference" / "cli" / "index.html").read_text()
    guides = "\n".join(p.read_text() for p in DOCS.glob("*.md"))
    commands = visible_commands()
    assert {"install", "uninstall", "upgrade", "list", "find", "pin", "venv", "init", "update-shell", "doctor"} <= set(
        commands
    )
    for command in commands:
        anchor = "shimkit-" + command.replace(" ", "-")
        assert f'id="{anchor}"' in reference, command
        top = command.split()[0]
        assert f"shimkit {top}" in guides, f"no guide page mentions `shimkit {top}`"
    assert "hook-resolve" not in reference  # hidden: the hooks' helper, not for people


def code_env_vars() -> Set[str]:
    """Every SHIMKIT_* variable read by the package, the hooks, the shim template or the installers."""
    names: Set[str] = set()
    pattern = re.compile(r"\b_?SHIMKIT_[A-Z0-9_]*[A-Z0-9]\b")
    files = [*(ROOT / "shimkit").rglob("*.py"), *(ROOT / "shells").glob("*.j2"), *(ROOT / "templates").glob("*.j2")]
    for f in files:
        names |= set(pattern.findall(f.read_text(encoding="utf-8")))
    names |= set(re.findall(r"\$\{(SHIMKIT_[A-Z0-9_]+)", (ROOT / "install.sh").read_text()))
    names |= set(re.findall(r"\$env:(SHIMKIT_[A-Z0-9_]+)", (ROOT / "install.ps1").read_text()))
    return names


def test_every_environment_variable_is_documented() -> None:
    page = (DOCS / "reference" / "configuration.md").read_text()
    documented = set(documented_names())
    for name in sorted(code_env_vars() | {"NO_COLOR"}):
        assert name in documented and f"`{name}`" in page, f"{name} is read by the code but not documented"


def test_readme_opens_with_the_two_fresh_machine_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```\w*\n(.*?)```", readme, re.S)
    assert first_block is not None
    before = readme[: first_block.start()]
    assert [line for line in before.splitlines() if line.strip() and not line.startswith("#")] == [], (
        "the README must open with the commands"
    )
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["sh install.sh --from . && ~/.local/bin/shimkit install 3.12", "bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_readme_links_into_the_docs_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", readme)
    assert links, "the README should link into docs/"
    for link in links:
        assert (ROOT / link).is_file(), link
    assert len(readme.splitlines()) < 80, "keep the README short; details belong in docs/"
