"""What each accepted input changes in an onboarding. Pure: the workflow's pipeline calls
these after the proof and the rules passed, with the verified signer in `inp.by`.

Each returns the receipt for the sender and the audit notes to record beside the
`input_accepted` entry the pipeline writes itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from onboarding.checks import CheckResult
from onboarding.contract import Contract
from onboarding.gates import move_deadline
from onboarding.inputs import (
    ApproveDeviation,
    AssignOwner,
    DecideDeviation,
    Feedback,
    LinkRefused,
    MoveDeadline,
    Receipt,
    RecordEnablement,
    RequestDeviation,
    RetryStep,
    SignOff,
)
from onboarding.roster import Roster
from onboarding.status import (
    DeviationRecord,
    EnablementRecord,
    FeedbackRecord,
    OnboardingStatus,
    Refusal,
    SignOffRecord,
    StepRecord,
)
from onboarding.steps import StepKey


@dataclass
class InputState:
    """The part of a workflow's state that inputs read and change."""

    status: OnboardingStatus
    contract: Contract
    roster: Roster
    retry_requested: dict[StepKey, str]
    """Steps someone asked to run again, with who asked."""
    owner_receipt: tuple[str, datetime] | None = None
    """Who assigned the owner, and when."""


@dataclass(frozen=True)
class Note:
    """An audit entry an input adds besides its own `input_accepted` entry."""

    kind: str
    step: StepKey | None
    payload: dict[str, Any]


@dataclass
class Applied:
    """What applying an input gave: the sender's receipt and the notes for the record."""

    receipt: Receipt
    notes: list[Note] = field(default_factory=list)


def merge_checks(record: StepRecord, checks: list[CheckResult]) -> None:
    """Replace checks of the same name (a re-run), keep the others (e.g. owner_assigned)."""
    fresh = {c.name for c in checks}
    record.checks = [c for c in record.checks if c.name not in fresh] + list(checks)


def repeat(message: str, by: str, at: datetime) -> Applied:
    """The answer to an input already recorded: nothing changes."""
    return Applied(
        Receipt(
            accepted=True,
            already_recorded=True,
            message=f"{message} by {by} at {at.isoformat()}; nothing changed",
            recorded_by=by,
            recorded_at=at,
        )
    )


def _done(message: str, by: str, now: datetime, notes: list[Note] | None = None) -> Applied:
    return Applied(
        Receipt(accepted=True, message=message, recorded_by=by, recorded_at=now), notes or []
    )


def assign_owner(state: InputState, inp: AssignOwner, now: datetime) -> Applied:
    status = state.status
    if status.owner is not None and state.owner_receipt is not None:
        by, at = state.owner_receipt
        return repeat(f"owner {status.owner} already assigned", by, at)
    status.owner = inp.owner
    state.owner_receipt = (inp.by, now)
    record = status.step(StepKey.INTERNAL_READINESS)
    record.add_actor(inp.by)
    record.add_actor(inp.owner)
    assigned = CheckResult(
        name="owner_assigned",
        passed=True,
        detail=f"{inp.owner} assigned by {inp.by}",
        observed=inp.owner,
        checked_at=now,
    )
    merge_checks(record, [assigned])
    note = Note("check", StepKey.INTERNAL_READINESS, assigned.model_dump(mode="json"))
    return _done(f"{inp.owner} is the onboarding owner of {status.tenant_id}", inp.by, now, [note])


def record_enablement(state: InputState, inp: RecordEnablement, now: datetime) -> Applied:
    status = state.status
    if (done := status.enablement_item(inp.item.value)) is not None:
        return repeat(f"enablement {inp.item.value} already recorded", done.by, done.at)
    status.enablement.append(
        EnablementRecord(item=inp.item.value, evidence=inp.evidence, by=inp.by, at=now)
    )
    status.step(StepKey.CUSTOMER_ENABLEMENT).add_actor(inp.by)
    return _done(f"enablement {inp.item.value} recorded with evidence {inp.evidence}", inp.by, now)


