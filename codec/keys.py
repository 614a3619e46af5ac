"""The key ring: AES-256 keys by id, one of them active for encoding.

A ring is written as entries ``KEY_ID:BASE64`` (32 random bytes each), one per line in a
key file or separated by commas in ``ONBOARDING_CODEC_KEYS``; ``#`` starts a comment.
Several keys let a new one be rotated in while payloads written under the old ones still
decode. No key is ever built into the code.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

KEY_BYTES = 32
"""AES-256."""
KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_KEYS = 64
MAX_RING_CHARS = 64 * 1024


class KeyRingError(ValueError):
    """A key ring that cannot be used; the message says what to fix."""


class ActiveKeyError(KeyRingError):
    """The key that should encode is ambiguous or not in the ring."""


@dataclass(frozen=True)
class KeyRing:
    """Keys by id and the id of the one that encodes."""

    keys: dict[str, bytes]
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ActiveKeyError(f"the active key {self.active!r} is not in the key ring")

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active]

    def __repr__(self) -> str:  # never the key material, not even in a traceback
        return f"KeyRing(ids={sorted(self.keys)}, active={self.active!r})"


def parse_ring(text: str, active: str | None = None) -> KeyRing:
    """Build a ring from ``KEY_ID:BASE64`` entries (newline or comma separated).

    Args:
        text: The entries.
        active: The id that encodes; may be left out only when the ring holds one key.

    Raises:
        KeyRingError: An entry is malformed, an id repeats, a key is not 32 bytes, or
            the active key is ambiguous or unknown.
    """
    if len(text) > MAX_RING_CHARS:
        raise KeyRingError(f"the key ring is longer than {MAX_RING_CHARS} characters")
    keys: dict[str, bytes] = {}
    entries = [
        entry.strip() for line in text.splitlines() for entry in line.split("#", 1)[0].split(",")
    ]
    for number, entry in enumerate((e for e in entries if e), start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not KEY_ID.fullmatch(key_id):
            raise KeyRingError(
                f"entry {number} is not KEY_ID:BASE64 (a key id of letters, digits, '.', '_' "
                "or '-', at most 64)"
            )
        if key_id in keys:
            raise KeyRingError(f"key id {key_id!r} appears twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyRingError(f"key {key_id!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise KeyRingError(f"key {key_id!r} has {len(key)} bytes; AES-256 needs 32")
        keys[key_id] = key
    if not keys:
        raise KeyRingError("the key ring holds no key")
    if len(keys) > MAX_KEYS:
        raise KeyRingError(f"the key ring holds more than {MAX_KEYS} keys")
    if active is None:
        if len(keys) > 1:
            raise ActiveKeyError(
                f"the key ring holds {len(keys)} keys ({', '.join(keys)}); name the one that "
                "encodes"
            )
        active = next(iter(keys))
    if active not in keys:
        raise ActiveKeyError(f"key {active!r} is not in the key ring (it holds {', '.join(keys)})")
    return KeyRing(keys=keys, active=active)


def read_secret_file(path: Path, what: str) -> str:
    """Read a secret file that only its owner may read (like ssh does for private keys).

    Raises:
        KeyRingError: The file is missing, unreadable, or open to group or others.
    """
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise KeyRingError(f"{what} {path} is not a file")
        if mode & 0o077:
            raise KeyRingError(
                f"{what} {path} can be read by others (mode {stat.S_IMODE(mode):04o}); "
                f"`chmod 600 {path}`"
            )
        if path.stat().st_size > MAX_RING_CHARS:
            raise KeyRingError(f"{what} {path} is larger than {MAX_RING_CHARS} bytes")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyRingError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyRingError(f"{what} {path} cannot be read ({exc.__class__.__name__})") from None


def new_key_entry(key_id: str | None = None) -> str:
    """A fresh ``KEY_ID:BASE64`` entry from the operating system's random source."""
    key_id = key_id or f"key-{secrets.token_hex(4)}"
    if not KEY_ID.fullmatch(key_id):
        raise KeyRingError(f"{key_id!r} is not a valid key id")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def write_secret_file(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 (refusing to overwrite an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
