"""Fixtures of the reliability tier (faults, concurrency, hostile input).

Every test under ``tests/reliability/`` gets the ``reliability`` marker, so the tier runs with
plain ``pytest`` (as CI runs it) and can be selected or left out with ``-m reliability`` /
``-m "not reliability"``.

Installs here use *slim* archives of the real interpreters (see ``slim.py``) from a loopback
mirror of their own, so that hundreds of installs fit in CI's time budget.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import pytest
from relkit import Shimkit, Templates, key
from slim import Manifest, build_slim
from support import pbs
from support.mirror import Mirror, start_mirror

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def report(record_property: Callable[[str, object], None]) -> Callable[[str], None]:
    """``report(text)``: put a result line (e.g. '50 trials, 0 failures') into pytest's terminal
    summary, the junit XML properties and stderr."""

    def emit(text: str) -> None:
        record_property("reliability", text)
        os.write(2, f"\n[reliability] {text}\n".encode())
        try:
            # a plain UserWarning: pytest-xdist re-creates warnings in the controller by importing
            # their class's module, which a test-local module is not importable from
            warnings.warn(f"[reliability] {text}", UserWarning, stacklevel=2)
        except UserWarning:  # a `-W error` run: the line is in stderr and the XML already
            pass

    return emit


@pytest.fixture(scope="session")
def slim_versions(real_sources: List[pbs.InterpreterSource]) -> Tuple[str, str, str, str]:
    """(old 3.11 patch, new 3.11 patch, a 3.12, one more minor) — real interpreters found here."""
    versions = {s.version: s for s in real_sources}
    v312 = max((v for v in versions if v.startswith("3.12.")), key=lambda v: versions[v].version_info)
    others = sorted(
        (s for s in versions.values() if (s.major, s.minor) not in ((3, 11), (3, 12))), key=lambda s: s.version_info
    )
    if not others:
        pytest.fail(
            "the reliability tier needs a fourth real interpreter besides 3.11.2, 3.11.7 and 3.12 "
            "(any other minor version, e.g. pyenv install 3.13.0)",
            pytrace=False,
        )
    return "3.11.2", "3.11.7", v312, others[-1].version


@pytest.fixture(scope="session")
def slim_archives(
    pbs_archives: Dict[str, pbs.BuiltArchive], slim_versions: Tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, Tuple[pbs.BuiltArchive, Manifest]]:
    out = tmp_path_factory.mktemp("slim")
    return {v: build_slim(pbs_archives[v], out) for v in slim_versions}


@pytest.fixture(scope="session")
def _slim_mirror(
    slim_archives: Dict[str, Tuple[pbs.BuiltArchive, Manifest]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mirror]:
    mirror = start_mirror({v: a for v, (a, _m) in slim_archives.items()}, tmp_path_factory.mktemp("slim-mirror"))
    yield mirror
    mirror.server.stop()


@pytest.fixture
def slim_mirror(_slim_mirror: Mirror) -> Iterator[Mirror]:
    """A loopback mirror of the slim archives, reset (no faults, empty log) around each test."""
    _slim_mirror.reset()
    yield _slim_mirror
    _slim_mirror.reset()


@pytest.fixture(scope="session")
def templates(
    slim_archives: Dict[str, Tuple[pbs.BuiltArchive, Manifest]], tmp_path_factory: pytest.TempPathFactory
) -> Templates:
    base = tmp_path_factory.mktemp("templates")
    trees = {v: pbs.extract(a.path, base / v) for v, (a, _m) in slim_archives.items()}
    return Templates(trees, {key(v): m for v, (_a, m) in slim_archives.items()})


@pytest.fixture
def manifests(templates: Templates) -> Dict[str, Manifest]:
    return templates.manifests


@pytest.fixture
def sk(tmp_path: Path, slim_mirror: Mirror) -> Shimkit:
    """An isolated shimkit user whose downloads come from the slim mirror."""
    return Shimkit.create(tmp_path / "user", slim_mirror.downloads_json_url)
