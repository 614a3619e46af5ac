"""`make bench` in its smallest configuration, as a user runs it: a subprocess on a stack of
its own. It checks that the run completes and reports well-formed figures, never how fast
anything was (the machine is shared; the figures are for the README, not for a verdict)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

RATIOS = ("throughput_ratio", "cpu_ratio")


def _median(stat: dict[str, float]) -> float:
    return stat["median"]


def test_two_onboardings_against_two_bare_workflows() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "starter.benchmark", "--n", "2", "--repetitions", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    report: dict[str, Any] = json.loads(lines[-1])
    assert report["bench"] == "onboarding_vs_bare"
    assert any(line.startswith("N=2 at once") for line in lines[:-1])  # the table came first
    (result,) = report["results"]
    assert result["n"] == 2
    assert result["onboardings"]["completed"] == {"min": 2, "median": 2, "max": 2}
    assert result["bare"]["completed"] == {"min": 2, "median": 2, "max": 2}
    for key in ("activities", "timers", "updates", "upserts"):
        assert _median(result["counts"][key]) > 0, key
    # The baseline did the onboarding's work: its own history shows the same counts.
    assert result["bare_counts"] == result["counts"]
    ratios = [_median(result[key]) for key in RATIOS]
    ratios.append(_median(result["round_trip_ms"]["ratio_p50"]))
    for value in ratios:
        assert isinstance(value, float) and math.isfinite(value) and value > 0, ratios
    history = result["history"]
    assert 0 < _median(history["events_pct_of_limit"]) < 100
    assert 0 < _median(history["bytes_pct_of_limit"]) < 100
