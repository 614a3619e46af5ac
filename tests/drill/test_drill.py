"""`python -m starter.drill --quick`: a worker killed mid-step, the dev server restarted and
duplicate and early inputs, on a real embedded stack, end with every onboarding live and
every side effect once. Run as ops run it, as a subprocess; its JSON line is the verdict."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

N = 2


def test_quick_drill_ends_live_with_each_side_effect_once() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "starter.drill", "--quick", "--n", str(N)],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("{"))
    figures = json.loads(line)

    assert figures["n"] == N and figures["live"] == N
    for key in ("accounts_exactly_one", "admin_sets_exactly_one", "flag_sets_exactly_one"):
        assert figures[key] == N, key
    assert figures["chains_verified"] == N
    assert figures["duplicate_entries"] == 0
    assert figures["notifications_sent_twice"] == 0
    assert figures["notifications_sent"] >= N  # deliveries were seen, so none twice means it
    assert figures["workflow_task_failures"] == 0
    assert figures["early_inputs_accepted"] == 0
    assert figures["histories"] >= N

    faults = {f["fault"]: f for f in figures["faults"]}
    assert set(faults) == {"worker_kill_1", "server_restart", "inputs"}
    assert all(f["in_flight"] >= 1 for f in faults.values())
    assert faults["inputs"]["in_flight"] == N  # held at go-live until the faults are over
