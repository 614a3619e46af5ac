"""Helpers for the document tests: contracts and step requests."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from onboarding.checks import StepRequest
from onboarding.contract import Contract
from onboarding.steps import StepKey
from tests.activities.support import northwind


def contract(**terms: Any) -> Contract:
    """Return the example contract with some contract terms replaced."""
    return northwind(contract=terms) if terms else northwind()


def enablement_request(contract_: Contract | None = None) -> StepRequest:
    """Return the Step 6 request the document activities get."""
    contract_ = contract_ or northwind()
    return StepRequest(
        workflow_id=contract_.workflow_id,
        step=StepKey.CUSTOMER_ENABLEMENT,
        contract=contract_,
    )


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a stored file, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_text(path: Path) -> str:
    """Return a stored document's text."""
    return path.read_text(encoding="utf-8")
