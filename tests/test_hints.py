"""A hint is printed only when following it would work: `shimkit install X` only when the download
list has X for this platform, `shimkit metadata refresh` only when no override list is in force,
and a request no Python can satisfy is told what to ask for instead of every accepted form."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import run_shimkit


def run(env: dict, *args: str):
    return run_shimkit(*args, env=env, cwd=Path(env["HOME"]))


def one_line_error(proc) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.fixture
def without_39(shimkit_env: dict, mirror) -> dict:
    """The served download list has no 3.9; shimkit has fetched (and cached) it once."""
    mirror.publish(archives=[a for v, a in mirror.archives.items() if not v.startswith("3.9.")])
    listed = run(shimkit_env, "list", "--only-downloads")
    assert listed.returncode == 0, listed.stderr
    assert "3.10." in listed.stdout and "3.9." not in listed.stdout
    return shimkit_env


def test_find_does_not_suggest_installing_what_has_no_download(without_39: dict, mirror) -> None:
    line = one_line_error(run(without_39, "find", "3.9"))
    assert line.startswith("error: no Python interpreter satisfies 3.9; hint: ")
    assert "shimkit install" not in line
    assert "no download matches 3.9 in the override download list" in line
    # and never asks the network to decide: the cached copy of the list answers
    requests = len(mirror.server.requests)
    run(without_39, "find", "3.9")
    assert len(mirror.server.requests) == requests


def test_find_still_suggests_installing_what_can_be_installed(without_39: dict) -> None:
    line = one_line_error(run(without_39, "find", "3.10"))
    assert line == "error: no Python interpreter satisfies 3.10; hint: install it with `shimkit install 3.10`"


def test_a_local_override_list_is_read_too(shimkit_env: dict, mirror, tmp_path: Path) -> None:
    doc = mirror.publish(archives=[a for v, a in mirror.archives.items() if not v.startswith("3.9.")])
    local = tmp_path / "downloads.json"
    import json

    local.write_text(json.dumps(doc))
    env = {**shimkit_env, "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL": str(local)}
    assert "shimkit install" not in one_line_error(run(env, "find", "3.9"))


def test_no_metadata_refresh_hint_while_an_override_list_is_in_force(shimkit_env: dict, mirror) -> None:
    line = one_line_error(run(shimkit_env, "install", "3.8"))  # the mirror has no 3.8
    assert "no download matches 3.8 in the override download list" in line
    assert "metadata refresh" not in line
    assert f"the list in force is {mirror.downloads_json_url}" in line
    assert "shimkit list --only-downloads" in line


def test_embedded_list_hints_at_refresh_not_at_installing(shimkit_env: dict) -> None:
    env = {k: v for k, v in shimkit_env.items() if k != "SHIMKIT_PYTHON_DOWNLOADS_JSON_URL"}
    env["SHIMKIT_OFFLINE"] = "1"  # the embedded list, and nothing fetched
    line = one_line_error(run(env, "find", "3.99"))
    assert "shimkit install" not in line
    assert "no download matches 3.99 in the embedded download list" in line
    assert "`shimkit metadata refresh` fetches newer releases" in line


@pytest.mark.parametrize(
    ("request_text", "hint"),
    [
        ("3.4", "ask for 3.6 or newer (e.g. 3.12)"),
        ("3.5.9", "ask for 3.6 or newer (e.g. 3.12)"),
        ("2.6", "ask for 2.7, or 3.6 or newer (e.g. 3.12)"),
        ("3.12t", "ask for 3.12 (the regular build) or for 3.13t or newer"),
    ],
)
@pytest.mark.parametrize("command", ["find", "install"])
def test_an_unsupported_version_gets_a_hint_that_fits(
    shimkit_env: dict, command: str, request_text: str, hint: str
) -> None:
    line = one_line_error(run(shimkit_env, command, request_text))
    assert line.endswith(f"; hint: {hint}")
    assert "accepted forms" not in line


def test_a_malformed_request_still_lists_the_accepted_forms(shimkit_env: dict) -> None:
    assert "; hint: accepted forms: 3, 3.12" in one_line_error(run(shimkit_env, "find", "3.x"))
