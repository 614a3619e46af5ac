"""Human inputs to an onboarding. Each is both a validated update (CLI) and a signal (Web UI)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from onboarding.contract import Email
from onboarding.steps import EnablementItem, SignOffGate, StepKey


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: Email
    """Who sends it. Checked against the roster or the contract; never trusted blindly."""


class AssignOwner(_Input):
    """Name the onboarding owner (PHASE-33 Step 1)."""

    owner: Email


class RecordEnablement(_Input):
    """Record one customer-enablement item with its evidence (PHASE-33 Step 6)."""

    item: EnablementItem
    evidence: str = Field(min_length=1)
    """Link to the recording, document or ticket: no verbal-only enablement."""

    @field_validator("evidence")
    @classmethod
    def _is_link(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(
                "evidence must be a link (https://...) to a recording, document or ticket"
            )
        return value


class SignOff(_Input):
    """A go-live sign-off (PHASE-33 Step 7)."""

    gate: SignOffGate
    note: str | None = None


class Feedback(_Input):
    """Customer feedback captured in the post-onboarding review."""

    text: str = Field(min_length=1, max_length=10_000)


class RetryStep(_Input):
    """Run a blocked step again once its cause is fixed."""

    step: StepKey


class RequestDeviation(_Input):
    """Ask to pass over one blocked check; a second person must approve it."""

    step: StepKey
    check: str = Field(min_length=1)
    reason: str = Field(min_length=10, max_length=2000)
    """Why passing it over is acceptable, in words an auditor can judge."""


class DecideDeviation(_Input):
    """Approve or reject a requested deviation (a platform_approver, not the requester)."""

    deviation_id: str = Field(min_length=1)
    note: str | None = None


class ApproveDeviation(DecideDeviation):
    """Approve: the check is passed over and marked waived, never done."""


class RejectDeviation(DecideDeviation):
    """Reject: the step stays blocked until the cause is fixed and retried."""


class MoveDeadline(_Input):
    """Move an open gate's deadline; its reminders and escalations follow (the owner only)."""

    gate: str = Field(min_length=1, max_length=64)
    """The gate's id, as `onboard status` lists it (e.g. `sign-off:customer`)."""
    due: AwareDatetime
    """The new deadline, with its time zone; must be in the future."""
    reason: str | None = Field(default=None, max_length=2000)


class ReportRefusal(_Input):
    """The CLI reports an update the workflow refused, so the refusal is kept on record."""

    input: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class Receipt(BaseModel):
    """The answer to an input: accepted now, or already recorded earlier."""

    accepted: bool
    message: str
    already_recorded: bool = False
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    reference: str | None = None
    """An id the sender needs later, such as a deviation id."""
