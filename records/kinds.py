"""What an entry of the records says happened. Pure: safe to import in the workflow sandbox."""

from __future__ import annotations

from enum import StrEnum


class EntryKind(StrEnum):
    """The kind of one entry in an onboarding's append-only record."""

    ONBOARDING_OPENED = "onboarding_opened"
    """The onboarding was recorded; the payload holds the workflow id and the contract."""
    STEP_STARTED = "step_started"
    STEP_FINISHED = "step_finished"
    WAIT_STARTED = "wait_started"
    """The step began waiting for people (an owner, evidence, sign-offs) or for time."""
    WAIT_FINISHED = "wait_finished"
    CHECK = "check"
    INPUT_ACCEPTED = "input_accepted"
    INPUT_REFUSED = "input_refused"
    DEVIATION_REQUESTED = "deviation_requested"
    DEVIATION_APPROVED = "deviation_approved"
    DEVIATION_REJECTED = "deviation_rejected"
    ARTIFACT = "artifact"
    DOCUMENT_DELIVERED = "document_delivered"
    NOTIFICATION = "notification"
    SUPPORT_REGISTERED = "support_registered"
    DEADLINE_MOVED = "deadline_moved"
    """The owner moved an open gate's deadline; its reminders and escalations followed."""
    CONTINUED_AS_NEW = "continued_as_new"
    """The workflow's history reached its budget; a new run took over all the state."""


STEP_KINDS: frozenset[EntryKind] = frozenset(
    {
        EntryKind.STEP_STARTED,
        EntryKind.STEP_FINISHED,
        EntryKind.WAIT_STARTED,
        EntryKind.WAIT_FINISHED,
        EntryKind.CHECK,
        EntryKind.DEVIATION_REQUESTED,
    }
)
"""Kinds that always belong to a step: appending one without a step is refused."""


class StepOutcome(StrEnum):
    """How a run of a step ended (payload `status` of a `step_finished` entry)."""

    DONE = "done"
    WAIVED = "waived"
    """Passed over by an approved deviation; the payload names it."""
    BLOCKED = "blocked"
    """A check failed; the step runs again once the cause is fixed."""
    FAILED = "failed"


class InputName(StrEnum):
    """Human inputs the export reads specially (payload `input` of input entries)."""

    ASSIGN_OWNER = "assign_owner"
    SIGN_OFF = "sign_off"
    ENABLEMENT = "enablement"
    FEEDBACK = "feedback"
    RETRY = "retry"
