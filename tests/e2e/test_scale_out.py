"""Several workers on one task queue share a batch of onboardings, and one of them
killed mid-batch loses nothing: every onboarding goes live, each provisioned once."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from starter.scale import start_workers
from tests.conftest import EXAMPLES
from tests.e2e.stack import (
    OWNER,
    drive_to_live,
    new_tenant,
    ok,
    running_stack,
    status_json,
    step,
    wait_for,
    write_contract,
)
from tests.e2e.test_durability import assert_provisioned_once

pytestmark = pytest.mark.e2e

BATCH = 4
CONTRACT = yaml.safe_load((EXAMPLES / "contract.yaml").read_text())["contract"]
LIGHT = {**CONTRACT, "api_rate_limit_per_minute": 60}
"""The rate-limit check bursts the contracted rate: 60 keeps the batch light on 2 cores."""


def _worked_on(log: Path, tenants: list[str]) -> set[str]:
    """The batch's tenants whose activities this worker's log shows it ran."""
    seen = set()
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        workflow = str(entry.get("workflow_id", ""))
        seen |= {t for t in tenants if workflow == f"onboarding-{t}"}
    return seen


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path: Path) -> None:
    with running_stack(tmp_path / "stack") as stack:
        parts = start_workers(stack, 3)
        tenants = [new_tenant("scale") for _ in range(BATCH)]
        for tenant in tenants:
            contract = write_contract(tmp_path, tenant, contract=LIGHT)
            ok(stack, "start", str(contract), "--as", OWNER)

        with ThreadPoolExecutor(BATCH) as pool:
            driven = [pool.submit(drive_to_live, stack, t) for t in tenants]
            # Kill one worker once the batch is past its first gate and checking.
            wait_for(
                stack,
                tenants[0],
                lambda s: s["current_step"] not in ("pre_onboarding", "internal_readiness"),
                timeout=120,
            )
            victim = parts[1]
            # ... and once the victim has work of the batch (on a busy machine the others
            # may have taken it all so far): killing an idle worker would prove nothing.
            deadline = time.monotonic() + 120
            while not _worked_on(stack.log_path(victim), tenants):
                assert time.monotonic() < deadline, "the victim worker never got work"
                time.sleep(0.2)
            stack.kill(victim)
            lives = [future.result(timeout=300) for future in driven]

        assert _worked_on(stack.log_path(victim), tenants), "the killed worker had no work"
        for tenant, live in zip(tenants, lives, strict=True):
            assert live["state"] == "live", live
            assert all(
                step(live, key)["status"] == "done"
                for key in ("account_provisioning", "access_identity", "environment_validation")
            )
            assert_provisioned_once(stack, tenant)
        assert all(status_json(stack, t)["go_live_at"] for t in tenants)
