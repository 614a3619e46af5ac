"""Human inputs to an onboarding: their names and payloads.

Each travels signed in an `onboarding.proof.Envelope`, as the `input` update (the CLI) or
as a signal (the Web UI); `onboarding.catalog` says who may give each and what it changes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from onboarding.contract import Email
from onboarding.limits import NOTE_MAX, FeedbackText, Note
from onboarding.links import EvidenceLink
from onboarding.steps import EnablementItem, SignOffGate, StepKey
from onboarding.text import SafeLine, check_lines


class InputName(StrEnum):
    """Every human input, by the name it travels under (and the Web UI signal's name)."""

    ASSIGN_OWNER = "assign_owner"
    RECORD_ENABLEMENT = "record_enablement"
    SIGN_OFF = "sign_off"
    GIVE_FEEDBACK = "give_feedback"
    RETRY_STEP = "retry_step"
    REQUEST_DEVIATION = "request_deviation"
    APPROVE_DEVIATION = "approve_deviation"
    REJECT_DEVIATION = "reject_deviation"
    MOVE_DEADLINE = "move_deadline"
    LINK_REFUSED = "link_refused"
    """The approvals service reports a customer link it refused (expired, used, not theirs)."""


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: Email
    """Who gives it: always the signer the proof verified (a payload naming someone else
    is refused); the rules then check the roster or the contract."""


class AssignOwner(_Input):
    """Name the onboarding owner (PHASE-33 Step 1)."""

    owner: Email


class RecordEnablement(_Input):
    """Record one customer-enablement item with its evidence (PHASE-33 Step 6)."""

    item: EnablementItem
    evidence: EvidenceLink
    """An https link to the recording, document or ticket: no verbal-only enablement."""


class SignOff(_Input):
    """A go-live sign-off (PHASE-33 Step 7)."""

    gate: SignOffGate
    note: Note | None = None


class Feedback(_Input):
    """Customer feedback captured in the post-onboarding review."""

    text: FeedbackText


class RetryStep(_Input):
    """Run a blocked step again once its cause is fixed."""

    step: StepKey


class RequestDeviation(_Input):
    """Ask to pass over one blocked check; a second person must approve it."""

    step: StepKey
    check: SafeLine = Field(min_length=1, max_length=64)
    reason: Annotated[str, Field(min_length=10, max_length=NOTE_MAX), AfterValidator(check_lines)]
    """Why passing it over is acceptable, in words an auditor can judge."""


class DecideDeviation(_Input):
    """Approve or reject a requested deviation (a platform_approver, not the requester)."""

    deviation_id: str = Field(min_length=1, max_length=16, pattern=r"^DEV-[0-9]{1,6}$")
    note: Note | None = None


class ApproveDeviation(DecideDeviation):
    """Approve: the check is passed over and marked waived, never done."""


class RejectDeviation(DecideDeviation):
    """Reject: the step stays blocked until the cause is fixed and retried."""


class MoveDeadline(_Input):
    """Move an open gate's deadline; its reminders and escalations follow (the owner only)."""

    gate: SafeLine = Field(min_length=1, max_length=64)
    """The gate's id, as `onboard status` lists it (e.g. `sign-off:customer`)."""
    due: AwareDatetime
    """The new deadline, with its time zone; must be in the future."""
    reason: Note | None = None


class LinkRefused(_Input):
    """The approvals service refused a customer's one-time link; kept on record.

    Only the approvals service may send it; `by` is the admin the link was sent to.
    """

    gate: SafeLine = Field(min_length=1, max_length=64)
    attempted_as: SafeLine = Field(min_length=1, max_length=254)
    """The address the person redeeming it gave."""
    reason: SafeLine = Field(min_length=1, max_length=500)


class Receipt(BaseModel):
    """The answer to an input: accepted now, or already recorded earlier."""

    accepted: bool
    message: str
    already_recorded: bool = False
    recorded_by: str | None = None
    recorded_at: datetime | None = None
    reference: str | None = None
    """An id the sender needs later, such as a deviation id."""