def sign_off(state: InputState, inp: SignOff, now: datetime) -> Applied:
    status = state.status
    if (signed := status.sign_off(inp.gate.value)) is not None:
        return repeat(f"{inp.gate.value} sign-off already recorded", signed.by, signed.at)
    status.sign_offs.append(SignOffRecord(gate=inp.gate.value, by=inp.by, at=now, note=inp.note))
    status.step(StepKey.GO_LIVE).add_actor(inp.by)
    return _done(f"{inp.gate.value} sign-off recorded", inp.by, now)


def give_feedback(state: InputState, inp: Feedback, now: datetime) -> Applied:
    status = state.status
    if status.feedback:
        first = status.feedback[0]
        return repeat("review feedback already recorded", first.by, first.at)
    status.feedback.append(FeedbackRecord(by=inp.by, at=now, text=inp.text))
    status.step(StepKey.POST_ONBOARDING_REVIEW).add_actor(inp.by)
    return _done("review feedback recorded", inp.by, now)


def retry_step(state: InputState, inp: RetryStep, now: datetime) -> Applied:
    state.retry_requested[inp.step] = inp.by
    return _done(f"step {inp.step.value} will run again", inp.by, now)


def request_deviation(state: InputState, inp: RequestDeviation, now: datetime) -> Applied:
    status = state.status
    deviation_id = f"DEV-{len(status.deviations) + 1}"
    status.deviations.append(
        DeviationRecord(
            id=deviation_id,
            step=inp.step,
            check=inp.check,
            reason=inp.reason,
            requested_by=inp.by,
            requested_at=now,
        )
    )
    status.step(inp.step).add_actor(inp.by)
    note = Note(
        "deviation_requested",
        inp.step,
        {"deviation_id": deviation_id, "check": inp.check, "reason": inp.reason},
    )
    return Applied(
        Receipt(
            accepted=True,
            message=f"deviation {deviation_id} requested for {inp.check}; a "
            "platform_approver other than you must approve it",
            recorded_by=inp.by,
            recorded_at=now,
            reference=deviation_id,
        ),
        [note],
    )


def decide_deviation(state: InputState, inp: DecideDeviation, now: datetime) -> Applied:
    deviation = state.status.deviation(inp.deviation_id)
    assert deviation is not None  # the rules refused unknown ids
    if deviation.state != "pending":
        return repeat(
            f"deviation {deviation.id} already {deviation.state}",
            deviation.decided_by or "unknown",
            deviation.decided_at or now,
        )
    deviation.state = "approved" if isinstance(inp, ApproveDeviation) else "rejected"
    deviation.decided_by, deviation.decided_at, deviation.note = inp.by, now, inp.note
    note = Note(
        f"deviation_{deviation.state}",
        deviation.step,
        {"deviation_id": deviation.id, "note": inp.note},
    )
    return _done(f"deviation {deviation.id} {deviation.state}", inp.by, now, [note])


def move_gate_deadline(state: InputState, inp: MoveDeadline, now: datetime) -> Applied:
    gate = next(g for g in state.status.gates if g.gate == inp.gate)  # the rules checked
    previous = gate.due_at
    move_deadline(gate, inp.due, inp.by, now)
    note = Note(
        "deadline_moved",
        gate.step,
        {
            "gate": gate.gate,
            "due_at": inp.due.isoformat(),
            "previous_due_at": previous.isoformat(),
            "reason": inp.reason,
        },
    )
    return _done(
        f"{gate.title} is now due {inp.due.isoformat()} (was {previous.isoformat()});"
        " reminders and escalations follow the new deadline",
        inp.by,
        now,
        [note],
    )


def link_refused(state: InputState, inp: LinkRefused, now: datetime) -> Applied:
    """Keep a refused customer link on record (the approvals service refused it)."""
    reason = f"customer link for {inp.gate} refused: {inp.reason}"
    state.status.add_refusal(
        Refusal(input=f"link:{inp.gate}", by=inp.attempted_as, at=now, reason=reason)
    )
    note = Note(
        "input_refused",
        state.status.current_step,
        {"input": f"link:{inp.gate}", "reason": reason, "link_sent_to": inp.by},
    )
    return _done("refusal recorded", inp.by, now, [note])
