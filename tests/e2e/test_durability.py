"""An onboarding survives a killed worker and a restarted server, with no side effect twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from starter.devstack import DevStack
from tests.e2e.stack import (
    OWNER,
    admin_of,
    drive_from_enablement,
    new_tenant,
    ok,
    platform_get,
    running_stack,
    step,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e


def assert_provisioned_once(stack: DevStack, tenant: str) -> None:
    accounts = platform_get(stack, f"/v1/accounts?tenant_id={tenant}")
    assert len(accounts) == 1, accounts
    operations = [
        o["operation"] for o in platform_get(stack, f"/v1/admin/operations?tenant_id={tenant}")
    ]
    assert operations.count("create_account") == 1, operations
    users = platform_get(stack, f"/v1/tenants/{tenant}/users")
    admins = sorted(u["email"] for u in users if "admin" in u["roles"] and not u["probe"])
    assert admins == [admin_of(tenant)]


def test_worker_killed_mid_step_is_restarted_and_the_onboarding_finishes(
    tmp_path: Path,
) -> None:
    with running_stack(tmp_path / "stack") as stack:
        tenant = new_tenant("kill")
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, waiting_at("internal_readiness"))
        ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
        # Kill while the identity probes (several seconds of platform calls) are under way.
        wait_for(
            stack,
            tenant,
            lambda s: (
                s["current_step"] == "access_identity"
                and step(s, "access_identity")["status"] == "running"
            ),
        )
        stack.kill("worker")
        time.sleep(1)
        stack.start_worker()

        live = drive_from_enablement(stack, tenant)
        assert live["state"] == "live"
        identity = step(live, "access_identity")
        assert identity["status"] == "done" and identity["runs"] == 1
        assert all(c["passed"] for c in identity["checks"])
        assert_provisioned_once(stack, tenant)


def test_server_restart_on_its_sqlite_file_loses_nothing(tmp_path: Path) -> None:
    with running_stack(tmp_path / "stack") as stack:
        tenant = new_tenant("restart")
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, waiting_at("internal_readiness"))
        ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
        before = wait_for(stack, tenant, waiting_at("customer_enablement"))

        stack.stop_part("temporal")
        stack.start_temporal()

        after = wait_for(stack, tenant, waiting_at("customer_enablement"))
        for key in ("internal_readiness", "account_provisioning", "feature_enablement"):
            assert step(after, key) == step(before, key)
        live = drive_from_enablement(stack, tenant)
        assert live["go_live_at"] is not None
        assert_provisioned_once(stack, tenant)


def test_a_platform_that_stays_down_blocks_the_step_with_a_clear_reason(tmp_path: Path) -> None:
    with running_stack(tmp_path / "stack") as stack:
        stack.stop_part("sandbox")
        tenant = new_tenant("down")
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        blocked = wait_for(stack, tenant, lambda s: s["state"] == "blocked")
        record = step(blocked, "internal_readiness")
        assert record["status"] == "blocked"
        assert "could not be reached after 2 attempts" in record["blocked_reason"]
        assert f"onboard retry {tenant} internal_readiness" in record["blocked_reason"]

        stack.start_sandbox()
        ok(stack, "retry", tenant, "internal_readiness", "--as", OWNER)
        after = wait_for(stack, tenant, waiting_at("internal_readiness"))
        checks = step(after, "internal_readiness")["checks"]
        assert checks and all(c["passed"] for c in checks)
