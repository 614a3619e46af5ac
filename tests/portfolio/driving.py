"""The one place the portfolio tests send a human input to an onboarding.

Every input of the quarter goes through `give`, so when inputs become signed envelopes
only this function changes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.client import WorkflowHandle

from onboarding.inputs import Receipt
from tests.workflow.support import update


async def give(handle: WorkflowHandle[Any, Any], name: str, inp: BaseModel) -> Receipt:
    """Send one input (the update `name`) as its sender would, and return the receipt."""
    return await update(handle, name, inp)
