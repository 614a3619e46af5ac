"""Test identities: a key for every person of the test rosters and for the approvals service.

Keys are made fresh for each test process (never committed), so nothing here is a
well-known key; the rosters the tests load list their public halves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel
from temporalio.client import Client

from identity.keyfiles import public_text
from identity.signer import Signer
from onboarding.proof import Envelope
from onboarding.roster import Person, Roster

OWNER = "olivia@localizevideos.example"
APPROVER = "priya@localizevideos.example"
SUPPORT = "sven@localizevideos.example"
TWO_HATS = "dana@localizevideos.example"
MALLORY = "mallory@evil.example"
"""Not on any roster; has a key of her own."""


@cache
def key_of(who: str) -> Ed25519PrivateKey:
    """The private key of a test person (or `approvals` for the service), made once."""
    return Ed25519PrivateKey.generate()


def public_of(who: str) -> str:
    return public_text(key_of(who))


def signer(who: str) -> Signer:
    """A member of staff signing with their own key."""
    return Signer(email=who, key=key_of(who))


def service_for(admin: str) -> Signer:
    """The approvals service vouching for a customer admin (after checking their link)."""
    return Signer(email=admin, key=key_of("approvals"))


def approvals_public() -> str:
    return public_of("approvals")


def with_keys(roster: Roster) -> Roster:
    """The roster with every person's test key listed."""
    return Roster(
        people=[
            Person.model_validate({**p.model_dump(), "public_keys": [public_of(p.email)]})
            for p in roster.people
        ]
    )


def is_staff(roster: Roster, who: str) -> bool:
    return roster.find(who) is not None


async def time_of(client: Client) -> datetime:
    """Now, for a signature: the time-skipping server's clock when there is one."""
    try:
        reply = await client.test_service.get_current_time(_empty())
    except Exception:  # a dev server has no test service: its time is the wall clock
        return datetime.now(UTC)
    return reply.time.ToDatetime().replace(tzinfo=UTC)


def _empty() -> Any:
    from google.protobuf.empty_pb2 import Empty

    return Empty()


def sign(
    workflow_id: str,
    name: str,
    payload: BaseModel | dict[str, Any],
    *,
    by: Signer,
    at: datetime | None = None,
) -> Envelope:
    """Sign an input the way the CLI (or the approvals service) does."""
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    return by.sign(workflow_id, name, data, at=at)
