"""Worker versioning on the real dev server: a versioned worker gets work once its version
is made current, onboardings are AUTO_UPGRADE, and one in flight moves to the next
version when that becomes current, then goes on there."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import VersioningBehavior

from onboarding.contract import workflow_id_for
from starter.devstack import DevStack, temporal_binary
from tests.e2e.stack import (
    OWNER,
    client_of,
    new_tenant,
    ok,
    running_stack,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e

DEPLOYMENT = "onboarding"


def promote(stack: DevStack, build_id: str, timeout: float = 60) -> None:
    """`temporal worker deployment set-current-version`, once the version has pollers."""
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run(
            [
                temporal_binary(),
                "worker",
                "deployment",
                "set-current-version",
                "--address",
                stack.temporal_address,
                "--deployment-name",
                DEPLOYMENT,
                "--build-id",
                build_id,
                "--yes",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            return
        assert time.monotonic() < deadline, done.stderr
        time.sleep(1)


async def _versioning(stack: DevStack, tenant: str) -> tuple[int, str]:
    client = await client_of(stack)
    info = (await client.get_workflow_handle(workflow_id_for(tenant)).describe()).raw_description
    versioning = info.workflow_execution_info.versioning_info
    return versioning.behavior, versioning.deployment_version.build_id


def test_onboardings_auto_upgrade_to_the_current_version(tmp_path: Path) -> None:
    env = {"ONBOARDING_DEPLOYMENT_NAME": DEPLOYMENT, "ONBOARDING_BUILD_ID": "1.0.0"}
    with running_stack(tmp_path / "stack", **env) as stack:
        promote(stack, "1.0.0")
        tenant = new_tenant("versioned")
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, waiting_at("internal_readiness"))
        behaviour, build = asyncio.run(_versioning(stack, tenant))
        assert behaviour == VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE
        assert build == "1.0.0"

        # The next release rolls out beside it and makes itself current (as the
        # Kubernetes manifests do); the old one stops.
        stack.worker_env["ONBOARDING_BUILD_ID"] = "1.1.0"
        stack.worker_env["ONBOARDING_DEPLOYMENT_PROMOTE"] = "true"
        stack.start_worker("worker-1.1.0")
        deadline = time.monotonic() + 60
        while "version is current" not in stack.log_path("worker-1.1.0").read_text():
            assert time.monotonic() < deadline, "the new version never became current"
            time.sleep(0.5)
        stack.stop_part("worker")

        ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
        wait_for(stack, tenant, waiting_at("customer_enablement"))
        assert asyncio.run(_versioning(stack, tenant))[1] == "1.1.0"
