"""Network faults from the loopback server, each under ``install`` and under ``upgrade``.

``tests/test_install.py`` checks the error message of each fault once, for ``install``.  Here
every fault is also run under ``upgrade`` (where an installation and its link and bin entry
already exist and must come through untouched), the request count shows the retry policy the
docs state (``shimkit.fetch``: resets, short bodies, timeouts and 5xx are retried with backoff up
to ``SHIMKIT_HTTP_RETRIES`` more times; 404, a wrong checksum and redirect loops fail at once),
and after every failure nothing is left in ``.temp/`` or the install dir.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional

import pytest
from relkit import Shimkit, Templates, key, one_line_error, state, store_problems, temp_entries
from slim import Manifest
from support.mirror import Mirror


@dataclass(frozen=True)
class Fault:
    apply: Callable[[Mirror, str, int], None]  # (mirror, archive URL path, archive size)
    env: Dict[str, str]
    message: str  # in the error line
    requests: int  # archive requests the command makes (first attempt + retries)
    succeeds: bool = False
    max_seconds: float = 60


FAULTS: Dict[str, Fault] = {
    "reset-mid-body": Fault(
        lambda m, p, n: m.server.reset(p, after=n // 2), {"SHIMKIT_HTTP_RETRIES": "1"}, "after 2 attempts", 2
    ),
    "short-body": Fault(
        lambda m, p, n: m.server.truncate(p, n // 3), {"SHIMKIT_HTTP_RETRIES": "2"}, "after 3 attempts", 3
    ),
    "slow-headers-timeout": Fault(
        lambda m, p, n: m.server.slow(p, 4.0),
        {"SHIMKIT_HTTP_TIMEOUT": "0.5", "SHIMKIT_HTTP_RETRIES": "1"},
        "timed out",
        2,
        max_seconds=30,
    ),
    "stalled-body-timeout": Fault(
        lambda m, p, n: m.server.slow(p, 3.0, chunk=256 * 1024),
        {"SHIMKIT_HTTP_TIMEOUT": "0.5", "SHIMKIT_HTTP_RETRIES": "0"},
        "timed out",
        1,
        max_seconds=30,
    ),
    "500-then-success": Fault(lambda m, p, n: m.server.fail_times(p, 2, status=500), {}, "", 3, succeeds=True),
    "503-beyond-the-retry-limit": Fault(
        lambda m, p, n: m.server.fail_times(p, 5, status=503), {"SHIMKIT_HTTP_RETRIES": "3"}, "after 4 attempts", 4
    ),
    "500-forever": Fault(lambda m, p, n: m.server.status(p, 500), {"SHIMKIT_HTTP_RETRIES": "2"}, "after 3 attempts", 3),
    "404": Fault(lambda m, p, n: m.server.status(p, 404), {}, "HTTP 404", 1),
    "redirect-loop": Fault(lambda m, p, n: m.server.redirect_loop(p), {}, "redirect", 0),
    "wrong-checksum": Fault(lambda m, p, n: None, {}, "checksum mismatch", 1),
}


@pytest.mark.parametrize("command", ["install", "upgrade"])
@pytest.mark.parametrize("fault_id", list(FAULTS))
def test_fault(
    fault_id: str,
    command: str,
    sk: Shimkit,
    templates: Templates,
    slim_mirror: Mirror,
    manifests: Dict[str, Manifest],
    slim_versions,
) -> None:
    fault = FAULTS[fault_id]
    old, new, _v312, _other = slim_versions
    archive = slim_mirror.archives[new]
    path = slim_mirror.archive_path(archive)
    if fault_id == "wrong-checksum":
        slim_mirror.publish(overrides={new: {"sha256": "0" * 64}})
    fault.apply(slim_mirror, path, archive.size)
    if command == "upgrade":
        templates.reset(sk, [old])
        args = ["upgrade"]
    else:
        args = ["install", new]
    before = state(sk)
    started = time.monotonic()
    proc = sk.run(*args, env={**sk.env, **fault.env})
    seconds = time.monotonic() - started
    hits = slim_mirror.server.count(path, "GET")
    assert seconds < fault.max_seconds, f"{fault_id} took {seconds:.1f}s"
    if fault.succeeds:
        assert proc.returncode == 0, proc.stderr
        assert "retrying" in proc.stderr
        assert hits == fault.requests
        assert (sk.installs / key(new)).is_dir()
    else:
        one_line_error(proc, fault.message)
        if fault_id == "redirect-loop":
            assert 2 <= hits <= 30, f"{hits} requests: the redirect loop must be cut short, and not retried"
        else:
            assert hits == fault.requests, f"{hits} archive requests, expected {fault.requests}"
        # Nothing left behind, and what was there before is untouched.
        assert state(sk) == before
    assert temp_entries(sk) == []
    assert store_problems(sk, manifests, settled=True) == []


@pytest.mark.parametrize(
    ("fault_id", "message", "requests"),
    [("500-forever", "after 3 attempts", 3), ("404", "HTTP 404", 1), ("garbage", "", 1), ("reset", "", 3)],
)
def test_downloads_json_faults(
    fault_id: str, message: str, requests: int, sk: Shimkit, slim_mirror: Mirror, slim_versions
) -> None:
    """The download list itself fails: a clear error before anything is created."""
    _old, new, _v312, _other = slim_versions
    path = "/downloads.json"
    env = {**sk.env, "SHIMKIT_HTTP_RETRIES": "2"}
    if fault_id == "500-forever":
        slim_mirror.server.status(path, 500)
    elif fault_id == "404":
        slim_mirror.server.status(path, 404)
    elif fault_id == "garbage":
        slim_mirror.server.add(path, b"{ this is not json", content_type="application/json")
    else:
        slim_mirror.server.reset(path, after=10)
    proc = sk.run("install", new, env=env)
    err: Optional[str] = None
    err = one_line_error(proc, message, code=proc.returncode)
    assert proc.returncode in (1, 2), err
    assert "downloads.json" in err or "download" in err.lower(), err
    assert slim_mirror.server.count(path, "GET") == requests
    assert not [r for r in slim_mirror.server.requests if r.path.endswith(".tar.gz")]
    assert state(sk) == {}
    assert temp_entries(sk) == []
