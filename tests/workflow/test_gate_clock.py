"""Human gates on the clock, in the time-skipping environment: reminders, the escalation
ladder, moved deadlines, the review, and a 90-day stall within its event budget."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from onboarding.inputs import AssignOwner, Feedback, MoveDeadline, RecordEnablement, SignOff
from onboarding.notifications import Notification, NotificationKind
from onboarding.policy import HISTORY_BUDGET, HISTORY_LIMIT
from onboarding.review import review_findings
from onboarding.steps import EnablementItem, OnboardingState, SignOffGate, StepKey
from tests.helpers import wait_status
from tests.workflow.support import (
    ADMIN,
    APPROVER,
    OWNER,
    SUPPORT,
    TWO_HATS,
    FakePlatform,
    drive_to_sign_offs,
    refused,
    run_lengths,
    update,
    waiting_at,
)

ESCALATION_CONTACT = "sam.ortiz@northwind.example"


def minutes(delta: timedelta) -> timedelta:
    """A time span to the minute: timers fire on time, activities take milliseconds."""
    return timedelta(minutes=round(delta.total_seconds() / 60))


def about(platform: FakePlatform, gate: str) -> list[Notification]:
    """The reminders and escalations about one gate, in the order they were produced."""
    return [
        n
        for n in platform.sent.values()
        if n.gate == gate and n.kind is not NotificationKind.INVITE
    ]


def invites(platform: FakePlatform, gate: str) -> list[Notification]:
    """The personal-link invites sent for a customer gate."""
    return [
        n for n in platform.sent.values() if n.gate == gate and n.kind is NotificationKind.INVITE
    ]


async def delivered(platform: FakePlatform, gate: str, count: int) -> list[Notification]:
    """The notifications about a gate once `count` of them reached the sender activity.

    The status counts a notice when the workflow queues it; the activity runs after.
    """
    deadline = asyncio.get_running_loop().time() + 10
    while len(found := about(platform, gate)) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{len(found)} of {count} notifications about {gate} sent")
        await asyncio.sleep(0.05)
    return found


async def test_reminders_and_the_escalation_ladder_come_at_the_right_moments(
    own_time_env: WorkflowEnvironment,
    started_alone: WorkflowHandle[Any, Any],
    platform: FakePlatform,
) -> None:
    handle = started_alone
    waiting = await wait_status(handle, waiting_at(StepKey.INTERNAL_READINESS))
    [gate] = waiting.gates
    opened, due = gate.opened_at, gate.due_at
    assert due - opened == timedelta(days=5)  # enterprise tier
    assert set(gate.responsible) == {OWNER, TWO_HATS}  # who holds onboarding_owner

    await own_time_env.sleep(timedelta(days=8, hours=1))
    late = await wait_status(handle, lambda s: bool(s.gates) and s.gates[0].escalation_level == 2)

    sent = await delivered(platform, "owner-assignment", 8)
    timeline = [(n.kind, minutes(n.created_at - opened), sorted(n.recipients)) for n in sent]
    reminder, escalation = NotificationKind.REMINDER, NotificationKind.ESCALATION
    team = sorted([OWNER, TWO_HATS])
    assert timeline == [
        (reminder, timedelta(days=3), team),  # two days before the deadline
        (reminder, timedelta(days=4, hours=12), team),  # twelve hours before
        (reminder, timedelta(days=5), team),  # at the deadline: overdue
        (reminder, timedelta(days=6), team),  # daily while overdue...
        (escalation, timedelta(days=6), [OWNER]),  # no owner yet: who started it
        (reminder, timedelta(days=7), team),
        (reminder, timedelta(days=8), team),
        (escalation, timedelta(days=8), [ESCALATION_CONTACT]),  # the contract's contacts
    ]
    assert "Overdue" in sent[2].subject and "Reminder" in sent[0].subject
    assert "onboard assign-owner" in sent[0].body
    [gate] = late.gates
    assert gate.overdue and gate.reminders_sent == 6 and gate.escalation_level == 2
    assert set(gate.notified) == {OWNER, TWO_HATS, ESCALATION_CONTACT}
    assert gate.next_notice_at == opened + timedelta(days=9)
    assert late.state is OnboardingState.WAITING  # late never skips or fails a step
    keys = [n.key for n in sent]
    assert all(k.startswith(f"{handle.id}:owner-assignment:") for k in keys)

    # The input closes the gate: the chase stops.
    await update(handle, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    await wait_status(handle, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
    await own_time_env.sleep(timedelta(days=2))
    assert len(about(platform, "owner-assignment")) == len(sent)


async def test_each_enablement_item_has_its_own_gate_and_a_moved_deadline_moves_its_ladder(
    own_time_env: WorkflowEnvironment,
    started_alone: WorkflowHandle[Any, Any],
    platform: FakePlatform,
) -> None:
    handle = started_alone
    await wait_status(handle, waiting_at(StepKey.INTERNAL_READINESS))
    await update(handle, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    waiting = await wait_status(handle, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
    assert [g.gate for g in waiting.gates] == [f"enablement:{i.value}" for i in EnablementItem]
    opened = waiting.gates[0].opened_at
    walkthrough = "enablement:walkthrough"
    new_due = opened + timedelta(days=10)

    # Only the owner moves a deadline, only of an open gate, only into the future.
    move = MoveDeadline(by=OWNER, gate=walkthrough, due=new_due, reason="customer offsite")
    assert "only the onboarding owner" in await refused(
        handle, "move_deadline", move.model_copy(update={"by": APPROVER})
    )
    assert "no open gate sign-off:customer" in await refused(
        handle, "move_deadline", move.model_copy(update={"gate": "sign-off:customer"})
    )
    assert "not in the future" in await refused(
        handle, "move_deadline", move.model_copy(update={"due": opened - timedelta(days=1)})
    )
    receipt = await update(handle, "move_deadline", move)
    assert receipt.accepted and "reminders and escalations follow" in receipt.message

    # One item arrives; its gate closes while the others go on.
    await update(
        handle,
        "record_enablement",
        RecordEnablement(
            by=OWNER, item=EnablementItem.ADMIN_GUIDE, evidence="https://evidence.example/g"
        ),
    )
    await own_time_env.sleep(timedelta(days=6, hours=1))
    status = await wait_status(
        handle,
        lambda s: any(g.escalation_level == 1 for g in s.gates),
    )
    gates = {g.gate: g for g in status.gates}
    assert "enablement:admin-guide" not in gates
    moved = gates[walkthrough]
    assert moved.due_at == new_due and not moved.overdue and moved.escalation_level == 0
    assert moved.deadline_moves == 1 and moved.deadline_moved_by == OWNER
    assert moved.reminders_sent == 0  # its first reminder is two days before the new deadline
    assert moved.next_notice_at == new_due - timedelta(days=2)
    other = gates["enablement:security-best-practices"]
    assert other.overdue and other.escalation_level == 1 and other.reminders_sent == 4
    assert about(platform, "enablement:admin-guide") == []
    # Enablement is chased with the owner and the csm (the same person here).
    assert set(other.responsible) == {OWNER}

    await own_time_env.sleep(timedelta(days=2))
    status = await wait_status(
        handle, lambda s: any(g.gate == walkthrough and g.reminders_sent for g in s.gates)
    )
    [first] = await delivered(platform, walkthrough, 1)
    assert minutes(new_due - first.created_at) == timedelta(days=2)
    moved_entries = platform.entries("deadline_moved")
    assert moved_entries and moved_entries[0].payload["gate"] == walkthrough
    assert moved_entries[0].actor == OWNER


async def test_sign_offs_are_chased_one_by_one_and_the_review_feedback_like_any_gate(
    own_time_env: WorkflowEnvironment,
    started_alone: WorkflowHandle[Any, Any],
    platform: FakePlatform,
) -> None:
    handle = started_alone
    waiting = await drive_to_sign_offs(handle)
    responsible = {g.gate: set(g.responsible) for g in waiting.gates}
    assert responsible == {
        "sign-off:customer": {ADMIN},
        "sign-off:platform": {APPROVER, TWO_HATS} - {OWNER},
        "sign-off:support": {SUPPORT},
    }
    # The customer gate sent every named admin a personal link, valid until its deadline.
    [invite] = invites(platform, "sign-off:customer")
    assert invite.recipients == [ADMIN] and invite.link is not None
    assert invite.link.admin == ADMIN and invite.link.input == "sign_off"
    assert invite.link.expires_at == next(
        g.due_at for g in waiting.gates if g.gate == "sign-off:customer"
    )
    assert invites(platform, "sign-off:platform") == []  # staff sign with their keys
    await update(handle, "sign_off", SignOff(by=ADMIN, gate=SignOffGate.CUSTOMER))
    await own_time_env.sleep(timedelta(days=3, hours=1))
    await wait_status(handle, lambda s: all(g.reminders_sent == 1 for g in s.gates))
    assert about(platform, "sign-off:customer") == []
    assert [n.recipients for n in await delivered(platform, "sign-off:support", 1)] == [[SUPPORT]]

    await update(handle, "sign_off", SignOff(by=APPROVER, gate=SignOffGate.PLATFORM))
    await update(handle, "sign_off", SignOff(by=SUPPORT, gate=SignOffGate.SUPPORT))
    live = await wait_status(handle, lambda s: s.go_live_at is not None)
    assert live.review_due_at == live.go_live_at + timedelta(days=30)

    # The review fires on its date; then its feedback gate is chased like the others.
    await own_time_env.sleep(timedelta(days=30, hours=1))
    review = await wait_status(handle, waiting_at(StepKey.POST_ONBOARDING_REVIEW))
    assert review.review_opened_at is not None and live.go_live_at is not None
    assert minutes(review.review_opened_at - live.go_live_at) == timedelta(days=30)
    [gate] = review.gates
    assert gate.gate == "review-feedback" and ADMIN in gate.responsible
    [feedback_invite] = invites(platform, "review-feedback")
    assert feedback_invite.link is not None and feedback_invite.link.input == "give_feedback"
    await own_time_env.sleep(timedelta(days=6, hours=1))
    await wait_status(handle, lambda s: bool(s.gates) and s.gates[0].escalation_level == 1)
    # Reminders at 3, 4.5, 5 and 6 days, and the owner told at 6 days.
    feedback_notices = await delivered(platform, "review-feedback", 5)
    escalations = [n for n in feedback_notices if n.kind is NotificationKind.ESCALATION]
    assert [n.recipients for n in escalations] == [[OWNER]]

    await update(handle, "give_feedback", Feedback(by=ADMIN, text="Glossary sync is slow."))
    done = await handle.result()
    assert done.state is OnboardingState.COMPLETED
    [request] = platform.review_requests
    assert request.feedback_text == "Glossary sync is slow."
    # The platform's figures reach the report, enablement opens included.
    assert request.usage["active_users"] == 7
    assert request.usage["enablement_opened"] == ["walkthrough", "admin-guide"]
    # ... so the report names the two items the customer never opened as gaps.
    findings = review_findings(request.contract, request.usage)
    unopened = {f.subject for f in findings.gaps if f.code == "item_unopened"}
    assert unopened == {"security-best-practices", "support-overview"}


async def test_a_ninety_day_stall_with_daily_reminders_stays_within_its_event_budget(
    own_time_env: WorkflowEnvironment,
    started_alone: WorkflowHandle[Any, Any],
    platform: FakePlatform,
) -> None:
    handle = started_alone
    await drive_to_sign_offs(handle)
    first_run = handle.result_run_id
    assert first_run is not None

    await own_time_env.sleep(timedelta(days=90, hours=1))
    # Two reminders before the deadline (day 5), one at it, then one a day to day 90.
    stalled = await wait_status(handle, lambda s: bool(s.gates) and s.gates[0].reminders_sent == 88)

    # Every day brought each of the three sign-offs a reminder; nothing was lost or doubled
    # across runs: one reminder per key, numbered without a gap.
    for gate in stalled.gates:
        numbers = sorted(
            int(n.key.rsplit(":", 1)[1])
            for n in await delivered(platform, gate.gate, gate.reminders_sent + 2)
            if n.kind is NotificationKind.REMINDER
        )
        assert numbers == list(range(1, gate.reminders_sent + 1))
        assert gate.escalation_level == 2
    lengths = await run_lengths(own_time_env.client, handle.id, first_run)
    assert len(lengths) >= 3, lengths  # continued as new, more than once
    assert max(lengths) < HISTORY_LIMIT // 100, lengths  # each run under 1% of the limit
    assert all(n <= HISTORY_BUDGET + 40 for n in lengths), lengths
    handovers = platform.entries("continued_as_new")
    assert [e.payload["run"] for e in handovers] == list(range(2, len(lengths) + 1))

    # All the state came along: the owner, the evidence, the audit numbering.
    assert stalled.owner == OWNER and len(stalled.enablement) == len(EnablementItem)
    assert stalled.step(StepKey.INTERNAL_READINESS).actors  # history of earlier steps kept
    keys = [int(k.rsplit(":", 1)[1]) for k in platform.recorded]
    assert sorted(keys) == list(range(1, len(keys) + 1))

    # The latest run takes the sign-offs, and the onboarding goes live.
    await update(handle, "sign_off", SignOff(by=ADMIN, gate=SignOffGate.CUSTOMER))
    await update(handle, "sign_off", SignOff(by=APPROVER, gate=SignOffGate.PLATFORM))
    await update(handle, "sign_off", SignOff(by=SUPPORT, gate=SignOffGate.SUPPORT))
    live = await wait_status(handle, lambda s: s.state is OnboardingState.LIVE)
    assert live.go_live_at is not None
