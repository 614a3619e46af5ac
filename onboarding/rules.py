"""Who may give which input, and when. Pure functions: the workflow's validators call them.

Each ``refusal_*`` returns ``None`` when the input may be accepted, else the reason it is
refused, written for the person who sent it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from onboarding.contract import Contract
from onboarding.gates import is_closed
from onboarding.inputs import (
    AssignOwner,
    DecideDeviation,
    Feedback,
    MoveDeadline,
    RecordEnablement,
    RequestDeviation,
    RetryStep,
    SignOff,
)
from onboarding.policy import REVIEW_LIMIT
from onboarding.roster import Role, Roster
from onboarding.status import OnboardingStatus
from onboarding.steps import OnboardingState, SignOffGate, StepKey, StepStatus

DEADLINE_HORIZON = timedelta(days=365)
"""The furthest a gate's deadline may be moved ahead."""


def _not_open(status: OnboardingStatus, what: str, step: StepKey) -> str | None:
    if status.state in (OnboardingState.COMPLETED, OnboardingState.FAILED):
        return (
            f"the onboarding of {status.tenant_id} is {status.state.value}; nothing more is taken"
        )
    if status.current_step != step:
        now = status.current_step.value if status.current_step else "finished"
        return (
            f"{what} opens at step {step.value}; the onboarding of {status.tenant_id} is at {now}"
        )
    return None


def _on_roster(roster: Roster, who: str) -> str | None:
    if roster.find(who) is None:
        return f"{who} is not on the staff roster; ask ops to add them to the roster file"
    return None


def refusal_assign_owner(status: OnboardingStatus, roster: Roster, inp: AssignOwner) -> str | None:
    if (reason := _on_roster(roster, inp.by)) is not None:
        return reason
    if status.owner is not None and status.owner != inp.owner:
        return f"the owner is already {status.owner}; ownership is assigned once"
    if status.owner is None and (
        reason := _not_open(status, "owner assignment", StepKey.INTERNAL_READINESS)
    ):
        return reason
    if not roster.has_role(inp.owner, Role.ONBOARDING_OWNER):
        return f"{inp.owner} does not hold the onboarding_owner role on the roster"
    return None


def refusal_enablement(
    status: OnboardingStatus, roster: Roster, inp: RecordEnablement
) -> str | None:
    if not (inp.by == status.owner or roster.has_role(inp.by, Role.CSM)):
        return (
            f"{inp.by} may not record enablement: only the onboarding owner "
            f"({status.owner or 'not yet assigned'}) or a csm may"
        )
    if status.enablement_item(inp.item.value) is not None:
        return None  # a repeat: answered as already recorded
    return _not_open(status, f"enablement item {inp.item.value}", StepKey.CUSTOMER_ENABLEMENT)


def refusal_sign_off(
    status: OnboardingStatus, roster: Roster, contract: Contract, inp: SignOff
) -> str | None:
    if inp.gate is SignOffGate.CUSTOMER and not contract.is_customer_admin(inp.by):
        return (
            f"{inp.by} is not a named customer admin in the contract; "
            "only they sign for the customer"
        )
    if inp.gate is SignOffGate.PLATFORM:
        if not roster.has_role(inp.by, Role.PLATFORM_APPROVER):
            return f"{inp.by} does not hold the platform_approver role on the roster"
        if inp.by == status.owner:
            return "the onboarding owner may not give the platform sign-off; a second person must"
    if inp.gate is SignOffGate.SUPPORT and not roster.has_role(inp.by, Role.SUPPORT_LEAD):
        return f"{inp.by} does not hold the support_lead role on the roster"
    if status.sign_off(inp.gate.value) is not None:
        return None  # a repeat: answered as already recorded
    if (reason := _not_open(status, f"the {inp.gate.value} sign-off", StepKey.GO_LIVE)) is not None:
        return reason
    if inp.gate is SignOffGate.SUPPORT and status.support is None:
        return (
            "the support and escalation model is not registered with the platform yet; "
            "support signs off once it is (go-live registers it first)"
        )
    return None


