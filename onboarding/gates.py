"""The human gates: which open at each step, who may close them, and what they are told.

Pure and sandbox-safe. Each gate has an id that `onboard deadline` takes:

- `owner-assignment` (Step 1),
- `enablement:<item>` for each of the four enablement items (Step 6),
- `sign-off:<customer|platform|support>` (Step 7),
- `review-feedback` (the post-onboarding review).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from onboarding.contract import Contract
from onboarding.ladder import Audience, Ladder, Rung
from onboarding.notifications import Notification, NotificationKind
from onboarding.roster import Role, Roster
from onboarding.status import GateRecord, OnboardingStatus
from onboarding.steps import EnablementItem, SignOffGate, StepKey

OWNER_ASSIGNMENT = "owner-assignment"
REVIEW_FEEDBACK = "review-feedback"
ENABLEMENT_PREFIX = "enablement:"
SIGN_OFF_PREFIX = "sign-off:"


@dataclass(frozen=True)
class GateSpec:
    id: str
    title: str
    step: StepKey
    command: str
    """How to close it from the CLI ({tenant} is filled in)."""


def _specs() -> list[GateSpec]:
    specs = [
        GateSpec(
            OWNER_ASSIGNMENT,
            "owner assignment",
            StepKey.INTERNAL_READINESS,
            "onboard assign-owner {tenant} --owner EMAIL --as EMAIL",
        )
    ]
    specs += [
        GateSpec(
            f"{ENABLEMENT_PREFIX}{item.value}",
            f"enablement evidence: {item.value}",
            StepKey.CUSTOMER_ENABLEMENT,
            f"onboard enablement {{tenant}} {item.value} --evidence https://... --as EMAIL",
        )
        for item in EnablementItem
    ]
    specs += [
        GateSpec(
            f"{SIGN_OFF_PREFIX}{gate.value}",
            f"{gate.value} sign-off",
            StepKey.GO_LIVE,
            f"onboard sign-off {{tenant}} {gate.value} --as EMAIL",
        )
        for gate in SignOffGate
    ]
    specs.append(
        GateSpec(
            REVIEW_FEEDBACK,
            "review feedback",
            StepKey.POST_ONBOARDING_REVIEW,
            'onboard feedback {tenant} --text "..." --as EMAIL',
        )
    )
    return specs


GATES: dict[str, GateSpec] = {spec.id: spec for spec in _specs()}
GATED_STEPS = frozenset(spec.step for spec in GATES.values())


def gates_of(step: StepKey) -> list[GateSpec]:
    return [spec for spec in GATES.values() if spec.step is step]


def is_closed(status: OnboardingStatus, gate_id: str) -> bool:
    """Whether the input a gate waits for has been recorded."""
    if gate_id == OWNER_ASSIGNMENT:
        return status.owner is not None
    if gate_id == REVIEW_FEEDBACK:
        return bool(status.feedback)
    if gate_id.startswith(ENABLEMENT_PREFIX):
        return status.enablement_item(gate_id.removeprefix(ENABLEMENT_PREFIX)) is not None
    if gate_id.startswith(SIGN_OFF_PREFIX):
        return status.sign_off(gate_id.removeprefix(SIGN_OFF_PREFIX)) is not None
    raise ValueError(f"unknown gate {gate_id}")


def _holding(roster: Roster, role: Role) -> list[str]:
    return [p.email for p in roster.people if role in p.roles]


def responsible(
    gate_id: str, status: OnboardingStatus, contract: Contract, roster: Roster
) -> tuple[list[str], str]:
    """Who may close a gate (and is reminded), and the same in words."""
    admins = [a.email for a in contract.contacts.admins]
    owner = [status.owner] if status.owner else []
    if gate_id == OWNER_ASSIGNMENT:
        return _holding(roster, Role.ONBOARDING_OWNER), "an onboarding owner to be assigned"
    if gate_id.startswith(ENABLEMENT_PREFIX):
        people = _distinct(owner + _holding(roster, Role.CSM))
        return people, "evidence from the owner or a csm"
    if gate_id == f"{SIGN_OFF_PREFIX}{SignOffGate.CUSTOMER.value}":
        return admins, "a named customer admin"
    if gate_id == f"{SIGN_OFF_PREFIX}{SignOffGate.PLATFORM.value}":
        approvers = [p for p in _holding(roster, Role.PLATFORM_APPROVER) if p not in owner]
        return approvers, "a platform_approver other than the owner"
    if gate_id == f"{SIGN_OFF_PREFIX}{SignOffGate.SUPPORT.value}":
        return _holding(roster, Role.SUPPORT_LEAD), "a support_lead"
    if gate_id == REVIEW_FEEDBACK:
        return _distinct(admins + owner + _holding(roster, Role.CSM)), "a customer admin or csm"
    raise ValueError(f"unknown gate {gate_id}")


def open_gate(
    spec: GateSpec,
    status: OnboardingStatus,
    contract: Contract,
    roster: Roster,
    opened_at: datetime,
    due_at: datetime,
) -> GateRecord:
    people, words = responsible(spec.id, status, contract, roster)
    return GateRecord(
        gate=spec.id,
        title=spec.title,
        step=spec.step,
        awaiting=words,
        responsible=people,
        opened_at=opened_at,
        due_at=due_at,
        checked_at=opened_at,
    )


def escalation_recipients(rung: Rung, status: OnboardingStatus, contract: Contract) -> list[str]:
    if rung.notify == Audience.OWNER:
        fallback = [status.started_by] if status.started_by else []
        return [status.owner] if status.owner else fallback
    if rung.notify == Audience.ESCALATION_CONTACTS:
        return [c.email for c in contract.contacts.escalation]
    return [str(rung.notify)]


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def reminder(gate: GateRecord, status: OnboardingStatus, now: datetime) -> Notification | None:
    """The next reminder about a gate to the people who may close it; `None` if nobody may."""
    if not gate.responsible:
        return None
    spec = GATES[gate.gate]
    late = now >= gate.due_at
    subject = (
        f"Overdue: {gate.title} for {status.tenant_name} was due {_when(gate.due_at)}"
        if late
        else f"Reminder: {gate.title} for {status.tenant_name} is due {_when(gate.due_at)}"
    )
    body = (
        f"The onboarding of {status.tenant_name} ({status.tenant_id}) is waiting for the "
        f"{gate.title}: {gate.awaiting}.\n"
        f"Opened {_when(gate.opened_at)}, due {_when(gate.due_at)}"
        f"{' (overdue)' if late else ''}.\n\n"
        f"To give it: {spec.command.format(tenant=status.tenant_id)}\n"
        f"Onboarding: {status.workflow_id}\n"
    )
    return Notification(
        key=f"{status.workflow_id}:{gate.gate}:reminder:{gate.reminders_sent + 1}",
        tenant_id=status.tenant_id,
        kind=NotificationKind.REMINDER,
        gate=gate.gate,
        recipients=list(gate.responsible),
        subject=subject,
        body=body,
        created_at=now,
    )


def escalation(
    gate: GateRecord,
    level: int,
    recipients: list[str],
    status: OnboardingStatus,
    now: datetime,
) -> Notification | None:
    """Rung `level` (1 = first) of the ladder is told the gate is overdue."""
    if not recipients:
        return None
    late = now - gate.due_at
    hours = int(late.total_seconds() // 3600)
    late_words = f"{hours} h" if hours else f"{int(late.total_seconds())} s"
    body = (
        f"The {gate.title} for {status.tenant_name} ({status.tenant_id}) was due "
        f"{_when(gate.due_at)} and is {late_words} late. Waiting for {gate.awaiting}: "
        f"{', '.join(gate.responsible) or 'nobody on the roster can give it'}.\n"
        f"Reminders sent so far: {gate.reminders_sent}. This is escalation level {level}.\n"
        f"The owner can move the deadline: onboard deadline {status.tenant_id} {gate.gate} "
        "--due DATETIME --as EMAIL\n"
        f"Onboarding: {status.workflow_id}\n"
    )
    return Notification(
        # The deadline's number keeps a re-escalation after a moved deadline distinct.
        key=f"{status.workflow_id}:{gate.gate}:escalation:{gate.deadline_moves}.{level}",
        tenant_id=status.tenant_id,
        kind=NotificationKind.ESCALATION,
        gate=gate.gate,
        recipients=recipients,
        subject=f"Escalation {level}: {gate.title} for {status.tenant_name} is overdue",
        body=body,
        created_at=now,
    )


def chase(
    gate: GateRecord, ladder: Ladder, status: OnboardingStatus, contract: Contract, now: datetime
) -> list[Notification]:
    """Bring a gate's ladder up to `now`: mark it overdue, and return the reminder and
    escalations that fell due since it was last chased (counted on the gate)."""
    notices: list[Notification] = []
    gate.overdue = now >= gate.due_at
    checked = gate.checked_at or gate.opened_at
    if ladder.reminder_due(gate.opened_at, gate.due_at, checked, now) and (
        notice := reminder(gate, status, now)
    ):
        notices.append(notice)
        gate.reminders_sent += 1
    while gate.escalation_level < ladder.level_at(gate.due_at, now):
        gate.escalation_level += 1
        rung = ladder.escalations[gate.escalation_level - 1]
        recipients = escalation_recipients(rung, status, contract)
        if (notice := escalation(gate, gate.escalation_level, recipients, status, now)) is not None:
            notices.append(notice)
    for notice in notices:
        gate.notify(list(notice.recipients))
    gate.checked_at = now
    gate.next_notice_at = next_notice(gate, ladder)
    return notices


def next_notice(gate: GateRecord, ladder: Ladder) -> datetime:
    """When the gate's next reminder or escalation is due."""
    checked = gate.checked_at or gate.opened_at
    at = ladder.next_reminder(gate.opened_at, gate.due_at, checked)
    rung = ladder.next_escalation(gate.due_at, gate.escalation_level)
    return min(at, rung) if rung is not None else at


def move_deadline(gate: GateRecord, due: datetime, by: str, now: datetime) -> None:
    """A new deadline: the ladder starts over from it (nothing already sent is repeated)."""
    gate.due_at = due
    gate.deadline_moves += 1
    gate.deadline_moved_by = by
    gate.overdue = False
    gate.escalation_level = 0
    gate.checked_at = now


def _distinct(emails: list[str]) -> list[str]:
    return list(dict.fromkeys(emails))
