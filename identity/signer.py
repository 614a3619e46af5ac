"""Signing inputs: what the CLI, the demo and the approvals service put around an input."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.keyfiles import public_text
from onboarding.proof import Envelope, Proof, signing_bytes


@dataclass(frozen=True)
class Signer:
    """One identity and its private key: a person (staff) or the approvals service."""

    email: str
    """Who the signature says signed: the person, or the admin the service vouches for."""
    key: Ed25519PrivateKey

    def sign(
        self,
        workflow_id: str,
        input_name: str,
        payload: dict[str, Any],
        *,
        at: datetime | None = None,
    ) -> Envelope:
        """Return the signed envelope of one input for one onboarding.

        Args:
            workflow_id: The onboarding it is for (`onboarding-<tenant>`).
            input_name: The input's name (an `InputName` value, or `start`).
            payload: The input's fields as JSON (`model_dump(mode="json")`).
            at: The signing time; now unless given (tests on a time-skipping server give
                the server's time).
        """
        signed_at = (at or datetime.now(UTC)).astimezone(UTC)
        email = self.email.strip().lower()  # as the verifier reads it
        nonce = secrets.token_hex(16)
        key_text = public_text(self.key)
        message = signing_bytes(
            workflow_id=workflow_id,
            input_name=input_name,
            payload=payload,
            signer=email,
            key=key_text,
            signed_at=signed_at,
            nonce=nonce,
        )
        proof = Proof(
            workflow_id=workflow_id,
            signer=email,
            key=key_text,
            signed_at=signed_at,
            nonce=nonce,
            signature=base64.b64encode(self.key.sign(message)).decode("ascii"),
        )
        return Envelope(input=input_name, payload=payload, proof=proof.model_dump(mode="json"))
