"""The onboarding's human inputs: validated updates (the CLI) and signals (the Web UI).

Each input is an update with a validator (refused: the sender gets the reason, and no
history is written) and a signal of the same name and payload (refused: kept in
`refused[]` and the records). `OnboardingWorkflow` inherits these handlers; the state
they read and write is the workflow's, declared below for the type checker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

from workflows.audit_trail import AuditTrail

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from onboarding.checks import CheckResult
    from onboarding.details import current_details
    from onboarding.gates import move_deadline
    from onboarding.inputs import (
        ApproveDeviation,
        AssignOwner,
        DecideDeviation,
        Feedback,
        MoveDeadline,
        Receipt,
        RecordEnablement,
        RejectDeviation,
        ReportRefusal,
        RequestDeviation,
        RetryStep,
        SignOff,
    )
    from onboarding.policy import OnboardingPolicy
    from onboarding.rules import (
        refusal_assign_owner,
        refusal_decide_deviation,
        refusal_enablement,
        refusal_feedback,
        refusal_move_deadline,
        refusal_request_deviation,
        refusal_retry,
        refusal_sign_off,
    )
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

# The name each input has in the records (records.kinds.InputName where one exists).
INPUT_NAMES: dict[type[BaseModel], str] = {
    AssignOwner: "assign_owner",
    RecordEnablement: "enablement",
    SignOff: "sign_off",
    Feedback: "feedback",
    RetryStep: "retry",
    RequestDeviation: "deviation_request",
    ApproveDeviation: "deviation_approval",
    RejectDeviation: "deviation_rejection",
    MoveDeadline: "deadline",
}


class InputRefused(ValueError):
    """Raised by an update validator: the update is rejected and leaves no history."""


class HumanInputs(AuditTrail):
    """Update and signal handlers of the onboarding workflow (a mixin)."""

    _policy: OnboardingPolicy | None
    _retry_requested: dict[StepKey, str]
    _owner_receipt: tuple[str, datetime] | None
    _woken: bool
    """Set by every accepted input, so a waiting gate loop looks again."""

    def _awaiting(self, key: StepKey) -> str | None:
        raise NotImplementedError  # the workflow's: who its current step waits for

    def _roster_refusal(self) -> str | None:
        if self._policy is None:
            return "the onboarding is still starting; try again in a few seconds"
        return None

    def _refusal(self, inp: BaseModel) -> str | None:
        if (reason := self._roster_refusal()) is not None:
            return reason
        assert self._policy is not None
        roster, status = self._policy.roster, self._status
        if isinstance(inp, AssignOwner):
            return refusal_assign_owner(status, roster, inp)
        if isinstance(inp, RecordEnablement):
            return refusal_enablement(status, roster, inp)
        if isinstance(inp, SignOff):
            return refusal_sign_off(status, roster, self._contract, inp)
        if isinstance(inp, Feedback):
            return refusal_feedback(status, roster, self._contract, inp)
        if isinstance(inp, RetryStep):
            return refusal_retry(status, roster, inp)
        if isinstance(inp, RequestDeviation):
            return refusal_request_deviation(status, roster, inp)
        if isinstance(inp, DecideDeviation):
            return refusal_decide_deviation(status, roster, inp)
        if isinstance(inp, MoveDeadline):
            return refusal_move_deadline(status, roster, inp, workflow.now())
        return f"unknown input {type(inp).__name__}"

    def _validate(self, inp: BaseModel) -> None:
        if (reason := self._refusal(inp)) is not None:
            raise InputRefused(reason)

    def _apply(self, inp: BaseModel) -> Receipt:
        receipt = self._apply_input(inp)
        self._woken = True
        fields = inp.model_dump(mode="json", exclude={"by"})
        if receipt.already_recorded:
            fields["already_recorded"] = True
        fields["input"] = INPUT_NAMES.get(type(inp), type(inp).__name__)
        self._audit(
            "input_accepted", self._status.current_step, str(getattr(inp, "by", "unknown")), fields
        )
        workflow.set_current_details(current_details(self._status))
        return receipt

    def _apply_input(self, inp: BaseModel) -> Receipt:
        now = workflow.now()
        status = self._status
        if isinstance(inp, AssignOwner):
            if status.owner is not None and self._owner_receipt is not None:
                by, at = self._owner_receipt
                return _repeat(f"owner {status.owner} already assigned", by, at)
            status.owner = inp.owner
            self._owner_receipt = (inp.by, now)
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
            self._audit_checks(StepKey.INTERNAL_READINESS, [assigned])
            message = f"{inp.owner} is the onboarding owner of {status.tenant_id}"
        elif isinstance(inp, RecordEnablement):
            if (done := status.enablement_item(inp.item.value)) is not None:
                return _repeat(f"enablement {inp.item.value} already recorded", done.by, done.at)
            status.enablement.append(
                EnablementRecord(item=inp.item.value, evidence=inp.evidence, by=inp.by, at=now)
            )
            status.step(StepKey.CUSTOMER_ENABLEMENT).add_actor(inp.by)
            message = f"enablement {inp.item.value} recorded with evidence {inp.evidence}"
        elif isinstance(inp, SignOff):
            if (signed := status.sign_off(inp.gate.value)) is not None:
                return _repeat(f"{inp.gate.value} sign-off already recorded", signed.by, signed.at)
            status.sign_offs.append(
                SignOffRecord(gate=inp.gate.value, by=inp.by, at=now, note=inp.note)
            )
            status.step(StepKey.GO_LIVE).add_actor(inp.by)
            message = f"{inp.gate.value} sign-off recorded"
        elif isinstance(inp, Feedback):
            if status.feedback:
                first = status.feedback[0]
                return _repeat("review feedback already recorded", first.by, first.at)
            status.feedback.append(FeedbackRecord(by=inp.by, at=now, text=inp.text))
            status.step(StepKey.POST_ONBOARDING_REVIEW).add_actor(inp.by)
            message = "review feedback recorded"
        elif isinstance(inp, RetryStep):
            self._retry_requested[inp.step] = inp.by
            message = f"step {inp.step.value} will run again"
        elif isinstance(inp, RequestDeviation):
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
            self._audit(
                "deviation_requested",
                inp.step,
                inp.by,
                deviation_id=deviation_id,
                check=inp.check,
                reason=inp.reason,
            )
            return Receipt(
                accepted=True,
                message=f"deviation {deviation_id} requested for {inp.check}; a "
                "platform_approver other than you must approve it",
                recorded_by=inp.by,
                recorded_at=now,
                reference=deviation_id,
            )
        elif isinstance(inp, DecideDeviation):
            deviation = status.deviation(inp.deviation_id)
            assert deviation is not None  # the validator refused unknown ids
            if deviation.state != "pending":
                return _repeat(
                    f"deviation {deviation.id} already {deviation.state}",
                    deviation.decided_by or "unknown",
                    deviation.decided_at or now,
                )
            approved = isinstance(inp, ApproveDeviation)
            deviation.state = "approved" if approved else "rejected"
            deviation.decided_by, deviation.decided_at, deviation.note = inp.by, now, inp.note
            self._audit(
                f"deviation_{deviation.state}",
                deviation.step,
                inp.by,
                deviation_id=deviation.id,
                note=inp.note,
            )
            message = f"deviation {deviation.id} {deviation.state}"
        elif isinstance(inp, MoveDeadline):
            gate = next(g for g in status.gates if g.gate == inp.gate)  # validator checked
            previous = gate.due_at
            move_deadline(gate, inp.due, inp.by, now)
            self._audit(
                "deadline_moved",
                gate.step,
                inp.by,
                gate=gate.gate,
                due_at=inp.due.isoformat(),
                previous_due_at=previous.isoformat(),
                reason=inp.reason,
            )
            message = (
                f"{gate.title} is now due {inp.due.isoformat()} (was {previous.isoformat()});"
                " reminders and escalations follow the new deadline"
            )
        else:  # pragma: no cover - _refusal already refused it
            raise InputRefused(f"unknown input {type(inp).__name__}")
        if status.current_step is not None:
            status.step(status.current_step).waiting_for = self._awaiting(status.current_step)
        workflow.logger.info("input accepted", extra={"input": type(inp).__name__, "by": inp.by})
        return Receipt(accepted=True, message=message, recorded_by=inp.by, recorded_at=now)

    def _signal(self, model: type[BaseModel], name: str, payload: Any) -> None:
        """Apply a signal, or keep it as a refused attempt; never fail the workflow task."""
        by = payload.get("by", "unknown") if isinstance(payload, dict) else "unknown"
        try:
            inp = model.model_validate(payload)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
                for e in err.errors()
            )
            self._refuse(name, str(by), f"malformed payload: {problems}")
            return
        if (reason := self._refusal(inp)) is not None:
            self._refuse(name, str(by), reason)
            return
        self._apply(inp)

    def _refuse(self, name: str, by: str, reason: str) -> None:
        self._status.refused.append(Refusal(input=name, by=by, at=workflow.now(), reason=reason))
        self._audit("input_refused", self._status.current_step, by, input=name, reason=reason)
        workflow.logger.warning("input refused", extra={"input": name, "reason": reason})

    @workflow.update(name="assign_owner")
    def assign_owner(self, inp: AssignOwner) -> Receipt:
        return self._apply(inp)

    @assign_owner.validator
    def _check_assign_owner(self, inp: AssignOwner) -> None:
        self._validate(inp)

    @workflow.signal(name="assign_owner")
    def assign_owner_signal(self, payload: Any) -> None:
        self._signal(AssignOwner, "assign_owner", payload)

    @workflow.update(name="record_enablement")
    def record_enablement(self, inp: RecordEnablement) -> Receipt:
        return self._apply(inp)

    @record_enablement.validator
    def _check_record_enablement(self, inp: RecordEnablement) -> None:
        self._validate(inp)

    @workflow.signal(name="record_enablement")
    def record_enablement_signal(self, payload: Any) -> None:
        self._signal(RecordEnablement, "record_enablement", payload)

    @workflow.update(name="sign_off")
    def sign_off(self, inp: SignOff) -> Receipt:
        return self._apply(inp)

    @sign_off.validator
    def _check_sign_off(self, inp: SignOff) -> None:
        self._validate(inp)

    @workflow.signal(name="sign_off")
    def sign_off_signal(self, payload: Any) -> None:
        self._signal(SignOff, "sign_off", payload)

    @workflow.update(name="give_feedback")
    def give_feedback(self, inp: Feedback) -> Receipt:
        return self._apply(inp)

    @give_feedback.validator
    def _check_give_feedback(self, inp: Feedback) -> None:
        self._validate(inp)

    @workflow.signal(name="give_feedback")
    def give_feedback_signal(self, payload: Any) -> None:
        self._signal(Feedback, "give_feedback", payload)

    @workflow.update(name="retry_step")
    def retry_step(self, inp: RetryStep) -> Receipt:
        return self._apply(inp)

    @retry_step.validator
    def _check_retry_step(self, inp: RetryStep) -> None:
        self._validate(inp)

    @workflow.signal(name="retry_step")
    def retry_step_signal(self, payload: Any) -> None:
        self._signal(RetryStep, "retry_step", payload)

    @workflow.update(name="request_deviation")
    def request_deviation(self, inp: RequestDeviation) -> Receipt:
        return self._apply(inp)

    @request_deviation.validator
    def _check_request_deviation(self, inp: RequestDeviation) -> None:
        self._validate(inp)

    @workflow.signal(name="request_deviation")
    def request_deviation_signal(self, payload: Any) -> None:
        self._signal(RequestDeviation, "request_deviation", payload)

    @workflow.update(name="approve_deviation")
    def approve_deviation(self, inp: ApproveDeviation) -> Receipt:
        return self._apply(inp)

    @approve_deviation.validator
    def _check_approve_deviation(self, inp: ApproveDeviation) -> None:
        self._validate(inp)

    @workflow.signal(name="approve_deviation")
    def approve_deviation_signal(self, payload: Any) -> None:
        self._signal(ApproveDeviation, "approve_deviation", payload)

    @workflow.update(name="reject_deviation")
    def reject_deviation(self, inp: RejectDeviation) -> Receipt:
        return self._apply(inp)

    @reject_deviation.validator
    def _check_reject_deviation(self, inp: RejectDeviation) -> None:
        self._validate(inp)

    @workflow.signal(name="reject_deviation")
    def reject_deviation_signal(self, payload: Any) -> None:
        self._signal(RejectDeviation, "reject_deviation", payload)

    @workflow.update(name="move_deadline")
    def move_deadline(self, inp: MoveDeadline) -> Receipt:
        return self._apply(inp)

    @move_deadline.validator
    def _check_move_deadline(self, inp: MoveDeadline) -> None:
        self._validate(inp)

    @workflow.signal(name="move_deadline")
    def move_deadline_signal(self, payload: Any) -> None:
        self._signal(MoveDeadline, "move_deadline", payload)

    @workflow.signal(name="report_refusal")
    def report_refusal(self, payload: Any) -> None:
        """Keep an update the validators refused (they leave no history) on record."""
        try:
            report = ReportRefusal.model_validate(payload)
        except ValidationError:
            return  # a malformed report of a refusal carries nothing worth keeping
        self._refuse(report.input, report.by, report.reason)

    @workflow.query(name="status")
    def status(self) -> OnboardingStatus:
        return self._status


def merge_checks(record: StepRecord, checks: list[CheckResult]) -> None:
    """Replace checks of the same name (a re-run), keep the others (e.g. owner_assigned)."""
    fresh = {c.name for c in checks}
    record.checks = [c for c in record.checks if c.name not in fresh] + list(checks)


def _repeat(message: str, by: str, at: datetime) -> Receipt:
    return Receipt(
        accepted=True,
        already_recorded=True,
        message=f"{message} by {by} at {at.isoformat()}; nothing changed",
        recorded_by=by,
        recorded_at=at,
    )
