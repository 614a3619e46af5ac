"""Ed25519 public keys as text, their fingerprints, and signature checks.

Pure and deterministic, so the workflow may verify signatures itself. A public key is
written `ed25519:<base64 of its 32 raw bytes>`, as `onboard keygen` prints it and the
roster lists it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Annotated

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import AfterValidator

KEY_PREFIX = "ed25519:"
RAW_KEY_LENGTH = 32
SIGNATURE_LENGTH = 64
PUBLIC_KEY_TEXT_LENGTH = len(KEY_PREFIX) + 44
"""`ed25519:` and the base64 of 32 bytes (44 characters with padding)."""


class BadKey(ValueError):
    """A text that is not an `ed25519:<base64>` public key."""


def raw_public_key(text: str) -> bytes:
    """Return the 32 raw bytes of a public key written as text.

    Raises:
        BadKey: The text is not `ed25519:` followed by the base64 of 32 bytes.
    """
    if not isinstance(text, str) or not text.startswith(KEY_PREFIX):
        raise BadKey("a public key is written ed25519:<base64>, as `onboard keygen` prints it")
    try:
        raw = base64.b64decode(text.removeprefix(KEY_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise BadKey("the public key is not valid base64") from None
    if len(raw) != RAW_KEY_LENGTH:
        raise BadKey(f"an Ed25519 public key has {RAW_KEY_LENGTH} bytes, this one {len(raw)}")
    return raw


def public_key_text(raw: bytes) -> str:
    """Write 32 raw public key bytes as `ed25519:<base64>`."""
    return KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def fingerprint(text: str) -> str:
    """A short, stable name of a public key: `SHA256:` and 16 hex digits of its hash."""
    return "SHA256:" + hashlib.sha256(raw_public_key(text)).hexdigest()[:16]


def signature_valid(public_key: str, signature_b64: str, data: bytes) -> bool:
    """Whether a base64 Ed25519 signature over `data` was made with the key's private half.

    Never raises: a malformed key or signature is simply not valid.
    """
    try:
        key = Ed25519PublicKey.from_public_bytes(raw_public_key(public_key))
        signature = base64.b64decode(signature_b64, validate=True)
    except (BadKey, binascii.Error, ValueError, TypeError):
        return False
    if len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _valid_key_text(value: str) -> str:
    raw_public_key(value.strip())
    return value.strip()


PublicKeyText = Annotated[str, AfterValidator(_valid_key_text)]
"""A public key as the roster and settings write it: `ed25519:<base64>`."""


def _look_up_invalid_signature_once() -> None:
    """Make `cryptography` raise InvalidSignature once, at import, outside any workflow.

    Its Rust extension looks the exception class up by importing it the first time it
    raises one. Inside Temporal's workflow sandbox that import fails, and the extension
    then aborts the whole worker process (seen with cryptography 50 and pyo3 0.29): a
    forged signature could kill every tenant's worker. Once looked up, the class is
    cached, so raising it later in the sandbox is safe. No I/O, nothing kept.
    """
    try:
        Ed25519PrivateKey.generate().public_key().verify(bytes(SIGNATURE_LENGTH), b"")
    except InvalidSignature:
        return


_look_up_invalid_signature_once()
