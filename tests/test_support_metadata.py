"""Download metadata, the session mirror and the isolated CLI environment."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from support import cli, metadata

# The fields of one entry in the project's python-downloads.json.
ENTRY_FIELDS = {
    "name",
    "arch",
    "os",
    "libc",
    "major",
    "minor",
    "patch",
    "prerelease",
    "url",
    "sha256",
    "variant",
    "build",
}


def _v312(archives):
    return next(v for v in archives if v.startswith("3.12."))


def test_entry_has_the_shared_shape(pbs_archives):
    archive = pbs_archives["3.11.7"]
    key, entry = metadata.entry_for(archive, "http://127.0.0.1:1/m/")
    assert set(entry) == ENTRY_FIELDS
    assert key == f"cpython-3.11.7-linux-{archive.arch}-gnu" == archive.key
    assert entry["arch"] == {"family": archive.arch, "variant": None}
    assert (entry["major"], entry["minor"], entry["patch"], entry["prerelease"]) == (3, 11, 7, "")
    assert entry["url"] == (
        f"http://127.0.0.1:1/m/20990101/cpython-3.11.7%2B20990101-{archive.arch}-unknown-linux-gnu-install_only.tar.gz"
    )
    assert (entry["sha256"], entry["variant"], entry["build"], entry["os"], entry["libc"], entry["name"]) == (
        archive.sha256,
        None,
        "20990101",
        "linux",
        "gnu",
        "cpython",
    )
    assert (
        metadata.key_for(
            {**entry, "prerelease": "rc1", "variant": "freethreaded", "arch": {"family": "x86_64", "variant": "v3"}}
        )
        == "cpython-3.11.7rc1+freethreaded-linux-x86_64_v3-gnu"
    )


def test_write_downloads_json_with_overrides(pbs_archives, tmp_path):
    path = tmp_path / "d" / "downloads.json"
    v312 = _v312(pbs_archives)
    doc = metadata.write_downloads_json(
        path,
        pbs_archives.values(),
        "http://127.0.0.1:1",
        overrides={
            v312: {"sha256": "0" * 64},
            "3.11.2": {"patch": 9},  # relabel: the 3.11.2 archive claims to be 3.11.9
            "3.11.7": {"sha256": metadata.DELETE},
        },
    )
    assert json.loads(path.read_text()) == doc
    arch = pbs_archives["3.11.2"].arch
    assert doc[f"cpython-{v312}-linux-{arch}-gnu"]["sha256"] == "0" * 64
    assert f"cpython-3.11.2-linux-{arch}-gnu" not in doc
    relabeled = doc[f"cpython-3.11.9-linux-{arch}-gnu"]
    assert relabeled["patch"] == 9 and relabeled["url"].endswith(
        "cpython-3.11.2%2B20990101-" + arch + "-unknown-linux-gnu-install_only.tar.gz"
    )
    assert "sha256" not in doc[f"cpython-3.11.7-linux-{arch}-gnu"]
    versions = [(e["major"], e["minor"], e["patch"]) for e in doc.values()]
    assert versions == sorted(versions, reverse=True)  # newest first, like upstream
    with pytest.raises(KeyError, match=r"3\.99\.0"):
        metadata.downloads_document(pbs_archives.values(), "http://x", overrides={"3.99.0": {"patch": 1}})


def test_mirror_serves_every_archive_its_json_describes(mirror, pbs_archives, http):
    served = http.get(mirror.downloads_json_url).content
    assert served == mirror.downloads_json_path.read_bytes()
    doc = json.loads(served)
    assert {e["sha256"] for e in doc.values()} == {a.sha256 for a in pbs_archives.values()}
    for entry in doc.values():
        assert entry["url"].startswith(mirror.url + "/" + entry["build"] + "/")
        body = http.get(entry["url"]).content
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    assert len(mirror.server.requests) == len(doc) + 1


def test_upstream_json_maps_onto_the_mirror_by_prefix(mirror):
    upstream = json.loads(mirror.upstream_downloads_json_path.read_text())
    local = json.loads(mirror.downloads_json_path.read_text())
    assert upstream.keys() == local.keys()
    for key, entry in upstream.items():
        assert entry["url"].startswith(metadata.UPSTREAM_BASE_URL + "/")
        assert entry["url"].replace(metadata.UPSTREAM_BASE_URL, mirror.url, 1) == local[key]["url"]


def test_mirror_reset_restores_the_session_state(mirror, pbs_archives, make_pbs_archive, http):
    v312 = _v312(pbs_archives)
    archive = pbs_archives[v312]
    mirror.server.status(mirror.archive_path(archive), 404)
    extra = make_pbs_archive(v312, build="20300101")
    extra_url = mirror.add_archive(extra)
    mirror.publish(overrides={v312: {"sha256": "f" * 64}})
    assert http.get(mirror.archive_url(archive)).status_code == 404
    assert http.get(extra_url).status_code == 200
    assert "f" * 64 in http.get(mirror.downloads_json_url).text

    mirror.reset()
    assert mirror.server.faults() == {} and mirror.server.requests == []
    assert http.head(mirror.archive_url(archive)).status_code == 200
    assert http.head(extra_url).status_code == 404
    assert http.get(mirror.downloads_json_url).content == mirror.downloads_json_path.read_bytes()


@pytest.mark.parametrize("round_", [1, 2])
def test_mirror_fixture_starts_each_test_clean(mirror, round_, http):
    # Both rounds leave a fault and log entries behind; the fixture must clear them in between
    # (when both rounds run in one worker, the second one checks the first one's leftovers).
    assert mirror.server.faults() == {} and mirror.server.requests == []
    mirror.server.status("/downloads.json", 500)
    assert http.get(mirror.downloads_json_url).status_code == 500


def test_isolated_env_leaks_nothing_from_the_developer_shell(tmp_path, monkeypatch):
    for name, value in [
        ("PYTHONPATH", "/nope"),
        ("PYTHONHOME", "/nope"),
        ("VIRTUAL_ENV", "/nope"),
        ("PYENV_VERSION", "3.9"),
        ("PYENV_ROOT", "/nope"),
        ("SHIMKIT_BIN_DIR", "/nope"),
        ("XDG_DATA_HOME", "/nope"),
    ]:
        monkeypatch.setenv(name, value)
    env = cli.isolated_env(tmp_path, downloads_json_url="http://127.0.0.1:9/downloads.json")
    assert not [k for k in env if k.startswith(("PYTHON", "PYENV", "VIRTUAL_ENV", "CONDA"))]
    for name in (
        "HOME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_BIN_HOME",
        "SHIMKIT_PYTHON_INSTALL_DIR",
        "SHIMKIT_BIN_DIR",
    ):
        assert env[name].startswith(str(tmp_path) + os.sep), name
    assert env["SHIMKIT_PYTHON_DOWNLOADS_JSON_URL"] == "http://127.0.0.1:9/downloads.json"
    assert env["PATH"].split(os.pathsep) == [os.path.dirname(sys.executable), "/usr/bin", "/bin"]
    # A child sees exactly that: the venv's python first on PATH, HOME under tmp_path.
    out = subprocess.run(
        ["/bin/sh", "-c", 'command -v python; echo "$HOME"; echo "${PYTHONPATH-unset}"'],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [os.path.join(os.path.dirname(sys.executable), "python"), env["HOME"], "unset"]


def test_shimkit_env_points_at_the_mirror(shimkit_env, mirror, tmp_path):
    assert shimkit_env["SHIMKIT_PYTHON_DOWNLOADS_JSON_URL"] == mirror.downloads_json_url
    assert shimkit_env["HOME"] == str(tmp_path / "home")
