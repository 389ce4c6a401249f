"""Shared fixtures: real interpreters packaged as PBS archives, a loopback mirror, an isolated CLI env.

Expensive things are session-scoped (one per xdist worker); archive builds are cached across runs
under ``$SHIMKIT_TEST_CACHE`` (default ``~/.cache/shimkit-tests``), see ``support/pbs.py``.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import httpx
import pytest
from support import cli, pbs
from support.mirror import Mirror, start_mirror
from support.server import LoopbackServer

# Versions the suite's upgrade and selection tests are written against: two patch releases of
# one minor (3.11.2 from Debian's python3.11, 3.11.7 from pyenv) and a 3.12.
REQUIRED_VERSIONS = ("3.11.2", "3.11.7")
REQUIRED_MINORS = ("3.12",)


@pytest.fixture(scope="session")
def real_sources() -> List[pbs.InterpreterSource]:
    """Every real CPython found here (see ``pbs.find_sources``); fails, never skips, when the
    interpreters the suite relies on are missing."""
    sources = pbs.find_sources()
    versions = {s.version for s in sources}
    minors = {f"{s.major}.{s.minor}" for s in sources}
    missing = [v for v in REQUIRED_VERSIONS if v not in versions]
    missing += [f"any {m}.x" for m in REQUIRED_MINORS if m not in minors]
    if missing:
        pytest.fail(
            f"real interpreters missing: {', '.join(missing)} (found {sorted(versions) or 'none'}).\n"
            "The suite needs Debian's python3.11 (apt-get install python3.11 -> 3.11.2), and pyenv "
            "builds 3.11.7 and 3.12.x under $PYENV_ROOT/versions (pyenv install 3.11.7 3.12.1; "
            "shared builds want PYTHON_CONFIGURE_OPTS=--enable-shared).",
            pytrace=False,
        )
    return sources


def _one_per_version(sources: List[pbs.InterpreterSource]) -> List[pbs.InterpreterSource]:
    chosen: Dict[str, pbs.InterpreterSource] = {}
    for s in sources:  # find_sources() order: the first source of a version wins
        chosen.setdefault(s.version, s)
    return list(chosen.values())


@pytest.fixture(scope="session")
def pbs_archives(
    real_sources: List[pbs.InterpreterSource], tmp_path_factory: pytest.TempPathFactory
) -> Dict[str, pbs.BuiltArchive]:
    """version string -> tar.gz install_only archive, one per real interpreter (cached builds).

    Treat the files as read-only: the mirror serves them.  Copy one before damaging it."""
    out = tmp_path_factory.mktemp("pbs")
    built = pbs.build_archives(_one_per_version(real_sources), out)
    return {a.version: a for a in built}


@pytest.fixture(scope="session")
def make_pbs_archive(
    real_sources: List[pbs.InterpreterSource], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., pbs.BuiltArchive]:
    """Factory: ``make_pbs_archive("3.12.1", fmt="tar.zst", layout="python/install", build=...,
    name=...)`` builds (cached) an archive of that real interpreter into a fresh directory."""
    by_version = {s.version: s for s in _one_per_version(real_sources)}

    def make(version: str, **kwargs: object) -> pbs.BuiltArchive:
        if version not in by_version:
            raise KeyError(f"no real interpreter {version}; have {sorted(by_version)}")
        return pbs.build_archive(by_version[version], tmp_path_factory.mktemp("pbs-custom"), **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def _mirror_session(
    pbs_archives: Dict[str, pbs.BuiltArchive], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mirror]:
    mirror = start_mirror(pbs_archives, tmp_path_factory.mktemp("mirror"))
    yield mirror
    mirror.server.stop()


@pytest.fixture
def mirror(_mirror_session: Mirror) -> Iterator[Mirror]:
    """The session's loopback mirror of ``pbs_archives``, reset (no faults, empty request log,
    original content) before and after each test.

    ``mirror.url``, ``mirror.downloads_json_url``, ``mirror.downloads_json_path`` (local copy),
    ``mirror.upstream_downloads_json_path`` (github URLs, for ``--mirror`` tests),
    ``mirror.server`` (fault controls), ``mirror.archive_path(archive)`` (URL path for faults).
    """
    _mirror_session.reset()
    yield _mirror_session
    _mirror_session.reset()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """An httpx client for talking to loopback servers in tests.  One per test (module-level
    ``httpx.get`` builds a client and a TLS context per call); ``trust_env=False`` so a developer's
    HTTP(S)_PROXY cannot capture 127.0.0.1 traffic."""
    with httpx.Client(timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture
def loopback_server(tmp_path: Path) -> Iterator[LoopbackServer]:
    """A fresh server for one test, serving ``tmp_path / "www"`` (created empty)."""
    root = tmp_path / "www"
    root.mkdir()
    with LoopbackServer(root) as server:
        yield server


@pytest.fixture
def shimkit_env(tmp_path: Path, mirror: Mirror) -> Dict[str, str]:
    """Environment for running ``shimkit`` in isolation (see ``support.cli.isolated_env``), with
    ``SHIMKIT_PYTHON_DOWNLOADS_JSON_URL`` pointing at the mirror's downloads.json."""
    return cli.isolated_env(tmp_path, downloads_json_url=mirror.downloads_json_url)


@pytest.fixture
def run_shimkit(shimkit_env: Dict[str, str], tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_shimkit(*args, env=shimkit_env, cwd=tmp_path, check=False)`` -> CompletedProcess (text)."""
    return functools.partial(cli.run_shimkit, env=shimkit_env, cwd=tmp_path)
