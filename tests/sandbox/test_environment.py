"""Step 4: health, rate limiting (headers, 429, probe buckets), events and log search."""

from __future__ import annotations

import asyncio
import math
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


def small_bucket(token: str, key: str, limit: int, window: int) -> dict[str, str]:
    return {
        **bearer(token, probe_key=key),
        "X-Probe-Limit": str(limit),
        "X-Probe-Window": str(window),
    }


async def test_a_small_probe_bucket_refuses_past_its_limit_and_resets_after_retry_after(
    platform: Platform, tenant: Tenant
) -> None:
    headers = small_bucket(tenant.tokens["viewer"], f"small-{uuid.uuid4().hex}", 3, 1)
    ping = f"/v1/t/{tenant.id}/ping"

    passed = [await platform.client.get(ping, headers=headers) for _ in range(3)]
    refused = await platform.client.get(ping, headers=headers)
    await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.05)
    again = await platform.client.get(ping, headers=headers)

    assert [r.status_code for r in passed] == [200, 200, 200]
    assert {r.headers["X-RateLimit-Limit"] for r in passed} == {"3"}
    assert [r.headers["X-RateLimit-Remaining"] for r in passed] == ["2", "1", "0"]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "3 requests per 1 s" in refused.json()["detail"]
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "2"


async def test_the_small_bucket_is_its_own_and_leaves_the_tenant_limit_alone(
    platform: Platform, tenant: Tenant
) -> None:
    key = f"small-{uuid.uuid4().hex}"
    token = tenant.tokens["viewer"]
    ping = f"/v1/t/{tenant.id}/ping"
    for _ in range(2):
        await platform.client.get(ping, headers=small_bucket(token, key, 1, 60))

    same_key_plain = await platform.client.get(ping, headers=bearer(token, probe_key=key))

    assert same_key_plain.status_code == 200
    assert same_key_plain.headers["X-RateLimit-Limit"] == str(LIMIT)


@pytest.mark.parametrize(
    "extra",
    [
        {"X-Probe-Limit": "3"},
        {"X-Probe-Window": "1"},
        {"X-Probe-Limit": "0", "X-Probe-Window": "1"},
        {"X-Probe-Limit": "101", "X-Probe-Window": "1"},
        {"X-Probe-Limit": "3", "X-Probe-Window": "61"},
        {"X-Probe-Limit": "three", "X-Probe-Window": "1"},
    ],
)
async def test_incomplete_or_unbounded_probe_bucket_headers_are_400(
    platform: Platform, tenant: Tenant, extra: dict[str, str]
) -> None:
    headers = {**bearer(tenant.tokens["viewer"], probe_key="k"), **extra}

    response = await platform.client.get(f"/v1/t/{tenant.id}/ping", headers=headers)

    assert response.status_code == 400
    assert "X-Probe-" in response.json()["detail"]


async def test_small_bucket_headers_without_a_probe_key_are_400(
    platform: Platform, tenant: Tenant
) -> None:
    headers = {**bearer(tenant.tokens["viewer"]), "X-Probe-Limit": "3", "X-Probe-Window": "1"}

    response = await platform.client.get(f"/v1/t/{tenant.id}/ping", headers=headers)

    assert response.status_code == 400


async def test_the_mismatch_fault_enforces_half_again_as_much_in_every_bucket(
    platform: Platform, tenant: Tenant
) -> None:
    await platform.fault("rate_limit_mismatch", tenant.id)
    token = tenant.tokens["viewer"]
    ping = f"/v1/t/{tenant.id}/ping"

    plain = await platform.client.get(ping, headers=bearer(token, probe_key=uuid.uuid4().hex))
    small = await platform.client.get(ping, headers=small_bucket(token, uuid.uuid4().hex, 4, 5))

    assert plain.headers["X-RateLimit-Limit"] == str(math.ceil(LIMIT * 1.5))
    assert small.headers["X-RateLimit-Limit"] == "6"
