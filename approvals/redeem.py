"""Redeeming a customer's one-time link: checked here, then signed and sent to the workflow.

The link proves who is acting (only that admin received it); the service turns it into
that admin's input, signed with the service's key, which the workflow accepts for
customer gates only. Every refusal of a link that can be tied to an onboarding is kept
on that onboarding's record (a `link_refused` report, signed by the service).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.client import Client
from temporalio.service import RPCError

from approvals.links import LinkStore
from approvals.tokens import checked_link_id, token_from
from identity.signer import Signer
from onboarding.inputs import InputName
from records.models import CustomerLink
from records.times import as_utc
from starter import ops
from starter.errors import CliError, ExitCode
from workflows.inputs import INPUT_SIGNAL

NOTE_MAX_LENGTH = 2000
FEEDBACK_MAX_LENGTH = 10_000


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_RECORDED = "already_recorded"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Redeemed:
    """The answer to one redemption, for the page and the CLI."""

    outcome: Outcome
    message: str
    receipt: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenLink:
    """A genuine, unused, unexpired link: what it is for."""

    row: CustomerLink


class Redeemer:
    """Holds the link table, the link key, the service's signing key and a Temporal client."""

    def __init__(
        self,
        links: LinkStore,
        link_key: bytes,
        service_key: Ed25519PrivateKey,
        client: Client,
    ) -> None:
        self._links = links
        self._link_key = link_key
        self._service_key = service_key
        self._client = client

    @property
    def client(self) -> Client:
        return self._client

    async def find(self, token_text: str) -> CustomerLink | Redeemed:
        """The link a token names, or why it names none (forged, unknown)."""
        token = token_from(token_text)
        link_id = checked_link_id(self._link_key, token) if token else None
        if link_id is None:
            return Redeemed(
                Outcome.REFUSED,
                "this is not a working link: check you copied all of it, or ask for a new one",
            )
        row = await asyncio.to_thread(self._links.find, link_id)
        if row is None:
            return Redeemed(Outcome.REFUSED, "this link is not known (or no longer)")
        return row

    def problem(self, row: CustomerLink, now: datetime) -> Redeemed | None:
        """Why a known link cannot be used now (used, expired), else None."""
        if row.used_at is not None:
            receipt = row.receipt or {}
            message = str(receipt.get("message") or f"{row.input} recorded")
            by = receipt.get("recorded_by") or row.admin
            at = receipt.get("recorded_at") or as_utc(row.used_at).isoformat()
            return Redeemed(
                Outcome.ALREADY_RECORDED,
                f"already recorded: {message} by {by} at {at}; this link has been used, "
                "nothing changed",
                receipt,
            )
        if now >= as_utc(row.expires_at):
            return Redeemed(
                Outcome.REFUSED,
                f"this link expired at {as_utc(row.expires_at).isoformat()}; ask your "
                "onboarding owner at LocalizeVideos to move the deadline (a new link follows)",
            )
        return None

    async def redeem(
        self,
        token_text: str,
        as_email: str,
        fields: dict[str, Any],
        tenant_id: str | None = None,
    ) -> Redeemed:
        """Use a link: the admin's input goes to the workflow, signed by the service.

        Args:
            token_text: The link as it arrived, or the token alone.
            as_email: Who says they are redeeming it (must be the admin it was sent to).
            fields: The input's own fields: `note` for a sign-off, `text` for feedback.
            tenant_id: The tenant the redeemer means, if they say (the CLI does).
        """
        found = await self.find(token_text)
        if isinstance(found, Redeemed):
            return found
        row = found
        now = datetime.now(UTC)
        who = as_email.strip().lower()
        if tenant_id is not None and tenant_id != row.tenant_id:
            await self._report(row, who, f"used for another tenant ({tenant_id[:64]})")
            return Redeemed(
                Outcome.REFUSED,
                f"this link is for the onboarding of {row.tenant_id}, not {tenant_id[:64]}",
            )
        if who != row.admin:
            await self._report(row, who, "redeemed as another address than it was sent to")
            return Redeemed(
                Outcome.REFUSED,
                f"this link was sent to someone else, not to {who}: only the admin it was "
                "sent to may use it (a staff member never signs for the customer)",
            )
        if (problem := self.problem(row, now)) is not None:
            reason = "used again" if problem.outcome is Outcome.ALREADY_RECORDED else "expired"
            await self._report(row, who, f"link {reason}")
            return problem
        payload = _payload(row.input, fields)
        if isinstance(payload, str):
            return Redeemed(Outcome.REFUSED, payload)
        envelope = Signer(row.admin, self._service_key).sign(row.workflow_id, row.input, payload)
        try:
            receipt = await ops.send_input(self._client, row.tenant_id, envelope)
        except CliError as err:
            if err.code in (ExitCode.UNAVAILABLE, ExitCode.BUSY):
                return Redeemed(Outcome.UNAVAILABLE, err.message)
            return Redeemed(Outcome.REFUSED, err.message.removeprefix("refused: "))
        recorded = receipt.model_dump(mode="json")
        await asyncio.to_thread(self._links.mark_used, row.link_id, recorded, now)
        outcome = Outcome.ALREADY_RECORDED if receipt.already_recorded else Outcome.ACCEPTED
        prefix = "already recorded: " if receipt.already_recorded else "recorded: "
        return Redeemed(outcome, prefix + receipt.message, recorded)

    async def _report(self, row: CustomerLink, attempted_as: str, reason: str) -> None:
        """Put a refused link on the onboarding's record (best effort: it may have ended)."""
        envelope = Signer(row.admin, self._service_key).sign(
            row.workflow_id,
            InputName.LINK_REFUSED.value,
            {
                "by": row.admin,
                "gate": row.gate,
                "attempted_as": attempted_as[:254],
                "reason": reason,
            },
        )
        handle = self._client.get_workflow_handle(row.workflow_id)
        with contextlib.suppress(RPCError):
            await handle.signal(INPUT_SIGNAL, envelope.model_dump(mode="json"))


def _payload(input_name: str, fields: dict[str, Any]) -> dict[str, Any] | str:
    """The input's payload from what the admin entered, or why it cannot be one."""
    if input_name == InputName.SIGN_OFF.value:
        note = fields.get("note")
        note = str(note).strip() if note else None
        if note and len(note) > NOTE_MAX_LENGTH:
            return f"the note is longer than {NOTE_MAX_LENGTH} characters"
        return {"gate": "customer", "note": note or None}
    if input_name == InputName.GIVE_FEEDBACK.value:
        text = str(fields.get("text") or "").strip()
        if not text:
            return "feedback needs its text"
        if len(text) > FEEDBACK_MAX_LENGTH:
            return f"feedback is longer than {FEEDBACK_MAX_LENGTH} characters"
        return {"text": text}
    return f"this link is for {input_name}, which the service does not take"
