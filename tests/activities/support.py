"""Helpers for the activity tests: the example contract, requests, running and faults."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
from temporalio.testing import ActivityEnvironment

from activities.platform import PlatformClient
from onboarding.checks import CheckResult, StepRequest, StepResult
from onboarding.contract import Contract
from onboarding.steps import StepKey
from tests.fixtures.sandbox import ADMIN_KEY as ADMIN_KEY  # the test sandboxes' key

TENANT = "northwind-studios"
PROBE_PASSWORD = "probe-Pa55word-for-tests-only"

STEP_OF: dict[str, StepKey] = {
    "check_internal_readiness": StepKey.INTERNAL_READINESS,
    "provision_account": StepKey.ACCOUNT_PROVISIONING,
    "verify_access_identity": StepKey.ACCESS_IDENTITY,
    "validate_environment": StepKey.ENVIRONMENT_VALIDATION,
    "enable_features": StepKey.FEATURE_ENABLEMENT,
    "verify_monitoring": StepKey.GO_LIVE,
    "activate_tenant": StepKey.GO_LIVE,
    "gather_usage": StepKey.POST_ONBOARDING_REVIEW,
    "register_support": StepKey.CUSTOMER_ENABLEMENT,
    "deliver_documents": StepKey.CUSTOMER_ENABLEMENT,
}


def northwind(**changes: Any) -> Contract:
    """Return the example contract; `changes` replace whole top-level sections' fields.

    Example: ``northwind(contract={"features": ["dubbing"]})`` keeps the other terms.
    """
    today = date.today()
    data: dict[str, Any] = {
        "tenant": {"id": TENANT, "name": "Northwind Studios"},
        "contract": {
            "reference": "CTR-2026-0117",
            "signed_on": (today - timedelta(days=7)).isoformat(),
            "sla_tier": "enterprise",
            "seats": 120,
            "features": ["subtitles", "dubbing", "glossary", "sso", "api_access"],
            "api_rate_limit_per_minute": 600,
        },
        "data_residency": {
            "region": "eu-central",
            "approved_by": "dpo@localizevideos.example",
            "approved_on": (today - timedelta(days=9)).isoformat(),
        },
        "contacts": {
            "admins": [{"name": "Ada Park", "email": "ada.park@northwind.example"}],
            "escalation": [{"name": "Sam Ortiz", "email": "sam.ortiz@northwind.example"}],
        },
        "security_questionnaire": {
            "required": True,
            "completed_on": (today - timedelta(days=12)).isoformat(),
            "reviewed_by": "secops@localizevideos.example",
        },
    }
    for section, fields in changes.items():
        data[section] = {**data[section], **fields}
    return Contract.model_validate(data)


def request(
    activity_name: str,
    contract: Contract | None = None,
    *,
    workflow_id: str | None = None,
    **extra: Any,
) -> StepRequest:
    """Return the StepRequest an activity gets for the contract."""
    contract = contract or northwind()
    return StepRequest(
        workflow_id=workflow_id or contract.workflow_id,
        step=STEP_OF[activity_name],
        contract=contract,
        **extra,
    )


async def run(
    method: Callable[[StepRequest], Awaitable[StepResult]], req: StepRequest
) -> StepResult:
    """Run one activity method in an activity context, as Temporal would."""
    return await ActivityEnvironment().run(method, req)


def by_name(result: StepResult) -> dict[str, CheckResult]:
    """Return the result's checks keyed by name."""
    return {c.name: c for c in result.checks}


def failed_names(result: StepResult) -> set[str]:
    """Return the names of the failed checks."""
    return {c.name for c in result.failed}


async def inject(platform: PlatformClient, fault: str, tenant_id: str = TENANT) -> None:
    """Switch a sandbox fault on for one tenant."""
    reply = await platform.admin(
        "POST", "/v1/admin/faults", json={"name": fault, "tenant_id": tenant_id}
    )
    assert reply.status == 201, reply.body


async def operations(platform: PlatformClient, tenant_id: str = TENANT) -> list[dict[str, Any]]:
    """Return every mutating call the platform recorded for the tenant."""
    body = await platform.admin_ok("GET", "/v1/admin/operations", params={"tenant_id": tenant_id})
    assert isinstance(body, list)
    return body


async def provision(
    acts: dict[str, Callable[..., Any]], contract: Contract | None = None
) -> StepResult:
    """Run Step 2 for the contract and insist it passed (the precondition of later steps)."""
    result = await run(acts["provision_account"], request("provision_account", contract))
    assert result.passed, result.failed
    return result


async def run_as(
    method: Callable[[StepRequest], Awaitable[StepResult]],
    req: StepRequest,
    *,
    attempt: int = 1,
    heartbeat_timeout: timedelta | None = None,
    heartbeats: list[Any] | None = None,
) -> StepResult:
    """Run an activity as Temporal's ``attempt`` of it, recording heartbeats if asked."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, attempt=attempt, heartbeat_timeout=heartbeat_timeout, workflow_id=req.workflow_id
    )
    if heartbeats is not None:
        env.on_heartbeat = lambda *details: heartbeats.append(details)
    return await env.run(method, req)


class SlowTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that waits before every request: a checker that is late.

    It also counts requests and the most that were in flight at once.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.sent: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._inner.handle_async_request(request)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()

    def tenant_calls(self, path: str = "") -> list[str]:
        """Requests sent to the tenant API (``/v1/t/...``), optionally ending with ``path``."""
        return [s for s in self.sent if "/v1/t/" in s and s.endswith(path)]


class Quiet:
    """A logger that drops everything (for probe users made outside an activity)."""

    def __getattr__(self, _name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None
