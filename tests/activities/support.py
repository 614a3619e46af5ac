"""Helpers for the activity tests: the example contract, requests, running and faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.platform import PlatformClient
from onboarding.checks import CheckResult, StepRequest, StepResult
from onboarding.contract import Contract
from onboarding.steps import StepKey

TENANT = "northwind-studios"
PROBE_PASSWORD = "probe-Pa55word-for-tests-only"
ADMIN_KEY = "sandbox-admin-key"

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
