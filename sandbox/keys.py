"""The sandbox's admin key: generated per data directory, never a well-known default.

The key lives in ``<sandbox data dir>/admin-key`` (mode 0600, its folder 0700), created
on first use with a random value. The sandbox accepts it, `onboard dev` hands it to the
worker as ONBOARDING_PLATFORM_API_KEY, and ``onboard sandbox fault`` finds it there.
Every sandbox key starts with `SANDBOX_KEY_PREFIX`, so a worker can tell one from a
production key and refuse to send it to a platform that is not on this machine.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

ADMIN_KEY_FILE = "admin-key"
SANDBOX_KEY_PREFIX = "sandbox-"
WELL_KNOWN_KEYS = frozenset({"sandbox-admin-key"})
"""Keys that were defaults once and are printed in old documentation: never accepted."""
MIN_KEY_LENGTH = 16


class KeyFileError(RuntimeError):
    """The key file cannot be used (unsafe permissions, a symlink, unreadable)."""


def new_admin_key() -> str:
    """Return a fresh random sandbox admin key."""
    return SANDBOX_KEY_PREFIX + secrets.token_urlsafe(32)


def is_sandbox_key(key: str) -> bool:
    """Tell whether an admin key is a sandbox's (generated here, or the old default)."""
    return key.startswith(SANDBOX_KEY_PREFIX) or key in WELL_KNOWN_KEYS


def key_problem(key: str) -> str | None:
    """Say why a configured admin key may not be used, or None if it may."""
    if key in WELL_KNOWN_KEYS:
        return (
            f"{key!r} is a well-known default key that anyone can guess; leave it unset "
            "(a random key is generated per data directory) or set a random one"
        )
    if len(key) < MIN_KEY_LENGTH:
        return f"is shorter than {MIN_KEY_LENGTH} characters; use a random key"
    return None


def admin_key_path(data_dir: Path) -> Path:
    """Where the sandbox in ``data_dir`` keeps its admin key."""
    return data_dir / ADMIN_KEY_FILE


def read_admin_key(data_dir: Path) -> str | None:
    """Return the admin key kept in ``data_dir``, or None if there is none yet.

    Raises:
        KeyFileError: The file is a symlink, readable by others, or unreadable.
    """
    path = admin_key_path(data_dir)
    if path.is_symlink():
        raise KeyFileError(f"{path} is a symbolic link; remove it and start again")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
            f"run `chmod 600 {path}`"
        )
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path} cannot be read ({type(exc).__name__})") from None
    if key_problem(key) is not None:
        raise KeyFileError(f"{path} does not hold a usable key; delete it to get a new one")
    return key


def ensure_admin_key(data_dir: Path) -> str:
    """Return the admin key of ``data_dir``, creating it (0600) on first use.

    Raises:
        KeyFileError: The existing file cannot be used (see `read_admin_key`).
    """
    existing = read_admin_key(data_dir)
    if existing is not None:
        return existing
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = new_admin_key()
    path = admin_key_path(data_dir)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # created meanwhile by another process: use that one
        found = read_admin_key(data_dir)
        if found is None:
            raise KeyFileError(f"{path} vanished while it was being created") from None
        return found
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return key
