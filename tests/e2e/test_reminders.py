"""Reminders and escalations end to end: the real stack chases a stalled gate through a
real webhook, a failing webhook never holds the onboarding up and is retried, and the
owner moves a deadline with the real CLI."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from starter.devstack import DevStack
from tests.e2e.stack import (
    APPROVER,
    OWNER,
    new_tenant,
    ok,
    onboard,
    running_stack,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e

ESCALATION_CONTACT = "sam.ortiz@northwind.example"
STARTER = "priya@localizevideos.example"
"""Starts the onboardings here, so the first rung (no owner yet) is told someone else."""


class Hook:
    """A webhook receiver that keeps what it was sent and can be told to fail."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.keys: list[str] = []
        self.failing = False
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                hook.received.append(json.loads(body))
                hook.keys.append(self.headers["Idempotency-Key"])
                reply = json.dumps({"id": f"msg-{len(hook.received)}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/notify"

    def about(self, tenant: str) -> list[dict[str, Any]]:
        return [n for n in self.received if n["tenant_id"] == tenant]


@pytest.fixture(scope="module")
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(scope="module")
def chasing_stack(tmp_path_factory: pytest.TempPathFactory, hook: Hook) -> Iterator[DevStack]:
    # Enterprise gates due in 6 s: reminders 2.4 s and 0.6 s before, then every 1.2 s;
    # the owner 1.2 s late, the contract's escalation contacts 3.6 s late.
    with running_stack(
        tmp_path_factory.mktemp("chasing"),
        ONBOARDING_NOTIFY_WEBHOOK_URL=hook.url,
        ONBOARDING_GATE_DEADLINE="PT6S",
        ONBOARDING_REMIND_EVERY="P1D",
        # The smallest budget: a gate chased every 1.2 s continues as new within seconds.
        ONBOARDING_HISTORY_BUDGET="100",
    ) as running:
        yield running


def test_a_stalled_gate_is_chased_up_the_ladder_through_the_webhook(
    chasing_stack: DevStack, hook: Hook, tmp_path: Path
) -> None:
    stack, tenant = chasing_stack, new_tenant("chase")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", STARTER)
    late = wait_for(
        stack, tenant, lambda s: bool(s["gates"]) and s["gates"][0]["escalation_level"] == 2
    )
    [gate] = late["gates"]
    assert gate["gate"] == "owner-assignment" and gate["overdue"]
    assert gate["reminders_sent"] >= 3
    assert set(gate["notified"]) == {OWNER, STARTER, ESCALATION_CONTACT}

    # The status counts a notice when it is queued; delivery follows in the background.
    sent = wait_for_hook(hook, tenant, lambda got: sum(n["kind"] == "escalation" for n in got) == 2)
    reminders = [n for n in sent if n["kind"] == "reminder"]
    escalations = [n for n in sent if n["kind"] == "escalation"]
    assert reminders and all(n["recipients"] == [OWNER] for n in reminders)
    assert reminders[0]["subject"].startswith("Reminder: owner assignment")
    assert [n["recipients"] for n in escalations] == [[STARTER], [ESCALATION_CONTACT]]
    # Each went once, under its idempotency key, derived from the workflow id.
    keys = [k for k, n in zip(hook.keys, hook.received, strict=True) if n["tenant_id"] == tenant]
    assert len(keys) == len(set(keys)) and all(k.startswith(f"onboarding-{tenant}:") for k in keys)

    # The history stays within its budget: the run continues as new, keeping its state,
    # and the onboarding is still listed once.
    handed_over = wait_for_ledger(stack, tenant, "continued_as_new")
    assert handed_over["payload"]["history_events"] >= 100
    after_handover = wait_for(
        stack, tenant, lambda s: s["gates"][0]["reminders_sent"] > gate["reminders_sent"]
    )
    assert after_handover["gates"][0]["escalation_level"] == 2  # carried, not started over
    listed = json.loads(ok(stack, "list", "--json"))
    assert [r["tenant_id"] for r in listed].count(tenant) == 1

    # The readable status shows the chase.
    shown = ok(stack, "status", tenant)
    assert "reminders sent" in shown and "escalation level 2" in shown

    # Only the owner-to-be (an onboarding_owner) moves the deadline, only of an open gate.
    refused = onboard(
        stack, "deadline", tenant, "owner-assignment", "--due", "+PT1H", "--as", APPROVER
    )
    assert refused.returncode == 1 and "onboarding_owner role" in refused.stderr
    unknown = onboard(
        stack, "deadline", tenant, "sign-off:customer", "--due", "+PT1H", "--as", OWNER
    )
    assert unknown.returncode == 1 and "open: owner-assignment" in unknown.stderr
    bad_time = onboard(
        stack, "deadline", tenant, "owner-assignment", "--due", "soon", "--as", OWNER
    )
    assert bad_time.returncode == 1 and "is not a time" in bad_time.stderr
    moved = ok(stack, "deadline", tenant, "owner-assignment", "--due", "+PT1H", "--as", OWNER)
    assert "reminders and escalations follow the new deadline" in moved
    after = wait_for(stack, tenant, lambda s: s["gates"][0]["deadline_moves"] == 1)
    [gate] = after["gates"]
    assert not gate["overdue"] and gate["escalation_level"] == 0
    assert gate["deadline_moved_by"] == OWNER

    # Every delivery is in the onboarding's records, beside the moved deadline.
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    # The onboarding has moved on, so the enablement gates (6 s deadlines too) may have
    # been chased by now as well; the owner assignment's chase is what this test follows.
    chased = [n for n in pack["notifications"] if n["gate"] == "owner-assignment"]
    later = {n["gate"] for n in pack["notifications"]} - {"owner-assignment"}
    assert all(gate.startswith("enablement:") for gate in later), later
    recorded = {tuple(n["recipients"]) for n in chased}
    assert {(OWNER,), (STARTER,), (ESCALATION_CONTACT,)} <= recorded
    assert all(n["channel"] == "webhook" for n in pack["notifications"])
    assert {n["notification"] for n in chased} == {"reminder", "escalation"}
    markdown = ok(stack, "export", tenant, "--format", "md")
    assert "| escalation | owner-assignment | webhook |" in markdown
    kinds = [row["kind"] for row in pack["ledger"]]
    assert "deadline_moved" in kinds


def test_a_failing_webhook_never_holds_the_onboarding_and_is_retried(
    chasing_stack: DevStack, hook: Hook, tmp_path: Path
) -> None:
    stack, tenant = chasing_stack, new_tenant("hookdown")
    hook.failing = True
    try:
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, lambda s: bool(s["gates"]) and s["gates"][0]["reminders_sent"])
        # Nothing got through, yet the onboarding takes its input and moves on.
        ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
        wait_for(stack, tenant, waiting_at("customer_enablement"))
        assert hook.about(tenant) == []
    finally:
        hook.failing = False
    # Back up: the reminders that failed are retried (first retry after 10 s) and arrive.
    wait_for_hook(hook, tenant, bool, timeout=60)


def wait_for_ledger(stack: DevStack, tenant: str, kind: str, timeout: float = 60) -> dict[str, Any]:
    """The first entry of a kind in the tenant's records, once it is there."""
    deadline = time.monotonic() + timeout
    while True:
        pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
        found = [row for row in pack["ledger"] if row["kind"] == kind]
        if found:
            return dict(found[0])
        if time.monotonic() > deadline:
            raise AssertionError(f"no {kind} entry in the records of {tenant}")
        time.sleep(1)


def wait_for_hook(
    hook: Hook, tenant: str, predicate: Any, timeout: float = 30
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        got = hook.about(tenant)
        if predicate(got):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"the webhook did not get it for {tenant}: {got}")
        time.sleep(0.2)
