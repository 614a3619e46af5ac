"""The records key: every entry and the head of every onboarding's chain are signed.

A person with write access to the database can recompute SHA-256 hashes, but not these
signatures: the private key lives outside the database (a key file named in the
settings; `onboard dev` creates one for the embedded stack). `onboard verify` checks
them with the public keys alone, so an auditor needs no secret.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from onboarding.keys import fingerprint, public_key_text, signature_valid


def entry_message(tenant_id: str, seq: int, entry_hash: str) -> bytes:
    """What an entry's signature covers: its place in its chain and its hash."""
    return f"localizevideos-records:entry:{tenant_id}:{seq}:{entry_hash}".encode()


def head_message(tenant_id: str, head_seq: int, head_hash: str | None) -> bytes:
    """What the head's signature covers: the newest entry's number and hash."""
    return f"localizevideos-records:head:{tenant_id}:{head_seq}:{head_hash or ''}".encode()


@dataclass(frozen=True)
class RecordsSigner:
    """The worker's records key (private): signs what the store writes."""

    key: Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        from cryptography.hazmat.primitives import serialization

        raw = self.key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return public_key_text(raw)

    @property
    def key_id(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode("ascii")

    def verifier(self) -> RecordsVerifier:
        return RecordsVerifier.of([self.public_key])


@dataclass(frozen=True)
class RecordsVerifier:
    """The records keys' public halves, by key id: enough to check every signature."""

    keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, public_keys: list[str]) -> RecordsVerifier:
        """Accept signatures by any of these keys (an old one stays during a rotation)."""
        return cls({fingerprint(k): k for k in public_keys})

    def valid(self, key_id: str | None, signature: str | None, message: bytes) -> bool:
        if not key_id or not signature or key_id not in self.keys:
            return False
        return signature_valid(self.keys[key_id], signature, message)
