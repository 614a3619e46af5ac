"""The service keys named in the settings: records key, approvals key, link key."""

from __future__ import annotations

import contextlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.keyfiles import KeyFileError, load_private_key, load_secret_file, public_text
from records.signing import RecordsSigner, RecordsVerifier
from worker.config import Settings


class MissingKey(Exception):
    """A key the settings name (or default to) is not there; `variable` says which."""

    def __init__(self, variable: str, problem: str, hint: str) -> None:
        super().__init__(f"{variable}: {problem}; {hint}")
        self.variable = variable


def records_signer(settings: Settings) -> RecordsSigner:
    """The records key the worker signs every entry with.

    Raises:
        MissingKey: No readable key at ONBOARDING_RECORDS_KEY_FILE (or its default).
    """
    path = settings.records_key_path()
    try:
        return RecordsSigner(load_private_key(path))
    except KeyFileError as err:
        raise MissingKey(
            "ONBOARDING_RECORDS_KEY_FILE",
            str(err),
            "`onboard dev` creates one for the embedded stack; elsewhere create it with "
            f"`onboard keygen --system records --key-file {path}` and keep it off the database",
        ) from None


def records_verifier(settings: Settings) -> RecordsVerifier | None:
    """The records keys `verify` accepts: ONBOARDING_RECORDS_PUBLIC_KEYS and the key file's.

    None when neither is available (signatures cannot be checked then).
    """
    keys = list(settings.records_public_keys)
    with contextlib.suppress(KeyFileError):
        keys.append(public_text(load_private_key(settings.records_key_path())))
    return RecordsVerifier.of(keys) if keys else None


def link_key(settings: Settings) -> bytes:
    """The secret behind customers' one-time links.

    Raises:
        MissingKey: No readable secret at ONBOARDING_LINK_KEY_FILE (or its default).
    """
    path = settings.link_key_path()
    try:
        return load_secret_file(path)
    except KeyFileError as err:
        raise MissingKey(
            "ONBOARDING_LINK_KEY_FILE",
            str(err),
            "`onboard dev` creates one; elsewhere `onboard keygen --system links "
            f"--key-file {path}`, shared by the worker and the approvals service only",
        ) from None


def approvals_key(settings: Settings) -> Ed25519PrivateKey:
    """The approvals service's private key.

    Raises:
        MissingKey: No readable key at ONBOARDING_APPROVALS_KEY_FILE (or its default).
    """
    path = settings.approvals_key_path()
    try:
        key = load_private_key(path)
    except KeyFileError as err:
        raise MissingKey(
            "ONBOARDING_APPROVALS_KEY_FILE",
            str(err),
            "`onboard dev` creates one; elsewhere `onboard keygen --system approvals "
            f"--key-file {path}` and give its public key to the worker "
            "(ONBOARDING_APPROVALS_PUBLIC_KEYS)",
        ) from None
    return key
