"""Step 4 against the real sandbox: health, tenant database, rate limit, log visibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from activities.environment import EnvironmentActivities
from activities.platform import PlatformClient, ProbeConfig
from tests.activities.support import (
    ADMIN_KEY,
    PROBE_PASSWORD,
    SlowTransport,
    by_name,
    failed_names,
    inject,
    northwind,
    provision,
    request,
    run,
)

NAME = "validate_environment"
CHECKS = {"api_health", "db_connectivity", "rate_limit", "logging_visibility"}


async def test_healthy_tenant_passes_every_check_with_evidence(
    acts: dict[str, Callable[..., Any]],
) -> None:
    await provision(acts)

    result = await run(acts[NAME], request(NAME))

    assert result.passed, result.failed
    checks = by_name(result)
    assert set(checks) == CHECKS
    assert checks["api_health"].observed["components"] == {
        "api": "ok",
        "auth": "ok",
        "jobs": "ok",
        "storage": "ok",
    }
    database = checks["db_connectivity"].observed
    assert database["dialect"] == "sqlite" and database["select_1"] == 1
    assert database["tables"] >= 1
    rate = checks["rate_limit"].observed
    assert rate["configured"] == 600
    assert rate["headers"]["limit"] == 600
    bucket = rate["probe_bucket"]
    assert bucket["statuses"] == [200, 200, 200, 429]
    assert bucket["announced_limit"] == [3]
    assert 1 <= bucket["retry_after"] <= bucket["window_seconds"]
    assert bucket["after_reset"] == 200 and bucket["remaining_after_reset"] == 2
    assert checks["logging_visibility"].observed["found"] is True


@pytest.mark.parametrize(
    ("fault", "check", "words"),
    [
        ("health_failing", "api_health", "failing component(s) jobs"),
        ("db_unreachable", "db_connectivity", "unable to open database file"),
        ("rate_limit_mismatch", "rate_limit", "X-RateLimit-Limit says 150, not 100"),
        ("logging_dropped", "logging_visibility", "not searchable within 1.5s"),
    ],
)
async def test_fault_fails_exactly_its_check(
    acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    fault: str,
    check: str,
    words: str,
) -> None:
    # A smaller contracted limit keeps the burst short; the healthy test bursts the full 600.
    contract = northwind(contract={"api_rate_limit_per_minute": 100})
    await provision(acts, contract)
    await inject(platform, fault)

    result = await run(acts[NAME], request(NAME, contract))

    assert failed_names(result) == {check}
    detail = by_name(result)[check].detail
    assert words in detail
    assert "`onboard retry northwind-studios environment_validation --as" in detail


async def test_mismatched_enforcement_is_caught_by_the_small_bucket_too(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    contract = northwind(contract={"api_rate_limit_per_minute": 100})
    await provision(acts, contract)
    await inject(platform, "rate_limit_mismatch")

    result = await run(acts[NAME], request(NAME, contract))

    rate = by_name(result)["rate_limit"]
    assert not rate.passed
    assert "request 4 of a bucket of 3 was answered 200, not 429" in rate.detail
    assert rate.observed["probe_bucket"]["announced_limit"] == [5]


async def test_a_large_limit_is_verified_with_a_handful_of_requests_not_a_burst(
    acts: dict[str, Callable[..., Any]], sandbox_url: str
) -> None:
    contract = northwind(contract={"api_rate_limit_per_minute": 5000})
    await provision(acts, contract)
    transport = SlowTransport()
    async with httpx.AsyncClient(transport=transport, timeout=15) as http:
        platform = PlatformClient(http, SecretStr(ADMIN_KEY), base_url=sandbox_url)
        probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD))
        method = EnvironmentActivities(platform, probe).validate_environment

        result = await run(method, request(NAME, contract))

    rate = by_name(result)["rate_limit"]
    assert rate.passed, rate.detail
    assert rate.observed["headers"]["limit"] == 5000
    # One ping for the headers, 3 + 1 in the probe bucket, one after its reset.
    assert len(transport.tenant_calls("/ping")) == 6
    assert len(transport.tenant_calls()) < 20


async def test_probe_traffic_leaves_the_customer_quota_alone(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    contract = northwind(contract={"api_rate_limit_per_minute": 40})
    await provision(acts, contract)

    first = await run(acts[NAME], request(NAME, contract))
    second = await run(acts[NAME], request(NAME, contract))

    # Each attempt bursts on a fresh probe key, so a retry within the minute passes too.
    assert first.passed, first.failed
    assert second.passed, second.failed
    # ...and the customer's own bucket is untouched: a login and a ping leave 38 of 40.
    email = "someone@northwind.example"
    password = SecretStr(PROBE_PASSWORD)
    await platform.put_user(
        "northwind-studios", email, name="Someone", roles=["viewer"], probe=True, password=password
    )
    session = await platform.login("northwind-studios", email, password)
    ping = await platform.tenant("GET", "northwind-studios", "/ping", session)
    assert ping.status == 200
    assert ping.headers["X-RateLimit-Remaining"] == "38"
