"""Fault injection: each fault breaks exactly its one check, for one tenant or for all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.fixtures.sandbox import running_sandbox
from tests.sandbox.fault_checks import CHECKS, RATE_LIMIT, run_all
from tests.sandbox.platform import ADMIN_KEY, Platform, Tenant

FAULTS = {
    "production_incident": "production_stability",
    "capacity_exhausted": "capacity",
    "account_exists": "no_shared_account",
    "security_defaults_weakened": "security_defaults",
    "admin_login_broken": "admin_auth",
    "viewer_can_admin": "rbac_matrix",
    "tampered_token_accepted": "token_behaviour",
    "logout_does_not_revoke": "logout_revokes",
    "session_never_expires": "session_expiry",
    "health_failing": "api_health",
    "db_unreachable": "db_connectivity",
    "rate_limit_mismatch": "rate_limit",
    "logging_dropped": "logging_visibility",
    "hidden_feature_enabled": "contracted_features_only",
    "feature_not_visible": "ui_visibility",
    "critical_flow_broken": "critical_flows",
    "monitoring_missing": "monitoring",
}
"""The brief's table: fault name to the check it breaks."""


@pytest_asyncio.fixture(scope="module")
async def tenants(sandbox_url: str) -> AsyncIterator[tuple[Tenant, Tenant]]:
    """Two tenants with expired tokens ready, so expiry checks need no sleeping."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=sandbox_url, headers=headers, timeout=10) as client:
        api = Platform(client)
        a, b = await asyncio.gather(*(api.prepared_tenant(rate_limit=RATE_LIMIT) for _ in "ab"))
        for tenant in (a, b):
            tenant.expired_token = await api.token(tenant.id, tenant.email("viewer"), ttl_seconds=1)
        await asyncio.sleep(1.1)
        yield a, b


async def test_catalogue_lists_every_fault_with_the_check_it_breaks(platform: Platform) -> None:
    listed = (await platform.client.get("/v1/admin/faults")).json()

    assert {f["name"]: f["breaks"] for f in listed["available"]} == FAULTS
    assert set(FAULTS.values()) == set(CHECKS)
    assert listed["active"] == []


async def test_unknown_fault_is_400_listing_the_names(platform: Platform) -> None:
    response = await platform.client.post("/v1/admin/faults", json={"name": "gremlins"})

    assert response.status_code == 400
    assert all(name in response.json()["detail"] for name in FAULTS)


async def test_switching_a_fault_on_twice_lists_it_once(platform: Platform) -> None:
    await platform.fault("health_failing", "acme")
    await platform.fault("health_failing", "acme")
    await platform.fault("health_failing")

    active = (await platform.client.get("/v1/admin/faults")).json()["active"]

    assert active == [
        {"name": "health_failing", "tenant_id": "acme"},
        {"name": "health_failing", "tenant_id": None},
    ]


async def test_all_checks_pass_without_faults(
    platform: Platform, tenants: tuple[Tenant, Tenant]
) -> None:
    for tenant in tenants:
        results = await run_all(platform, tenant)
        assert all(results.values()), results


@pytest.mark.parametrize("fault", FAULTS)
async def test_fault_breaks_exactly_its_check(
    platform: Platform, tenants: tuple[Tenant, Tenant], fault: str
) -> None:
    a, b = tenants
    broken = FAULTS[fault]
    check = CHECKS[broken]

    # Scoped to tenant A: A fails this one check and passes every other; B still passes it.
    await platform.fault(fault, a.id)
    on_a, on_b = await asyncio.gather(run_all(platform, a), check(platform, b))
    assert {name for name, ok in on_a.items() if not ok} == {broken}
    assert on_b, f"{fault} for tenant A also broke {broken} for tenant B"

    # Cleared: A works again.
    await platform.clear_faults()
    assert await check(platform, a)

    # For all tenants: both fail it; cleared, both work again.
    await platform.fault(fault)
    assert list(await asyncio.gather(check(platform, a), check(platform, b))) == [False, False]
    await platform.clear_faults()
    assert list(await asyncio.gather(check(platform, a), check(platform, b))) == [True, True]


async def test_faults_survive_a_restart(tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with (
        running_sandbox(tmp_path) as url,
        httpx.AsyncClient(base_url=url, headers=headers) as client,
    ):
        await Platform(client).fault("production_incident")

    async with (
        running_sandbox(tmp_path) as url,
        httpx.AsyncClient(base_url=url, headers=headers) as client,
    ):
        active = (await client.get("/v1/admin/faults")).json()["active"]
        status = (await client.get("/v1/status")).json()

    assert active == [{"name": "production_incident", "tenant_id": None}]
    assert [i for i in status["incidents"] if i["open"] and i["severity"] == 1]
