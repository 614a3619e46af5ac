"""Password hashing with the standard library's scrypt; only the hash is ever stored.

The cost is a setting (``SANDBOX_PASSWORD_HASHING``): ``strong`` (the default) for any sandbox
that others reach, ``cheap`` for dev and test stacks, whose probe users are created and logged
in at every onboarding step. Each hash records its own cost, so either setting verifies both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Literal

Hashing = Literal["strong", "cheap"]
"""How expensive a new hash is: ``strong`` is scrypt N=2^14, ``cheap`` N=2^4."""

_COST: dict[Hashing, int] = {"strong": 2**14, "cheap": 2**4}
_R, _P = 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_SCHEME = "scrypt"
_MAX_N = 2**20
"""Refuse to verify hashes claiming a larger cost (a stored value must not stall the server)."""


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=2**30
    )


def hash_password(password: str, hashing: Hashing = "strong") -> str:
    """Return a salted scrypt hash: ``scrypt$n$r$p$<salt>$<key>``."""
    n = _COST[hashing]
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, n, _R, _P)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, key)]
    return "$".join([_SCHEME, str(n), str(_R), str(_P), *encoded])


def verify_password(password: str, stored: str | None, hashing: Hashing = "strong") -> bool:
    """Return whether ``password`` matches ``stored`` (constant-time; False when nothing is
    stored).

    Args:
        password: The password given.
        stored: The stored hash, or None for an unknown user.
        hashing: The cost of the dummy check run for an unknown user, so timing does not
            tell which users exist.
    """
    if stored is None:
        _derive(password, b"\0" * _SALT_BYTES, _COST[hashing], _R, _P)
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != _SCHEME or not 1 < int(n) <= _MAX_N:
            return False
        candidate = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(candidate, base64.b64decode(key))
    except ValueError:
        return False
