"""Fixtures for the shell-hook and shim tests (the helpers behind them live in shell_harness.py).

``fake_store``: a managed install dir whose installations are virtual environments of real
interpreters, laid out as shimkit lays out real ones (``cpython-3.12.1-<host>/bin/python``) with
real minor-version links (``cpython-3.12-<host> -> cpython-3.12.1-<host>``); a venv's
``sys.prefix`` tells which directory ``python`` ran from (through the link or not).  Its path
holds a space, quotes, ``$`` and non-ASCII characters on purpose.  The end-to-end test with a
real installed-from-archive interpreter uses the ``mirror`` fixture of tests/conftest.py instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shell_harness import NASTY, FakeStore, Projects, make_projects, make_store


@pytest.fixture(scope="session")
def fake_store(tmp_path_factory: pytest.TempPathFactory) -> FakeStore:
    # no "$NAME" here: shimkit expands variables in SHIMKIT_PYTHON_INSTALL_DIR (settings.py)
    return make_store(tmp_path_factory.mktemp("store") / "installs dir with space 'q' \"dq\" $ é")


@pytest.fixture
def projects(tmp_path: Path) -> Projects:
    return make_projects(tmp_path / f"projects {NASTY}")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / f"home {NASTY}"
    h.mkdir()
    return h
