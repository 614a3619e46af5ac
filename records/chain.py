"""The tamper-evident hash chain over an onboarding's entries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import UnknownTenant
from records.kinds import EntryKind
from records.models import Entry, Onboarding
from records.signing import RecordsVerifier, entry_message, head_message
from records.times import iso_utc

GENESIS_HASH = "0" * 64
"""The `prev_hash` of an onboarding's first entry."""


def canonical_json(value: Any) -> str:
    """Return the one text of a JSON value: sorted keys, no spaces, ASCII only.

    Raises:
        TypeError: The value holds something JSON cannot represent.
        ValueError: The value holds NaN or an infinity.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def entry_hash(
    *,
    tenant_id: str,
    seq: int,
    kind: str,
    step: str | None,
    actor: str,
    occurred_at: datetime,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """Return the SHA-256 (hex) of an entry's canonical serialisation."""
    document = {
        "tenant": tenant_id,
        "seq": seq,
        "kind": kind,
        "step": step,
        "actor": actor,
        "occurred_at": iso_utc(occurred_at),
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(document).encode("ascii")).hexdigest()


def hash_of(entry: Entry, tenant_id: str) -> str:
    """Return the hash an entry should carry, recomputed from its stored fields."""
    return entry_hash(
        tenant_id=tenant_id,
        seq=entry.seq,
        kind=entry.kind,
        step=entry.step,
        actor=entry.actor,
        occurred_at=entry.occurred_at,
        payload=entry.payload,
        prev_hash=entry.prev_hash,
    )


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of re-computing one onboarding's chain."""

    ok: bool
    entries: int
    """How many entries were read."""
    first_bad_seq: int | None = None
    """The first entry that was changed, is missing or does not follow its predecessor."""
    reason: str | None = None
    """What is wrong, in words (None when ok)."""
    signatures_checked: bool = False
    """Whether the records key's signatures were checked too (not only the hashes)."""


def verify(
    session: Session, tenant_id: str, verifier: RecordsVerifier | None = None
) -> VerifyResult:
    """Re-compute a tenant's chain from the database.

    Args:
        session: An open session; only read.
        tenant_id: The tenant whose onboarding to check.

    Raises:
        UnknownTenant: No onboarding is recorded for the tenant.
    """
    onboarding = session.scalars(
        select(Onboarding).where(Onboarding.tenant_id == tenant_id)
    ).one_or_none()
    if onboarding is None:
        raise UnknownTenant(tenant_id)
    entries = session.scalars(
        select(Entry).where(Entry.onboarding_id == onboarding.id).order_by(Entry.seq)
    ).all()
    return verify_entries(onboarding, entries, verifier)


def verify_entries(
    onboarding: Onboarding, entries: Sequence[Entry], verifier: RecordsVerifier | None = None
) -> VerifyResult:
    """Re-compute a chain from an onboarding row and its entries, ordered by seq.

    With a verifier, every entry's and the head's records-key signature is checked too:
    hashes anyone can recompute, signatures only the records key can make.
    """
    count = len(entries)
    prev_hash = GENESIS_HASH
    for expected_seq, entry in enumerate(entries, start=1):
        problem = _entry_problem(onboarding, entry, expected_seq, prev_hash)
        if problem is None and verifier is not None:
            problem = _signature_problem(onboarding, entry, verifier)
        if problem is not None:
            bad_seq, reason = problem
            return VerifyResult(False, count, bad_seq, reason)
        prev_hash = entry.hash
    head = _head_problem(onboarding, entries)
    if head is None and verifier is not None:
        head = _head_signature_problem(onboarding, count, verifier)
    return head or VerifyResult(True, count, signatures_checked=verifier is not None)


def _signature_problem(
    onboarding: Onboarding, entry: Entry, verifier: RecordsVerifier
) -> tuple[int, str] | None:
    message = entry_message(onboarding.tenant_id, entry.seq, entry.hash)
    if verifier.valid(entry.key_id, entry.signature, message):
        return None
    return entry.seq, (
        f"entry {entry.seq} is not signed by the records key: it was rewritten (hashes "
        "recomputed) or written by something other than the worker"
    )


def _head_signature_problem(
    onboarding: Onboarding, count: int, verifier: RecordsVerifier
) -> VerifyResult | None:
    message = head_message(onboarding.tenant_id, onboarding.head_seq, onboarding.head_hash)
    if verifier.valid(onboarding.head_key_id, onboarding.head_signature, message):
        return None
    return VerifyResult(
        False,
        count,
        count or None,
        "the onboarding's head is not signed by the records key: it was moved (entries "
        "removed from the end and the head rewritten)",
    )


def _entry_problem(
    onboarding: Onboarding, entry: Entry, expected_seq: int, prev_hash: str
) -> tuple[int, str] | None:
    if entry.seq != expected_seq:
        return expected_seq, (
            f"entry {expected_seq} is missing: the entry after {expected_seq - 1} "
            f"is numbered {entry.seq}"
        )
    if not hmac.compare_digest(hash_of(entry, onboarding.tenant_id), entry.hash):
        return entry.seq, f"entry {entry.seq} was changed: its content does not match its hash"
    if entry.prev_hash != prev_hash:
        return entry.seq, (
            f"entry {entry.seq} does not follow entry {entry.seq - 1}: "
            "its prev_hash is not that entry's hash (an entry was replaced or removed)"
        )
    if entry.seq == 1:
        return _opening_problem(onboarding, entry)
    return None


def _opening_problem(onboarding: Onboarding, first: Entry) -> tuple[int, str] | None:
    recorded = first.payload
    if first.kind != EntryKind.ONBOARDING_OPENED:
        return 1, f"entry 1 is a {first.kind!r} entry, not the opening of the onboarding"
    if recorded.get("workflow_id") != onboarding.workflow_id or canonical_json(
        recorded.get("contract")
    ) != canonical_json(onboarding.contract):
        return 1, (
            "the onboarding row was changed: its workflow id or contract differs from "
            "what entry 1 recorded"
        )
    return None


def _head_problem(onboarding: Onboarding, entries: Sequence[Entry]) -> VerifyResult | None:
    count = len(entries)
    last_hash = entries[-1].hash if entries else None
    if onboarding.head_seq > count:
        return VerifyResult(
            False,
            count,
            count + 1,
            f"entries {count + 1} to {onboarding.head_seq} are missing: "
            f"the onboarding's newest entry is {onboarding.head_seq}",
        )
    if onboarding.head_seq != count or onboarding.head_hash != last_hash:
        return VerifyResult(
            False,
            count,
            count or None,
            f"the onboarding's head (entry {onboarding.head_seq}) does not match "
            f"the newest entry ({count})",
        )
    return None
