"""HMAC-signed session tokens: ``<payload>.<signature>``, both base64url without padding.

The payload names the session (so logout can revoke it), the tenant it is bound to, the user
and the expiry. Only signing and reading live here; the checks against the database
(revocation, tenant) are the caller's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass


class TokenError(Exception):
    """The token is malformed or its signature does not match."""


@dataclass(frozen=True)
class Claims:
    """What a token says about its holder."""

    session_id: str
    tenant_id: str
    email: str
    expires_at: float
    """Unix time in seconds."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("token is not base64url") from exc


def _signature(secret: bytes, payload: str) -> str:
    return _b64encode(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def sign(secret: bytes, claims: Claims) -> str:
    """A token carrying ``claims``, signed with ``secret``."""
    body: dict[str, str | float] = {
        "sid": claims.session_id,
        "tid": claims.tenant_id,
        "sub": claims.email,
        "exp": claims.expires_at,
    }
    payload = _b64encode(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_signature(secret, payload)}"


def read(token: str, secret: bytes, *, verify_signature: bool = True) -> Claims:
    """The claims of ``token``.

    Args:
        token: The token as sent by the client.
        secret: The HMAC key the platform signs with.
        verify_signature: False only to emulate the ``tampered_token_accepted`` fault.

    Raises:
        TokenError: The token is malformed or (when verified) its signature is wrong.
    """
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature:
        raise TokenError("token is not <payload>.<signature>")
    try:
        payload.encode("ascii")
        signature.encode("ascii")
    except UnicodeEncodeError as exc:
        raise TokenError("token is not ASCII") from exc
    if verify_signature and not hmac.compare_digest(_signature(secret, payload), signature):
        raise TokenError("signature does not match")
    try:
        body = json.loads(_b64decode(payload))
        claims = Claims(
            session_id=str(body["sid"]),
            tenant_id=str(body["tid"]),
            email=str(body["sub"]),
            expires_at=float(body["exp"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("token payload is not valid") from exc
    return claims
