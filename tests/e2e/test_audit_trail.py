"""The audit trail end to end: export and verify from the records store, tampering detected,
and a four-eyes deviation through the CLI. Real stack, real CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from starter.devstack import DevStack
from tests.e2e.stack import (
    APPROVER,
    OWNER,
    admin_of,
    drive_from_enablement,
    drive_to_live,
    new_tenant,
    ok,
    onboard,
    step,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e

STEPS = [
    "pre_onboarding",
    "internal_readiness",
    "account_provisioning",
    "access_identity",
    "environment_validation",
    "feature_enablement",
    "customer_enablement",
    "go_live",
    "post_onboarding_review",
]


def test_export_and_verify_a_finished_onboarding_then_detect_tampering(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = new_tenant("audit")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    drive_to_live(stack, tenant)
    wait_for(stack, tenant, lambda s: step(s, "post_onboarding_review")["checks"] != [])
    ok(stack, "feedback", tenant, "--as", admin_of(tenant), "--text", "All good")
    wait_for(stack, tenant, lambda s: s["state"] == "completed")

    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    assert pack["tenant_id"] == tenant and pack["state"] == "completed"
    assert pack["owner"]["email"] == OWNER
    assert [s["step"] for s in pack["checklist"]] == STEPS
    for item in pack["checklist"]:
        assert item["status"] == "done", item
        assert len(item["runs"]) == 1, item
        assert item["started_at"] and item["finished_at"] and item["actors"], item
    assert {s["gate"] for s in pack["sign_offs"]} == {"customer", "platform", "support"}
    assert pack["go_live_at"] and pack["chain"]["ok"] is True
    rate = [c for s in pack["checklist"] for c in s["checks"] if c["name"] == "rate_limit"]
    assert rate and rate[-1]["passed"] is True and rate[-1]["expected"] == 600

    out_file = tmp_path / "pack.md"
    ok(stack, "export", tenant, "--format", "md", "-o", str(out_file))
    markdown = out_file.read_text()
    # The pack opens with a Gantt chart of the onboarding: one run per step here.
    assert markdown.startswith("# Onboarding evidence")
    assert markdown.split("\n")[2:4] == ["```mermaid", "gantt"]
    assert "Run 2" not in markdown

    assert "intact" in ok(stack, "verify", tenant)

    # Someone edits the record behind the system's back: verify names the entry.
    db = stack.data_dir / "records.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE entries SET actor = 'mallory@evil.example' WHERE seq = 5 AND onboarding_id = "
            "(SELECT id FROM onboardings WHERE tenant_id = ?)",
            (tenant,),
        )
    tampered = onboard(stack, "verify", tenant)
    assert tampered.returncode == 5
    assert "entry 5" in tampered.stderr

    missing = onboard(stack, "export", "no-such-tenant")
    assert missing.returncode == 4


def test_a_deviation_through_the_cli_needs_a_second_person(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant("dev")
    ok(stack, "sandbox", "fault", "logging_dropped", "--tenant", tenant)
    try:
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, waiting_at("internal_readiness"))
        ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
        wait_for(stack, tenant, lambda s: s["state"] == "blocked")

        requested = ok(
            stack,
            "deviation",
            "request",
            tenant,
            "--step",
            "environment_validation",
            "--check",
            "logging_visibility",
            "--reason",
            "log pipeline migration this week; alerts cover the gap",
            "--as",
            OWNER,
        )
        assert "DEV-1" in requested
        self_approval = onboard(stack, "deviation", "approve", tenant, "DEV-1", "--as", OWNER)
        assert self_approval.returncode == 1 and "second person" in self_approval.stderr
        ok(stack, "deviation", "approve", tenant, "DEV-1", "--as", APPROVER, "--note", "ok")
        status = drive_from_enablement(stack, tenant)
    finally:
        ok(stack, "sandbox", "fault", "--clear")

    env = step(status, "environment_validation")
    assert env["status"] == "waived"
    assert status["deviations"][0]["state"] == "approved"
    assert any(r["input"] == "approve_deviation" and r["by"] == OWNER for r in status["refused"])

    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    item = next(s for s in pack["checklist"] if s["step"] == "environment_validation")
    assert item["status"] == "waived" and item["deviation_id"] == "DEV-1"
    deviation = pack["deviations"][0]
    assert deviation["requested_by"] == OWNER and deviation["decided_by"] == APPROVER
    assert any(r["input"] == "approve_deviation" for r in pack["refused_inputs"])
