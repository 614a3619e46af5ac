"""Every platform fault blocks the onboarding at the right step and check; after the fault is
cleared, `onboard retry` passes and the onboarding goes on. Real stack, real CLI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from starter.devstack import DevStack
from tests.e2e.stack import (
    OWNER,
    give_enablement_evidence,
    new_tenant,
    ok,
    status_json,
    step,
    write_contract,
)

pytestmark = pytest.mark.e2e

# fault -> (step it blocks, check that catches it), as in the README's fault table.
FAULTS = {
    "production_incident": ("internal_readiness", "production_stability"),
    "capacity_exhausted": ("internal_readiness", "capacity"),
    "account_exists": ("account_provisioning", "no_shared_account"),
    "security_defaults_weakened": ("account_provisioning", "security_defaults"),
    "admin_login_broken": ("access_identity", "admin_auth"),
    "viewer_can_admin": ("access_identity", "rbac_matrix"),
    "tampered_token_accepted": ("access_identity", "token_behaviour"),
    "logout_does_not_revoke": ("access_identity", "logout_revokes"),
    "session_never_expires": ("access_identity", "session_expiry"),
    "health_failing": ("environment_validation", "api_health"),
    "db_unreachable": ("environment_validation", "db_connectivity"),
    "rate_limit_mismatch": ("environment_validation", "rate_limit"),
    "logging_dropped": ("environment_validation", "logging_visibility"),
    "hidden_feature_enabled": ("feature_enablement", "contracted_features_only"),
    "feature_not_visible": ("feature_enablement", "ui_visibility"),
    "critical_flow_broken": ("feature_enablement", "critical_flows"),
    "monitoring_missing": ("go_live", "monitoring"),
}


def advance_until_blocked_or(
    stack: DevStack, tenant: str, done: Any, timeout: float = 90
) -> dict[str, Any]:
    """Give the human inputs the onboarding waits for, until it blocks or ``done`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = status_json(stack, tenant)
        if status["state"] == "blocked" or done(status):
            return status
        current = status["current_step"]
        if current and step(status, current)["status"] == "waiting":
            if current == "internal_readiness" and status["owner"] is None:
                ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
            elif current == "customer_enablement":
                give_enablement_evidence(stack, tenant)
        time.sleep(0.25)
    raise AssertionError(f"{tenant} neither blocked nor done: {status}")


def passed(record: dict[str, Any]) -> bool:
    """The step's machine checks passed: it is done, or (go-live) waits for people."""
    checks_ok = bool(record["checks"]) and all(c["passed"] for c in record["checks"])
    return record["status"] == "done" or (record["status"] == "waiting" and checks_ok)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_blocks_its_step_until_cleared_and_retried(
    stack: DevStack, tmp_path: Path, fault: str
) -> None:
    blocked_step, failing_check = FAULTS[fault]
    tenant = new_tenant("fault")
    ok(stack, "sandbox", "fault", fault, "--tenant", tenant)
    try:
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        status = advance_until_blocked_or(stack, tenant, lambda s: False)

        assert status["current_step"] == blocked_step
        record = step(status, blocked_step)
        assert record["status"] == "blocked"
        failed = [c for c in record["checks"] if not c["passed"]]
        assert [c["name"] for c in failed] == [failing_check], failed
        detail = failed[0]["detail"]
        assert len(detail) > 20 and "onboard retry" in detail
        assert failed[0]["observed"] is not None and failed[0]["checked_at"]
        assert failing_check in record["blocked_reason"]
    finally:
        ok(stack, "sandbox", "fault", "--clear")

    ok(stack, "retry", tenant, blocked_step, "--as", OWNER)
    after = advance_until_blocked_or(stack, tenant, lambda s: passed(step(s, blocked_step)))
    record = step(after, blocked_step)
    # Readiness then waits for its owner and go-live for the sign-offs; the others are done.
    gated = blocked_step in ("internal_readiness", "go_live")
    assert record["status"] == ("waiting" if gated else "done"), after
    assert record["runs"] == 2 and OWNER in record["actors"]
    assert all(c["passed"] for c in record["checks"])
