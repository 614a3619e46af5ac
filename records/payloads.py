"""The payload each kind of entry must carry, checked when it is appended.

The export reads these fields, so an entry that lacks them is refused at write time
rather than discovered missing by an auditor. Extra fields are allowed and kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from records.kinds import EntryKind, StepOutcome


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class OnboardingOpened(_Payload):
    workflow_id: str = Field(min_length=1)
    contract: dict[str, Any]
    """The contract summary, as stored on the onboarding row."""


class StepStarted(_Payload):
    run: int | None = Field(default=None, ge=1)
    """1 for the first run of the step, 2 after the first retry, and so on."""


class StepFinished(_Payload):
    status: StepOutcome
    run: int | None = Field(default=None, ge=1)
    deviation_id: str | None = None
    """The approved deviation that let the step pass (required when `waived`)."""
    reason: str | None = None
    go_live_at: str | None = None
    """For the go-live step: the recorded go-live time (ISO 8601)."""

    @model_validator(mode="after")
    def _waiver_names_deviation(self) -> StepFinished:
        if self.status is StepOutcome.WAIVED and not self.deviation_id:
            raise ValueError("a waived step must name the approved deviation (deviation_id)")
        return self


class Waiting(_Payload):
    waiting_for: str = Field(min_length=1)
    """Who or what the step waits for, in words."""


class Check(_Payload):
    name: str = Field(min_length=1)
    passed: bool
    detail: str
    expected: Any = None
    observed: Any = None
    checked_at: str | None = None


class InputAccepted(_Payload):
    input: str = Field(min_length=1)
    """Which input (see `records.kinds.InputName`); its fields sit beside it."""


class InputRefused(_Payload):
    input: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class DeviationRequested(_Payload):
    deviation_id: str = Field(min_length=1)
    check: str = Field(min_length=1)
    """The blocked check the requester wants passed over."""
    reason: str = Field(min_length=1)


class DeviationDecided(_Payload):
    deviation_id: str = Field(min_length=1)
    note: str | None = None


class Artifact(_Payload):
    name: str = Field(min_length=1)
    location: str = Field(min_length=1)
    """Where it is stored: ticket URL, git path, file path."""
    sha256: str | None = None


class DocumentDelivered(_Payload):
    document: str = Field(min_length=1)
    template_version: str = Field(min_length=1)
    content_hash: str = Field(min_length=1)
    recipients: list[str] = Field(min_length=1)


class Notification(_Payload):
    channel: str = Field(min_length=1)
    recipients: list[str]
    subject: str


class Severity(_Payload):
    level: str = Field(min_length=1)
    definition: str
    response: str
    """Response expectation, e.g. "15 minutes, 24x7"."""


class SupportRegistered(_Payload):
    primary_channel: str = Field(min_length=1)
    escalation_contacts: list[dict[str, Any]] = Field(min_length=1)
    severities: list[Severity] = Field(min_length=1)
    reference: str | None = None
    """The registration's id in the platform's support system."""


class DeadlineMoved(_Payload):
    gate: str = Field(min_length=1)
    due_at: str = Field(min_length=1)
    previous_due_at: str = Field(min_length=1)
    reason: str | None = None


class ContinuedAsNew(_Payload):
    history_events: int = Field(ge=1)
    """Events in the run's history when it handed over."""
    run: int = Field(ge=2)
    """The number of the run that takes over."""


PAYLOADS: dict[EntryKind, type[_Payload]] = {
    EntryKind.ONBOARDING_OPENED: OnboardingOpened,
    EntryKind.STEP_STARTED: StepStarted,
    EntryKind.STEP_FINISHED: StepFinished,
    EntryKind.WAIT_STARTED: Waiting,
    EntryKind.WAIT_FINISHED: Waiting,
    EntryKind.CHECK: Check,
    EntryKind.INPUT_ACCEPTED: InputAccepted,
    EntryKind.INPUT_REFUSED: InputRefused,
    EntryKind.DEVIATION_REQUESTED: DeviationRequested,
    EntryKind.DEVIATION_APPROVED: DeviationDecided,
    EntryKind.DEVIATION_REJECTED: DeviationDecided,
    EntryKind.ARTIFACT: Artifact,
    EntryKind.DOCUMENT_DELIVERED: DocumentDelivered,
    EntryKind.NOTIFICATION: Notification,
    EntryKind.SUPPORT_REGISTERED: SupportRegistered,
    EntryKind.DEADLINE_MOVED: DeadlineMoved,
    EntryKind.CONTINUED_AS_NEW: ContinuedAsNew,
}


def validate_payload(kind: EntryKind, canonical: str) -> None:
    """Check an entry's payload against its kind.

    Args:
        kind: The entry's kind.
        canonical: The payload as canonical JSON text (what will be stored and hashed).

    Raises:
        ValueError: A required field is missing or has the wrong type.
    """
    PAYLOADS[kind].model_validate_json(canonical)
