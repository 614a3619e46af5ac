"""Step 4: health, rate limiting (headers, 429, probe buckets), events and log search."""

from __future__ import annotations

import uuid

import pytest

from tests.sandbox.platform import PASSWORD, Platform, Tenant, bearer

LIMIT = 5


@pytest.fixture
async def tenant(platform: Platform) -> Tenant:
    return await platform.prepared_tenant(rate_limit=LIMIT)


async def test_health(platform: Platform) -> None:
    overall = await platform.client.get("/v1/health")
    jobs = await platform.client.get("/v1/health/jobs")
    unknown = await platform.client.get("/v1/health/flux-capacitor")

    assert overall.status_code == 200
    assert overall.json() == {
        "status": "ok",
        "components": {"api": "ok", "auth": "ok", "jobs": "ok", "storage": "ok"},
    }
    assert jobs.json() == {"component": "jobs", "status": "ok"}
    assert unknown.status_code == 404


async def test_rate_limit_headers_and_429_exactly_after_the_limit(
    platform: Platform, tenant: Tenant
) -> None:
    headers = bearer(tenant.tokens["viewer"], probe_key=f"probe-{uuid.uuid4().hex}")
    ping = f"/v1/t/{tenant.id}/ping"

    for used in range(1, LIMIT + 1):
        response = await platform.client.get(ping, headers=headers)
        assert response.status_code == 200, used
        assert response.json() == {"ok": True}
        assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
        assert response.headers["X-RateLimit-Remaining"] == str(LIMIT - used)
        assert 0 < int(response.headers["X-RateLimit-Reset"]) <= 60
    refused = await platform.client.get(ping, headers=headers)

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert isinstance(refused.json()["detail"], str)


async def test_probe_buckets_never_eat_the_customer_quota(
    platform: Platform, tenant: Tenant
) -> None:
    ping = f"/v1/t/{tenant.id}/ping"
    token = tenant.tokens["viewer"]
    for _ in range(LIMIT + 1):
        await platform.client.get(ping, headers=bearer(token, probe_key="burst-1"))

    other_probe = await platform.client.get(ping, headers=bearer(token, probe_key="burst-2"))
    customer = await platform.client.get(ping, headers=bearer(token))

    assert other_probe.status_code == 200
    assert other_probe.headers["X-RateLimit-Remaining"] == str(LIMIT - 1)
    assert customer.status_code == 200
    # The fixture's logins were the customer's calls: its bucket is the only one they used.
    assert int(customer.headers["X-RateLimit-Remaining"]) < LIMIT


async def test_rate_limit_headers_follow_the_configured_limit(
    platform: Platform, tenant: Tenant
) -> None:
    await platform.client.put(f"/v1/tenants/{tenant.id}/rate-limit", json={"per_minute": 77})

    response = await platform.client.get(
        f"/v1/t/{tenant.id}/ping", headers=bearer(tenant.tokens["viewer"], probe_key="fresh")
    )

    assert response.headers["X-RateLimit-Limit"] == "77"
    assert response.headers["X-RateLimit-Remaining"] == "76"


async def test_events_are_searchable_in_the_log(platform: Platform, tenant: Tenant) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    headers = bearer(tenant.tokens["viewer"], probe_key="events")

    accepted = await platform.client.post(
        f"/v1/t/{tenant.id}/events", json={"marker": marker}, headers=headers
    )
    found = await platform.client.get(f"/v1/tenants/{tenant.id}/logs", params={"q": marker})
    nothing = await platform.client.get(
        f"/v1/tenants/{tenant.id}/logs", params={"q": f"absent-{uuid.uuid4().hex}"}
    )

    assert accepted.status_code == 202
    lines = found.json()
    assert len(lines) == 1
    assert marker in lines[0]["message"]
    assert lines[0]["tenant_id"] == tenant.id
    assert lines[0]["at"].endswith("Z")
    assert nothing.json() == []


async def test_logs_never_hold_passwords_or_tokens(platform: Platform, tenant: Tenant) -> None:
    await platform.login(tenant.id, tenant.email("admin"), password="a-wrong-password")

    everything = (await platform.client.get(f"/v1/tenants/{tenant.id}/logs")).text

    assert "login succeeded" in everything
    assert "login failed" in everything
    for secret in (PASSWORD, "a-wrong-password", *tenant.tokens.values()):
        assert secret not in everything
