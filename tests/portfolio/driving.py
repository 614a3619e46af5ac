"""The one place the portfolio tests send a human input to an onboarding.

Every input of the quarter goes through `give`: signed as its sender signs it (staff with
their key, a customer admin through the approvals service), as the CLI sends it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import WorkflowHandle

from onboarding.inputs import Receipt
from tests.workflow.support import envelope_for
from workflows.onboarding import OnboardingWorkflow

RPC_TIMEOUT = timedelta(seconds=60)
"""An update that gets no answer fails the test instead of holding the quarter up."""


async def give(handle: WorkflowHandle[Any, Any], name: str, inp: BaseModel) -> Receipt:
    """Send one input (`name` is the input's name) as its sender would; return the receipt."""
    envelope = await envelope_for(handle, name, inp)
    receipt: Receipt = await handle.execute_update(
        OnboardingWorkflow.give_input, envelope, rpc_timeout=RPC_TIMEOUT
    )
    return receipt
