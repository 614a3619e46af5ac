"""Step 4 against the real sandbox: health, tenant database, rate limit, log visibility."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from activities.environment import EnvironmentActivities
from activities.platform import PlatformClient, ProbeConfig
from tests.activities.support import (
    PROBE_PASSWORD,
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

    started = time.monotonic()
    result = await run(acts[NAME], request(NAME))
    elapsed = time.monotonic() - started

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
    assert rate["headers"]["limit"] == 600
    assert rate["burst"]["statuses"] == {"200": 600}
    assert rate["burst"]["over_limit_status"] == 429
    assert rate["burst"]["retry_after"]
    assert checks["logging_visibility"].observed["found"] is True
    assert elapsed < 15, f"the step took {elapsed:.1f}s"


@pytest.mark.parametrize(
    ("fault", "check", "words"),
    [
        ("health_failing", "api_health", "failing component(s) jobs"),
        ("db_unreachable", "db_connectivity", "unable to open database file"),
        ("rate_limit_mismatch", "rate_limit", "request 101 was answered 200, not 429"),
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


async def test_burst_is_bounded_and_the_counter_checked_instead(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    contract = northwind(contract={"api_rate_limit_per_minute": 5000})
    await provision(acts, contract)
    probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD), rate_limit_burst_max=100)
    method = EnvironmentActivities(platform, probe).validate_environment

    result = await run(method, request(NAME, contract))

    rate = by_name(result)["rate_limit"]
    assert rate.passed, rate.detail
    assert rate.observed["burst"]["sent"] == 100
    assert "over_limit_status" not in rate.observed["burst"]
    assert "not tested because the limit exceeds the bound" in rate.detail


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
