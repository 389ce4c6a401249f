"""kill -9 of ``install``, ``upgrade`` and ``uninstall`` at random moments.

Each test runs ``SHIMKIT_KILL_TRIALS`` trials (default 50) with a seeded RNG
(``SHIMKIT_KILL_SEED``, default below; the seed is printed) inside a time budget
(``SHIMKIT_KILL_BUDGET`` seconds).  One trial: make the start state, start the command, SIGKILL
its process group after a random delay drawn from the window the command was measured to take,
check the store invariants (see ``relkit.store_problems``), run the next command, which must
succeed, and check every invariant again.
"""

from __future__ import annotations

import os
from typing import Callable, Dict, List

import pytest
from relkit import KillPlan, Shimkit, Templates, run_kill_trials
from slim import Manifest

TRIALS = int(os.environ.get("SHIMKIT_KILL_TRIALS", "50"))
SEED = int(os.environ.get("SHIMKIT_KILL_SEED", "20261123"))
BUDGET = float(os.environ.get("SHIMKIT_KILL_BUDGET", "420"))

pytestmark = pytest.mark.timeout(BUDGET + 180)


def _run(sk: Shimkit, plan: KillPlan, manifests: Dict[str, Manifest], seed: int, report: Callable[[str], None]) -> None:
    result = run_kill_trials(sk, plan, manifests, trials=TRIALS, seed=seed, budget=BUDGET)
    report(result.summary())
    assert result.trials >= TRIALS and not result.failures, result.summary() + "\n" + "\n".join(result.failures[:40])


def test_kill_install(sk: Shimkit, templates: Templates, manifests: Dict[str, Manifest], slim_versions, report) -> None:
    old, new, _v312, _other = slim_versions
    # Even trials install into an empty store (the link and bin entry are created); odd ones
    # next to the older patch (the link moves).
    plan = KillPlan(
        "install",
        setup=lambda i: templates.reset(sk, [] if i % 2 == 0 else [old]),
        args=lambda i: ["install", new],
        after=lambda i: ["install", new],
    )
    _run(sk, plan, manifests, SEED, report)


def test_kill_upgrade(sk: Shimkit, templates: Templates, manifests: Dict[str, Manifest], slim_versions, report) -> None:
    old, _new, v312, _other = slim_versions
    # The 3.12 installation is up to date and must come through untouched.
    plan = KillPlan(
        "upgrade",
        setup=lambda i: templates.reset(sk, [old, v312]),
        args=lambda i: ["upgrade"] if i % 2 == 0 else ["upgrade", old.rsplit(".", 1)[0]],
        after=lambda i: ["upgrade"],
    )
    _run(sk, plan, manifests, SEED + 1, report)


def test_kill_uninstall(
    sk: Shimkit, templates: Templates, manifests: Dict[str, Manifest], slim_versions, report
) -> None:
    old, new, _v312, _other = slim_versions
    minor = old.rsplit(".", 1)[0]
    # Even trials remove the linked patch (the link moves back to the older one); odd ones remove
    # the whole minor version (bin entries, link and both installations go).  The next command
    # installs both again, which is also the next trial's start state.
    both: List[str] = [old, new]

    def setup(i: int) -> None:
        if i == 0:
            templates.reset(sk, both)

    plan = KillPlan(
        "uninstall",
        setup=setup,
        args=lambda i: ["uninstall", new] if i % 2 == 0 else ["uninstall", minor],
        after=lambda i: ["install", *both],
    )
    _run(sk, plan, manifests, SEED + 2, report)
