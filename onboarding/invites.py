"""Personal links for customer admins: who gets one, for which gate, until when.

When a customer gate opens (the customer sign-off, the review feedback), and again when
its deadline moves, every named admin of the contract is sent a link of their own. The
workflow only asks for them (`Notification.link`); the sending activity makes each link,
so the secret behind it never enters workflow history.
"""

from __future__ import annotations

from datetime import datetime

from onboarding.contract import Contract
from onboarding.gates import REVIEW_FEEDBACK, SIGN_OFF_PREFIX
from onboarding.inputs import InputName
from onboarding.notifications import LinkRequest, Notification, NotificationKind
from onboarding.status import GateRecord, OnboardingStatus
from onboarding.steps import SignOffGate

CUSTOMER_GATES: dict[str, InputName] = {
    f"{SIGN_OFF_PREFIX}{SignOffGate.CUSTOMER.value}": InputName.SIGN_OFF,
    REVIEW_FEEDBACK: InputName.GIVE_FEEDBACK,
}
"""The gates a customer admin closes, and the input their link gives."""


def invites_due(
    gate: GateRecord, status: OnboardingStatus, contract: Contract, now: datetime
) -> list[Notification]:
    """The invites a gate still owes its admins (none once sent for its current deadline)."""
    input_name = CUSTOMER_GATES.get(gate.gate)
    if input_name is None or gate.invited_for == gate.deadline_moves:
        return []
    gate.invited_for = gate.deadline_moves
    what = "sign-off for go-live" if input_name is InputName.SIGN_OFF else "review feedback"
    command = (
        f"onboard sign-off {status.tenant_id} customer"
        if input_name is InputName.SIGN_OFF
        else f'onboard feedback {status.tenant_id} --text "..."'
    )
    due = gate.due_at.strftime("%Y-%m-%d %H:%M UTC")
    notices = []
    for number, admin in enumerate(contract.contacts.admins, start=1):
        body = (
            f"Hello {admin.name},\n\n"
            f"LocalizeVideos asks for your {what} of the onboarding of "
            f"{status.tenant_name} ({status.tenant_id}).\n"
            "Your personal link below shows exactly what you approve and asks you to "
            f"confirm. It works once, for you ({admin.email}) only, until {due} or until "
            "this step closes.\n"
            f"From a terminal: {command} --as {admin.email} --token LINK"
        )
        notices.append(
            Notification(
                key=f"{status.workflow_id}:{gate.gate}:invite:{gate.deadline_moves}.{number}",
                tenant_id=status.tenant_id,
                kind=NotificationKind.INVITE,
                gate=gate.gate,
                recipients=[admin.email],
                subject=f"Your {what}: {status.tenant_name}",
                body=body,
                created_at=now,
                link=LinkRequest(
                    workflow_id=status.workflow_id,
                    admin=admin.email,
                    gate=gate.gate,
                    input=input_name.value,
                    expires_at=gate.due_at,
                ),
            )
        )
    return notices
