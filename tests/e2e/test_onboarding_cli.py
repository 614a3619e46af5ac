"""End to end: the real dev server, worker and sandbox platform, driven by the real CLI."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest
from google.protobuf import json_format

from starter.devstack import DevStack
from starter.ops import list_onboardings
from tests.e2e.payloads import decoded, payload_bytes, raw_history
from tests.e2e.stack import (
    APPROVER,
    OWNER,
    PROBE_PASSWORD,
    STEPS,
    SUPPORT,
    admin_of,
    cli_status_json,
    client_of,
    customer_feedback,
    drive_to_live,
    link_for,
    new_tenant,
    ok,
    onboard,
    platform_get,
    step,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e


def test_contract_to_go_live_and_review_through_the_cli(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    admin = admin_of(tenant)
    out = ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    assert f"onboarding-{tenant}" in out
    assert f"{stack.ui_url}/namespaces/default/workflows/onboarding-{tenant}" in out

    wait_for(stack, tenant, waiting_at("internal_readiness"))
    # The customer signs through their personal link; there is none before go-live opens.
    early = onboard(stack, "sign-off", tenant, "customer", "--as", admin)
    assert early.returncode == 1 and "personal link" in early.stderr

    live = drive_to_live(stack, tenant)
    link = link_for(stack, tenant, "sign-off:customer")
    again = ok(stack, "sign-off", tenant, "customer", "--as", admin, "--token", link)
    assert again.startswith("already recorded") and admin in again

    assert live["go_live_at"] is not None
    assert live["owner"] == OWNER
    assert {s["gate"] for s in live["sign_offs"]} == {"customer", "platform", "support"}

    status = wait_for(stack, tenant, lambda s: step(s, "post_onboarding_review")["checks"] != [])
    customer_feedback(stack, tenant, "Glossary saved us hours.")
    final = wait_for(stack, tenant, lambda s: s["state"] == "completed")

    assert [s["key"] for s in final["steps"]] == STEPS
    previous_end = None
    for record in final["steps"]:
        assert record["status"] == "done", record
        started = datetime.fromisoformat(record["started_at"])
        finished = datetime.fromisoformat(record["completed_at"])
        assert started.utcoffset() is not None and started.utcoffset().total_seconds() == 0
        assert started <= finished
        if previous_end is not None:
            assert previous_end <= started
        previous_end = finished
        assert record["actors"], record["key"]
    for key in STEPS[1:6]:
        checks = step(final, key)["checks"]
        assert checks and all(c["passed"] for c in checks), (key, checks)
    go_live = datetime.fromisoformat(final["go_live_at"])
    review_due = datetime.fromisoformat(final["review_due_at"])
    assert 0 < (review_due - go_live).total_seconds() <= 30 * 24 * 3600
    assert admin in step(final, "post_onboarding_review")["actors"]
    assert status["usage"] is not None

    async def went_live_since(moment: str) -> list[str]:
        client = await client_of(stack)
        query = f"WorkflowType = 'OnboardingWorkflow' AND GoLiveAt >= '{moment}'"
        return [row.tenant_id for row in await list_onboardings(client, query)]

    assert tenant in asyncio.run(went_live_since(live["go_live_at"][:19] + "Z"))
    assert tenant not in asyncio.run(went_live_since("2999-01-01T00:00:00Z"))

    listed = json.loads(ok(stack, "list", "--json"))
    mine = [row for row in listed if row["tenant_id"] == tenant]
    assert mine and mine[0]["state"] == "completed"

    readable = ok(stack, "status", tenant)
    assert "Go-live confirmation" in readable and "completed" in readable

    # The platform holds one account for the tenant, created once.
    accounts = platform_get(stack, f"/v1/accounts?tenant_id={tenant}")
    assert len(accounts) == 1
    ops = platform_get(stack, f"/v1/admin/operations?tenant_id={tenant}")
    assert [o["operation"] for o in ops].count("create_account") == 1


def test_a_tenant_is_onboarded_once_and_bad_inputs_are_refused(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = new_tenant()
    contract = write_contract(tmp_path, tenant)
    ok(stack, "start", str(contract), "--as", OWNER)
    twice = onboard(stack, "start", str(contract), "--as", OWNER)
    assert twice.returncode == 1
    assert "already has an onboarding" in twice.stderr

    wait_for(stack, tenant, waiting_at("internal_readiness"))
    stranger = onboard(stack, "assign-owner", tenant, "--owner", OWNER, "--as", "eve@x.example")
    assert stranger.returncode == 1 and "eve@x.example cannot sign" in stranger.stderr
    wrong_role = onboard(stack, "assign-owner", tenant, "--owner", SUPPORT, "--as", OWNER)
    assert wrong_role.returncode == 1 and "onboarding_owner" in wrong_role.stderr

    first = ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", APPROVER)
    assert first.startswith("accepted")
    repeat = ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", APPROVER)
    assert repeat.startswith("already recorded") and APPROVER in repeat

    no_evidence = onboard(
        stack, "enablement", tenant, "walkthrough", "--evidence", "told them", "--as", OWNER
    )
    assert no_evidence.returncode == 1 and "evidence" in no_evidence.stderr

    unknown = onboard(stack, "status", "no-such-tenant")
    assert unknown.returncode == 4 and "no onboarding for tenant" in unknown.stderr
    unknown_input = onboard(stack, "sign-off", "no-such-tenant", "platform", "--as", APPROVER)
    assert unknown_input.returncode == 4


def test_web_ui_signals_are_validated_and_refusals_shown(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))

    async def send() -> None:
        client = await client_of(stack)
        handle = client.get_workflow_handle(f"onboarding-{tenant}")
        await handle.signal("sign_off", {"by": "mallory@evil.example", "gate": "platform"})
        await handle.signal("assign_owner", {"owner": OWNER})  # no sender, no proof

    asyncio.run(send())
    status = wait_for(stack, tenant, lambda s: len(s["refused"]) == 2)
    refused = {r["input"]: r for r in status["refused"]}
    assert refused["sign_off"]["by"] == "unverified (mallory@evil.example)"
    assert refused["sign_off"]["reason"].startswith("unsigned")
    assert refused["assign_owner"]["reason"].startswith("unsigned")
    assert status["owner"] is None


def test_no_secret_reaches_workflow_history(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))

    # Decoded with the key ring: a secret must not be there even for someone who has it.
    history = decoded(asyncio.run(raw_history(stack, f"onboarding-{tenant}")), stack)
    text = json_format.MessageToJson(history) + payload_bytes(history).decode(errors="replace")
    assert "verify_access_identity" in text  # the probes ran and are in this history
    assert PROBE_PASSWORD not in text
    assert stack.admin_key not in text
    assert "Bearer" not in text
    logs = stack.log_path("worker").read_text()
    assert PROBE_PASSWORD not in logs and "Bearer" not in logs
    assert stack.admin_key not in logs


def test_status_of_the_same_onboarding_is_stable_json(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    status = cli_status_json(stack, tenant)
    for key in (
        "tenant_id",
        "workflow_id",
        "state",
        "current_step",
        "owner",
        "steps",
        "sign_offs",
        "refused",
        "go_live_at",
        "review_due_at",
    ):
        assert key in status
    assert status["workflow_id"] == f"onboarding-{tenant}"
    assert status["state"] in {"running", "waiting", "blocked"}
