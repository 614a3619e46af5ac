"""Who an onboarding waits on, and which gate or input belongs to whom.

The rules follow the workflow's own gates (`onboarding.gates`): a gate closes on one
kind of input, and that input is given by one party.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from onboarding.gates import (
    ENABLEMENT_PREFIX,
    GATES,
    OWNER_ASSIGNMENT,
    REVIEW_FEEDBACK,
    SIGN_OFF_PREFIX,
)
from onboarding.steps import SignOffGate
from records.kinds import InputName


class Party(StrEnum):
    """Whoever a wait waited on."""

    CUSTOMER = "customer"
    """The customer's admins: the customer sign-off and the review feedback."""
    STAFF = "staff"
    """LocalizeVideos staff: owner assignment, enablement evidence, platform and support
    sign-offs."""
    PLATFORM = "platform"
    """A blocked check, from the block to the retry (the platform had to be fixed)."""
    APPROVALS = "approvals"
    """A blocked check while a deviation for it was pending a second person's decision."""
    SCHEDULE = "schedule"
    """Waiting for a date by design: the post-onboarding review's date."""


PARTY_ORDER: tuple[Party, ...] = tuple(Party)
PEOPLE: tuple[Party, ...] = (Party.CUSTOMER, Party.STAFF)
"""The parties that are people (the rest is the platform, approvals and the calendar)."""

CUSTOMER_GATES = frozenset({f"{SIGN_OFF_PREFIX}{SignOffGate.CUSTOMER.value}", REVIEW_FEEDBACK})


def gate_party(gate: str) -> Party:
    """Return the party a gate waits on: the customer's gates, else staff."""
    return Party.CUSTOMER if gate in CUSTOMER_GATES else Party.STAFF


def gates_of_step(step: str) -> list[str]:
    """Return the ids of the gates the workflow opens at a step, in catalogue order."""
    return [spec.id for spec in GATES.values() if spec.step.value == step]


def gate_closed_by(payload: Mapping[str, Any]) -> str | None:
    """Return the gate an accepted input closes, or `None` (a repeat, or not a gate input)."""
    if payload.get("already_recorded"):
        return None
    name = payload.get("input")
    if name == InputName.ASSIGN_OWNER:
        return OWNER_ASSIGNMENT
    if name == InputName.ENABLEMENT and payload.get("item"):
        return f"{ENABLEMENT_PREFIX}{payload['item']}"
    if name == InputName.SIGN_OFF and payload.get("gate"):
        return f"{SIGN_OFF_PREFIX}{payload['gate']}"
    if name == InputName.FEEDBACK:
        return REVIEW_FEEDBACK
    return None
