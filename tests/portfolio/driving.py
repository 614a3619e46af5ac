"""The one place the portfolio tests send a human input to an onboarding.

Every input of the quarter goes through `give`, so when inputs become signed envelopes
only this function changes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import WorkflowHandle

from onboarding.inputs import Receipt

RPC_TIMEOUT = timedelta(seconds=60)
"""An update that gets no answer fails the test instead of holding the quarter up."""


async def give(handle: WorkflowHandle[Any, Any], name: str, inp: BaseModel) -> Receipt:
    """Send one input (the update `name`) as its sender would, and return the receipt."""
    receipt: Receipt = await handle.execute_update(
        name, inp, result_type=Receipt, rpc_timeout=RPC_TIMEOUT
    )
    return receipt
