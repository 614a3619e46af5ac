"""Signed inputs: the envelope every human input travels in, and how it is proven.

A signature covers canonical bytes of the workflow id, the input's name, its whole
payload, the signer, the key, the time it was signed and a random nonce, so a signed
input cannot be sent to another onboarding, passed off as another input, altered,
replayed or kept for later. Staff sign with their own Ed25519 key (public keys in the
roster); customer admins act through the approvals service, which signs with its own
key after checking their one-time link.

Pure and deterministic: the workflow verifies every input itself, before any rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from onboarding.contract import Email
from onboarding.keys import PublicKeyText, fingerprint, signature_valid

FRESHNESS = timedelta(minutes=5)
"""How old (in workflow time) a signature may be when it arrives."""
CLOCK_SKEW = timedelta(minutes=1)
"""How far in the future a signature's time may be (the signer's clock runs ahead)."""
NONCE_PATTERN = r"^[0-9a-f]{32}$"
SIGNING_VERSION = 1


class Channel(StrEnum):
    """How a proven signer reached the onboarding."""

    STAFF = "staff"
    """A member of staff, with their own key from the roster."""
    CUSTOMER = "customer"
    """A customer admin, through the approvals service (one-time link or passkey)."""


class Proof(BaseModel):
    """Who signed an input, with which key, when, for which onboarding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workflow_id: str = Field(min_length=1, max_length=200)
    """The onboarding it was signed for."""
    signer: Email
    """Who signed: a member of staff, or the customer admin the approvals service vouches for."""
    key: PublicKeyText
    """The public key the signature was made with (`ed25519:<base64>`)."""
    signed_at: AwareDatetime
    nonce: str = Field(pattern=NONCE_PATTERN)
    """128 random bits, hex: the same signed input is taken once."""
    signature: str = Field(min_length=1, max_length=200)
    """Base64 Ed25519 signature over `signing_bytes`."""


class Envelope(BaseModel):
    """An input as it travels: its name, its payload and the proof of who sent it.

    Deliberately lenient when decoded (every field has a default and extra fields are
    ignored), so that any JSON object reaches the workflow and a malformed one is
    refused there with its reason, on record, instead of failing to decode.
    """

    model_config = ConfigDict(extra="ignore")

    input: str = ""
    """The input's name, e.g. `sign_off`."""
    payload: Any = None
    """The input's fields, as JSON."""
    proof: Any = None
    """A `Proof` as JSON; absent = unsigned (always refused)."""


def signed_at_text(moment: datetime) -> str:
    """The one text of a signing time: UTC, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, ASCII: the same JSON value always gives the same text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def signing_bytes(
    *,
    workflow_id: str,
    input_name: str,
    payload: Any,
    signer: str,
    key: str,
    signed_at: datetime,
    nonce: str,
) -> bytes:
    """The bytes a signature covers (what both the signer and the verifier compute)."""
    document = {
        "v": SIGNING_VERSION,
        "workflow_id": workflow_id,
        "input": input_name,
        "payload": payload,
        "signer": signer,
        "key": key,
        "signed_at": signed_at_text(signed_at),
        "nonce": nonce,
    }
    return canonical(document).encode("ascii")


def proof_bytes(proof: Proof, input_name: str, payload: Any) -> bytes:
    """The signed bytes for a proof, as the verifier recomputes them."""
    return signing_bytes(
        workflow_id=proof.workflow_id,
        input_name=input_name,
        payload=payload,
        signer=proof.signer,
        key=proof.key,
        signed_at=proof.signed_at,
        nonce=proof.nonce,
    )


@dataclass(frozen=True)
class Verified:
    """A proven signer: who, through which channel, with which key."""

    signer: str
    channel: Channel
    key_fingerprint: str
    proof: Proof


@dataclass(frozen=True)
class Unproven:
    """Why an input's proof does not hold; `claimed` is whom it claims to come from."""

    reason: str
    claimed: str | None = None


