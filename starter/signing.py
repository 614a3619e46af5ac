"""The CLI's side of signed inputs: whose key signs, and how an input is sent or printed."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from rich.console import Console

from identity.keyfiles import KeyFileError, load_private_key, staff_key_path
from identity.signer import Signer
from onboarding.contract import workflow_id_for
from onboarding.inputs import InputName
from onboarding.proof import FRESHNESS, Envelope
from starter.errors import CliError
from worker.config import Settings
from workflows.inputs import INPUT_SIGNAL


def staff_signer(settings: Settings, email: str) -> Signer:
    """The signer of a member of staff: their private key from the key directory.

    Raises:
        CliError: No key (exit 1): how to make one.
    """
    key_dir = settings.staff_key_dir()
    try:
        path = staff_key_path(key_dir, email)
        key = load_private_key(path)
    except KeyFileError as err:
        raise CliError(
            f"refused: {email} cannot sign: {err}. Create a key with `onboard keygen --as "
            f"{email}` (or point ONBOARDING_KEY_DIR at the folder holding it) and have ops add "
            "its public key to the roster; nothing was sent"
        ) from None
    return Signer(email=email, key=key)


def sign_input(signer: Signer, tenant_id: str, name: InputName, payload: BaseModel) -> Envelope:
    """Sign one input for one tenant's onboarding."""
    return signer.sign(workflow_id_for(tenant_id), name.value, payload.model_dump(mode="json"))


def print_signal(out: Console, envelope: Envelope) -> None:
    """Print a signed input for the Web UI's "Send a Signal" (name, then the JSON input)."""
    minutes = int(FRESHNESS.total_seconds() // 60)
    out.print(
        f"In the Web UI: Send a Signal, signal name {INPUT_SIGNAL}, and paste the line below "
        f"as its input (valid for {minutes} minutes, once):"
    )
    out.print(json.dumps(envelope.model_dump(mode="json"), separators=(",", ":")))


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    """The envelope as the signal's JSON input."""
    return envelope.model_dump(mode="json")
