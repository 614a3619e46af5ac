"""Small helpers shared by tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

import yaml
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from onboarding.contract import Contract
from onboarding.status import OnboardingStatus
from tests.conftest import EXAMPLES


def contract_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "contract.yaml").read_text())
    for dotted, value in overrides.items():
        target = data
        *parents, last = dotted.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return data


def make_contract(tenant_id: str = "northwind-studios", **overrides: Any) -> Contract:
    data = contract_data(**overrides)
    data["tenant"]["id"] = tenant_id
    return Contract.model_validate(data, context={"today": date.today()})


async def wait_status(
    handle: WorkflowHandle[Any, Any],
    predicate: Callable[[OnboardingStatus], bool],
    timeout: float = 30.0,  # noqa: ASYNC109
) -> OnboardingStatus:
    """Poll the status query until ``predicate`` holds.

    A query that times out is asked again: on a busy machine the worker answers late, and
    a late answer is not a wrong one.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            status = await handle.query("status", result_type=OnboardingStatus)
        except RPCError as err:
            # The server's deadline, or the client's own RPC timeout ("Timeout expired",
            # reported as CANCELLED): the answer was late, not wrong.
            late = err.status == RPCStatusCode.DEADLINE_EXCEEDED or (
                err.status == RPCStatusCode.CANCELLED and "Timeout expired" in err.message
            )
            if not late:
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise
            continue
        if predicate(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached; last status: {status.model_dump_json()}")
        await asyncio.sleep(0.1)
