"""`onboard keygen`: a person's signing key, or one of the services' keys."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from identity.keyfiles import (
    KeyFileError,
    create_private_key,
    ensure_secret_file,
    public_text,
    staff_key_path,
)
from onboarding.contract import Email
from onboarding.keys import fingerprint
from starter.errors import CliError
from worker.config import Settings, load_settings

out = Console(soft_wrap=True, markup=False, highlight=False)


class SystemKey(StrEnum):
    RECORDS = "records"
    """The worker's records key: signs every audit entry."""
    APPROVALS = "approvals"
    """The approvals service's key: vouches for customer admins."""
    LINKS = "links"
    """The secret behind customers' one-time links (worker and approvals service)."""


def keygen(
    actor: Annotated[
        str | None,
        typer.Option("--as", envvar="ONBOARDING_ACTOR", help="Your e-mail: whose key to create."),
    ] = None,
    system: Annotated[
        SystemKey | None, typer.Option(help="Create a service's key instead of a person's.")
    ] = None,
    key_file: Annotated[
        Path | None, typer.Option(help="Where a service key goes (default: from the settings).")
    ] = None,
) -> None:
    """Create a signing key (never overwriting one) and print its public key.

    A person's key goes to ONBOARDING_KEY_DIR (default ~/.config/onboard/keys), mode 0600;
    the last line printed, `public_key: ed25519:...`, goes into their roster entry.
    """
    settings = load_settings(Settings)
    if (actor is None) == (system is None):
        raise CliError("give either --as EMAIL (your own key) or --system records|approvals|links")
    try:
        if system is SystemKey.LINKS:
            path = key_file or settings.link_key_path()
            if path.exists():
                raise KeyFileError(f"{path} exists already; a key is never overwritten")
            ensure_secret_file(path)
            out.print(f"created the link secret {path} (mode 0600); give it to the worker and")
            out.print("the approvals service only (ONBOARDING_LINK_KEY_FILE)")
            return
        if system is not None:
            path = key_file or (
                settings.records_key_path()
                if system is SystemKey.RECORDS
                else settings.approvals_key_path()
            )
            label = f"LocalizeVideos onboarding {system.value} key"
        else:
            email = _email(actor or "")
            path = staff_key_path(settings.staff_key_dir(), email)
            label = f"LocalizeVideos onboarding signing key of {email}"
        key = create_private_key(path, label)
    except KeyFileError as err:
        raise CliError(f"refused: {err}") from None
    public = public_text(key)
    out.print(f"created {path} (mode 0600): keep it private, never copy it to another machine")
    out.print(f"fingerprint: {fingerprint(public)}")
    if system is None:
        out.print("add the line below to your entry in the roster (public_keys: [...])")
    out.print(f"public_key: {public}")


def _email(text: str) -> str:
    from pydantic import TypeAdapter, ValidationError

    try:
        return str(TypeAdapter(Email).validate_python(text))
    except ValidationError:
        raise CliError(f"refused: --as {text!r} is not an e-mail address") from None
