"""Every human input, declared once: its name, model, who may give it, what it changes.

The workflow's one input pipeline reads this table for the update, the signal and the
Web UI alike: parse the payload into `model`, check the verified signer came through
one of `channels`, apply `refusal` (the role and timing rules of `onboarding.rules`),
then `apply` (`onboarding.effects`). Adding an input is one entry and its rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from onboarding import effects
from onboarding.effects import Applied, InputState
from onboarding.inputs import (
    ApproveDeviation,
    AssignOwner,
    Feedback,
    InputName,
    LinkRefused,
    MoveDeadline,
    RecordEnablement,
    RejectDeviation,
    RequestDeviation,
    RetryStep,
    SignOff,
)
from onboarding.proof import Channel
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
from onboarding.steps import SignOffGate

Rule = Callable[[InputState, Any, datetime], str | None]
Effect = Callable[[InputState, Any, datetime], Applied]

STAFF = frozenset({Channel.STAFF})
CUSTOMER = frozenset({Channel.CUSTOMER})
EITHER = frozenset({Channel.STAFF, Channel.CUSTOMER})


@dataclass(frozen=True)
class InputSpec:
    """One human input and everything the pipeline needs to take it."""

    name: InputName
    model: type[BaseModel]
    title: str
    """In words, for refusals and the Web UI."""
    channels: frozenset[Channel]
    """Through which channels a proven signer may give it."""
    refusal: Rule
    """Why it may not be taken now (None: it may)."""
    apply: Effect
    recorded_as: str
    """Its name in the records (`input` of `input_accepted` entries; the export reads it)."""
    report_only: bool = False
    """A report of a refusal made elsewhere: recorded as that refusal, not as an input."""


def _customer_or_staff_sign_off(state: InputState, inp: SignOff, now: datetime) -> str | None:
    del now
    return refusal_sign_off(state.status, state.roster, state.contract, inp)


def _never(state: InputState, inp: Any, now: datetime) -> str | None:
    return None


CATALOG: dict[InputName, InputSpec] = {
    spec.name: spec
    for spec in (
        InputSpec(
            InputName.ASSIGN_OWNER,
            AssignOwner,
            "owner assignment",
            STAFF,
            lambda s, inp, now: refusal_assign_owner(s.status, s.roster, inp),
            effects.assign_owner,
            "assign_owner",
        ),
        InputSpec(
            InputName.RECORD_ENABLEMENT,
            RecordEnablement,
            "enablement evidence",
            STAFF,
            lambda s, inp, now: refusal_enablement(s.status, s.roster, inp),
            effects.record_enablement,
            "enablement",
        ),
        InputSpec(
            InputName.SIGN_OFF,
            SignOff,
            "go-live sign-off",
            EITHER,
            _customer_or_staff_sign_off,
            effects.sign_off,
            "sign_off",
        ),
        InputSpec(
            InputName.GIVE_FEEDBACK,
            Feedback,
            "review feedback",
            EITHER,
            lambda s, inp, now: refusal_feedback(s.status, s.roster, s.contract, inp),
            effects.give_feedback,
            "feedback",
        ),
        InputSpec(
            InputName.RETRY_STEP,
            RetryStep,
            "retry of a blocked step",
            STAFF,
            lambda s, inp, now: refusal_retry(s.status, s.roster, inp),
            effects.retry_step,
            "retry",
        ),
        InputSpec(
            InputName.REQUEST_DEVIATION,
            RequestDeviation,
            "deviation request",
            STAFF,
            lambda s, inp, now: refusal_request_deviation(s.status, s.roster, inp),
            effects.request_deviation,
            "deviation_request",
        ),
        InputSpec(
            InputName.APPROVE_DEVIATION,
            ApproveDeviation,
            "deviation approval",
            STAFF,
            lambda s, inp, now: refusal_decide_deviation(s.status, s.roster, inp),
            effects.decide_deviation,
            "deviation_approval",
        ),
        InputSpec(
            InputName.REJECT_DEVIATION,
            RejectDeviation,
            "deviation rejection",
            STAFF,
            lambda s, inp, now: refusal_decide_deviation(s.status, s.roster, inp),
            effects.decide_deviation,
            "deviation_rejection",
        ),
        InputSpec(
            InputName.MOVE_DEADLINE,
            MoveDeadline,
            "deadline move",
            STAFF,
            lambda s, inp, now: refusal_move_deadline(s.status, s.roster, inp, now),
            effects.move_gate_deadline,
            "deadline",
        ),
        InputSpec(
            InputName.LINK_REFUSED,
            LinkRefused,
            "refused customer link",
            CUSTOMER,
            _never,
            effects.link_refused,
            "link_refused",
            report_only=True,
        ),
    )
}


def channel_refusal(spec: InputSpec, inp: BaseModel, channel: Channel) -> str | None:
    """Why this signer's channel may not give this input (None: it may).

    Customer admins act only through the approvals service, and it only for them: a
    staff key never signs for the customer, and the service's key signs nothing but a
    customer admin's own sign-off and feedback.
    """
    customer_gate = isinstance(inp, SignOff) and inp.gate is SignOffGate.CUSTOMER
    if channel is Channel.STAFF and customer_gate:
        return (
            "a staff key cannot sign for the customer: the customer sign-off comes from a "
            "named admin through their personal link"
        )
    if channel is Channel.CUSTOMER and isinstance(inp, SignOff) and not customer_gate:
        return "the approvals service vouches for customer admins only; this sign-off is staff's"
    if channel not in spec.channels:
        if channel is Channel.CUSTOMER:
            return f"{spec.title} is given by staff with their own key, not through a customer link"
        return f"{spec.title} comes from the approvals service only"
    return None
