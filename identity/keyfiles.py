"""Private key files: created once (mode 0600, never overwritten), read back to sign.

Staff keys live in the key directory (`ONBOARDING_KEY_DIR`, by default the user's config
directory, e.g. `~/.config/onboard/keys`), one file per person: `<email>.key`. Service
keys (the records key, the approvals service's key) are files named in the settings.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from onboarding.keys import public_key_text

_SAFE_NAME = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9.-]+$")


class KeyFileError(Exception):
    """A key file is missing, unreadable, too open or not a key; the message says which."""


def default_key_dir() -> Path:
    """`~/.config/onboard/keys` on Linux (the platform's config directory elsewhere)."""
    return Path(click.get_app_dir("onboard")) / "keys"


def staff_key_path(key_dir: Path, email: str) -> Path:
    """Where a person's private key lives in a key directory."""
    name = email.strip().lower()
    if not _SAFE_NAME.match(name):
        raise KeyFileError(f"{email!r} cannot name a key file; give a plain e-mail address")
    return key_dir / f"{name}.key"


def create_private_key(path: Path, label: str) -> Ed25519PrivateKey:
    """Create a new Ed25519 key in `path` (0600, its folder 0700); never overwrite one.

    Args:
        path: The file to create.
        label: Written as a comment line above the key (who or what it is for).

    Raises:
        KeyFileError: The file exists already.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    text = f"# {' '.join(label.split())}\n".encode() + pem
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} exists already; a key is never overwritten") from None
    with os.fdopen(fd, "wb") as out:
        out.write(text)
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key file made by `create_private_key`.

    Raises:
        KeyFileError: Missing, readable by others, or not an Ed25519 private key.
    """
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"no key file at {path}") from None
    except OSError as err:
        raise KeyFileError(f"cannot read the key file {path} ({err.strerror})") from None
    if mode & 0o077:
        raise KeyFileError(f"{path} is readable by others; `chmod 600 {path}` and try again")
    pem = b"\n".join(line for line in data.splitlines() if not line.startswith(b"#"))
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise KeyFileError(f"{path} is not a private key file") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a key that is not Ed25519")
    return key


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public half of a key as `ed25519:<base64>`."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public_key_text(
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def ensure_private_key(path: Path, label: str) -> Ed25519PrivateKey:
    """Read the key in `path`, creating it first if there is none (the embedded stack)."""
    if not path.exists():
        try:
            return create_private_key(path, label)
        except KeyFileError:
            pass  # created meanwhile by another process: read theirs
    return load_private_key(path)


def ensure_secret_file(path: Path, size: int = 32) -> bytes:
    """Read a random secret (hex in a 0600 file), creating it first if there is none."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(size) + "\n")
    return load_secret_file(path)


def load_secret_file(path: Path) -> bytes:
    """Read a secret written by `ensure_secret_file`.

    Raises:
        KeyFileError: Missing, readable by others, or not hex.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text().strip()
    except FileNotFoundError:
        raise KeyFileError(f"no secret file at {path}") from None
    except OSError as err:
        raise KeyFileError(f"cannot read {path} ({err.strerror})") from None
    if mode & 0o077:
        raise KeyFileError(f"{path} is readable by others; `chmod 600 {path}` and try again")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(f"{path} does not hold a hex secret") from None
    if len(secret) < 16:
        raise KeyFileError(f"{path} holds a secret of {len(secret)} bytes; at least 16 needed")
    return secret