def refusal_feedback(
    status: OnboardingStatus, roster: Roster, contract: Contract, inp: Feedback
) -> str | None:
    allowed = (
        contract.is_customer_admin(inp.by)
        or inp.by == status.owner
        or roster.has_role(inp.by, Role.CSM)
    )
    if not allowed:
        return f"{inp.by} may not give review feedback: a customer admin, the owner or a csm may"
    if status.feedback:
        return None  # a repeat: answered as already recorded
    if (reason := _not_open(status, "review feedback", StepKey.POST_ONBOARDING_REVIEW)) is not None:
        return reason
    if status.review_opened_at is None:
        due = status.review_due_at.isoformat() if status.review_due_at else "after go-live"
        return f"review feedback opens when the review runs ({due})"
    return None


def refusal_retry(status: OnboardingStatus, roster: Roster, inp: RetryStep) -> str | None:
    allowed = inp.by == status.owner or any(
        roster.has_role(inp.by, role) for role in (Role.ONBOARDING_OWNER, Role.PLATFORM_APPROVER)
    )
    if not allowed:
        return (
            f"{inp.by} may not retry steps: the owner, an onboarding_owner "
            "or a platform_approver may"
        )
    current = status.step(inp.step).status
    if current is not StepStatus.BLOCKED:
        return (
            f"step {inp.step.value} is {current.value}, not blocked; only a blocked step is retried"
        )
    return None


def refusal_request_deviation(
    status: OnboardingStatus, roster: Roster, inp: RequestDeviation
) -> str | None:
    if (reason := _on_roster(roster, inp.by)) is not None:
        return reason
    step = status.step(inp.step)
    if step.status is not StepStatus.BLOCKED:
        return f"step {inp.step.value} is {step.status.value}; only a blocked check can deviate"
    failed = [c.name for c in step.checks if not c.passed and not c.waived_by_deviation]
    if inp.check not in failed:
        return (
            f"{inp.check} is not a failed check of {inp.step.value} "
            f"(failed: {', '.join(failed) or 'none'})"
        )
    for d in status.deviations:
        if d.step == inp.step and d.check == inp.check and d.state == "pending":
            return f"deviation {d.id} for {inp.check} is already awaiting a decision"
    return None


def refusal_decide_deviation(
    status: OnboardingStatus, roster: Roster, inp: DecideDeviation
) -> str | None:
    deviation = status.deviation(inp.deviation_id)
    if deviation is None:
        return f"no deviation {inp.deviation_id} in the onboarding of {status.tenant_id}"
    if inp.by == deviation.requested_by:
        return "the requester may not decide their own deviation; a second person must"
    if not roster.has_role(inp.by, Role.PLATFORM_APPROVER):
        return f"{inp.by} does not hold the platform_approver role; only an approver decides"
    return None  # a repeat of a decision is answered as already recorded


def refusal_move_deadline(
    status: OnboardingStatus, roster: Roster, inp: MoveDeadline, now: datetime
) -> str | None:
    """The owner moves deadlines; before one is assigned, anyone holding the role may."""
    if status.owner is not None and inp.by != status.owner:
        return f"only the onboarding owner ({status.owner}) may move a deadline"
    if status.owner is None and not roster.has_role(inp.by, Role.ONBOARDING_OWNER):
        return f"{inp.by} does not hold the onboarding_owner role on the roster"
    gate = next((g for g in status.gates if g.gate == inp.gate), None)
    if gate is None or is_closed(status, gate.gate):
        still_open = [g.gate for g in status.gates if not is_closed(status, g.gate)]
        open_gates = ", ".join(still_open) or "none"
        return (
            f"no open gate {inp.gate} in the onboarding of {status.tenant_id} (open: {open_gates})"
        )
    if inp.due <= now:
        return f"the new deadline {inp.due.isoformat()} is not in the future ({now.isoformat()})"
    if inp.due > now + DEADLINE_HORIZON:
        return (
            f"the new deadline {inp.due.isoformat()} is more than a year ahead; "
            "give a deadline within a year"
        )
    if gate.step is StepKey.POST_ONBOARDING_REVIEW and status.go_live_at is not None:
        latest = status.go_live_at + REVIEW_LIMIT
        if inp.due > latest:
            return (
                f"PHASE-33 puts the review within 30 days of go-live: the feedback deadline "
                f"can be at most {latest.isoformat()}"
            )
    return None