@dataclass(frozen=True)
class Keyring:
    """The public keys the workflow accepts: each person's own, and the approvals service's."""

    staff: dict[str, tuple[str, ...]]
    """E-mail -> that person's public keys (from the roster)."""
    approvals: tuple[str, ...] = ()
    """Keys of the approvals service; it vouches for customer admins only."""


def parse_proof(raw: Any) -> Proof | Unproven:
    """Read a proof from JSON, or say why it is not one."""
    if raw is None:
        return Unproven(
            "unsigned: every input must be signed with the sender's key "
            "(`onboard keygen`, then the CLI signs; `--print-signal` for the Web UI)"
        )
    claimed = raw.get("signer") if isinstance(raw, dict) else None
    try:
        return Proof.model_validate(raw)
    except ValidationError as err:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]}))
        return Unproven(
            f"malformed proof ({fields or 'not an object'}); sign it with the onboard CLI",
            claimed if isinstance(claimed, str) else None,
        )


def verify(
    proof: Proof,
    *,
    input_name: str,
    payload: Any,
    workflow_id: str,
    keyring: Keyring,
    now: datetime,
) -> Verified | Unproven:
    """Check a proof against this onboarding, this input and the known keys.

    Args:
        proof: The proof that came with the input.
        input_name: The input's name, as the envelope gives it.
        payload: The input's payload exactly as received.
        workflow_id: The onboarding that received it.
        keyring: The keys in force (the roster's and the approvals service's).
        now: Workflow time.

    Returns:
        The verified signer, or why the proof does not hold. Replays (a nonce already
        taken) are the caller's to check: it keeps the nonces.
    """
    claimed = proof.signer
    if proof.workflow_id != workflow_id:
        return Unproven(
            f"signed for {proof.workflow_id}, not for {workflow_id}: a signature is good "
            "for one onboarding only",
            claimed,
        )
    if proof.key in keyring.approvals:
        channel = Channel.CUSTOMER
    elif proof.key in keyring.staff.get(claimed, ()):
        channel = Channel.STAFF
    elif claimed in keyring.staff and not keyring.staff[claimed]:
        return Unproven(
            f"{claimed} has no public key on the roster; run `onboard keygen --as {claimed}` "
            "and have ops add the printed public_key to the roster",
            claimed,
        )
    else:
        return Unproven(
            f"key {fingerprint(proof.key)} is not on the roster for {claimed} "
            "(unknown, rotated out or revoked)",
            claimed,
        )
    if not signature_valid(proof.key, proof.signature, proof_bytes(proof, input_name, payload)):
        return Unproven(
            "the signature does not match the input: it was altered, or signed for another input",
            claimed,
        )
    if proof.signed_at < now - FRESHNESS:
        return Unproven(
            f"signed at {signed_at_text(proof.signed_at)}, more than "
            f"{int(FRESHNESS.total_seconds() // 60)} minutes ago: sign it again",
            claimed,
        )
    if proof.signed_at > now + CLOCK_SKEW:
        return Unproven(
            f"signed at {signed_at_text(proof.signed_at)}, in the future: check the clock of "
            "the signing machine",
            claimed,
        )
    return Verified(claimed, channel, fingerprint(proof.key), proof)


def proof_record(proof: Proof, input_name: str, payload: Any) -> dict[str, Any]:
    """What the records keep of an accepted input, so an auditor can re-verify it."""
    return {
        "input": input_name,
        "payload": payload,
        "workflow_id": proof.workflow_id,
        "signer": proof.signer,
        "key": proof.key,
        "key_fingerprint": fingerprint(proof.key),
        "signed_at": signed_at_text(proof.signed_at),
        "nonce": proof.nonce,
        "signature": proof.signature,
    }


def reverify(record: dict[str, Any]) -> bool:
    """Re-check a stored `proof_record` with the public key it names (for `onboard verify`)."""
    try:
        proof = Proof.model_validate(
            {k: record[k] for k in ("workflow_id", "signer", "key", "nonce", "signature")}
            | {"signed_at": record["signed_at"]}
        )
    except (KeyError, ValidationError, TypeError):
        return False
    return signature_valid(
        proof.key, proof.signature, proof_bytes(proof, record["input"], record["payload"])
    )
