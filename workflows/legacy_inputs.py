"""Unsigned inputs, as runs started before signed inputs took them (replay only).

A run without the `signed-inputs` patch marker began under the first release, whose
updates and signals were named after each input and trusted the `by` they carried. Its
history must replay exactly, so such runs keep that behaviour until they hand over to a
signed run (`OnboardingWorkflow` continues a legacy run as new at its next gate wake-up).
Runs with the marker refuse these forms (`workflows/inputs.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

from workflows.audit_trail import AuditTrail

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from onboarding.catalog import CATALOG
    from onboarding.details import current_details
    from onboarding.effects import InputState
    from onboarding.inputs import InputName, Receipt
    from onboarding.policy import OnboardingPolicy
    from onboarding.status import Refusal
    from onboarding.steps import StepKey

_RECORDS_ONLY = "report_refusal"
"""The old signal by which the CLI reported a refused update (trusted; replay only)."""


class LegacyRefusal(ValueError):
    """An old-style update refused by its validator (a legacy run)."""


class LegacyInputs(AuditTrail):
    """Unsigned update and signal handling of legacy runs (a workflow mixin)."""

    _policy: OnboardingPolicy | None
    _retry_requested: dict[StepKey, str]
    _owner_receipt: tuple[str, datetime] | None
    _woken: bool

    def _awaiting(self, key: StepKey) -> str | None:
        raise NotImplementedError  # the workflow's: who its current step waits for

    def _publish(self) -> None:
        raise NotImplementedError  # the workflow's: search attributes and details

    def _legacy_model(self, name: str, payload: Any) -> BaseModel | str:
        try:
            spec = CATALOG[InputName(name)]
        except ValueError:
            return f"unknown input {name}"
        try:
            return spec.model.model_validate(payload)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
                for e in err.errors()
            )
            return f"malformed payload: {problems}"

    def _legacy_refusal(self, name: str, inp: BaseModel) -> str | None:
        if self._policy is None:
            return "the onboarding is still starting; try again in a few seconds"
        spec = CATALOG[InputName(name)]
        return spec.refusal(self._legacy_state(), inp, workflow.now())

    def _legacy_validate(self, name: str, payload: Any) -> None:
        inp = self._legacy_model(name, payload)
        if isinstance(inp, str):
            raise LegacyRefusal(inp)
        if (reason := self._legacy_refusal(name, inp)) is not None:
            raise LegacyRefusal(reason)

    def _legacy_update(self, name: str, payload: Any) -> Receipt:
        inp = self._legacy_model(name, payload)
        if isinstance(inp, str):  # the validator refused it when it was live
            raise LegacyRefusal(inp)
        return self._legacy_apply(name, inp)

    def _legacy_signal(self, name: str, payload: Any) -> None:
        by = payload.get("by", "unknown") if isinstance(payload, dict) else "unknown"
        if name == _RECORDS_ONLY:
            if isinstance(payload, dict) and all(
                isinstance(payload.get(k), str) and payload.get(k) for k in ("input", "reason")
            ):
                self._legacy_refuse(payload["input"], str(by), payload["reason"])
            return
        inp = self._legacy_model(name, payload)
        if isinstance(inp, str):
            self._legacy_refuse(name, str(by), inp)
            return
        if (reason := self._legacy_refusal(name, inp)) is not None:
            self._legacy_refuse(name, str(by), reason)
            return
        self._legacy_apply(name, inp)

    def _legacy_apply(self, name: str, inp: BaseModel) -> Receipt:
        spec = CATALOG[InputName(name)]
        state = self._legacy_state()
        applied = spec.apply(state, inp, workflow.now())
        self._owner_receipt = state.owner_receipt
        by = str(getattr(inp, "by", "unknown"))
        for note in applied.notes:
            self._audit(
                note.kind, note.step, "system" if note.kind == "check" else by, note.payload
            )
        status = self._status
        repeated = applied.receipt.already_recorded
        if not repeated and spec.name is not InputName.REQUEST_DEVIATION and status.current_step:
            status.step(status.current_step).waiting_for = self._awaiting(status.current_step)
        self._woken = True
        fields = inp.model_dump(mode="json", exclude={"by"})
        if repeated:
            fields["already_recorded"] = True
        fields["input"] = spec.recorded_as
        self._audit("input_accepted", status.current_step, by, fields)
        workflow.set_current_details(current_details(status))
        return applied.receipt

    def _legacy_refuse(self, name: str, by: str, reason: str) -> None:
        self._status.add_refusal(Refusal(input=name, by=by, at=workflow.now(), reason=reason))
        self._audit("input_refused", self._status.current_step, by, input=name, reason=reason)

    def _legacy_state(self) -> InputState:
        assert self._policy is not None
        return InputState(
            status=self._status,
            contract=self._contract,
            roster=self._policy.roster,
            retry_requested=self._retry_requested,
            owner_receipt=self._owner_receipt,
        )
