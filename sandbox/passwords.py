"""Password hashing with the standard library's scrypt; only the hash is ever stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_SCHEME = "scrypt"


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=64 * 2**20
    )


def hash_password(password: str) -> str:
    """A salted scrypt hash: ``scrypt$n$r$p$<salt>$<key>``."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, _N, _R, _P)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, key)]
    return "$".join([_SCHEME, str(_N), str(_R), str(_P), *encoded])


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time; False when nothing is stored)."""
    if stored is None:
        # Spend the same time as a real check, so timing does not tell which users exist.
        _derive(password, b"\0" * _SALT_BYTES, _N, _R, _P)
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != _SCHEME:
            return False
        candidate = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(candidate, base64.b64decode(key))
    except ValueError:
        return False
