"""The identity and environment checks give the same verdicts on a busy machine as on an
idle one: every check passes on a healthy tenant and each timing fault is still caught,
whether the checker is late on every request or the CPU is taken by other processes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from activities.catalog import platform_activities
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

IDENTITY, ENVIRONMENT = "verify_access_identity", "validate_environment"
TIMING_FAULTS = [
    ("session_never_expires", IDENTITY, "session_expiry"),
    ("rate_limit_mismatch", ENVIRONMENT, "rate_limit"),
    ("logging_dropped", ENVIRONMENT, "logging_visibility"),
]
"""Faults of the checks that wait on the platform's clock."""


@pytest.fixture
async def late_acts(sandbox_url: str) -> AsyncIterator[dict[str, Callable[..., Any]]]:
    """The activities, with a checker that is half a second late on every request."""
    async with httpx.AsyncClient(transport=SlowTransport(delay=0.5), timeout=30) as http:
        platform = PlatformClient(http, SecretStr(ADMIN_KEY), base_url=sandbox_url)
        probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD), logging_wait_seconds=1.5)
        yield {fn.__name__: fn for fn in platform_activities(platform, probe)}


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """Three CPU-bound processes for the test's duration, on a two-core machine."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


async def test_a_late_checker_still_passes_a_healthy_tenant(
    acts: dict[str, Callable[..., Any]], late_acts: dict[str, Callable[..., Any]]
) -> None:
    await provision(acts)

    identity = await run(late_acts[IDENTITY], request(IDENTITY))
    environment = await run(late_acts[ENVIRONMENT], request(ENVIRONMENT))

    assert identity.passed, identity.failed
    assert environment.passed, environment.failed
    # Too late to tell at first, so both probes asked again with more time, and passed.
    expiry = by_name(identity)["session_expiry"].observed
    assert expiry["probes"] >= 2 and expiry["ttl_seconds"] > 1
    rate = by_name(environment)["rate_limit"].observed
    assert rate["probes"] >= 2 and rate["probe_bucket"]["window_seconds"] > 1


@pytest.mark.parametrize(("fault", "activity", "check"), TIMING_FAULTS)
async def test_a_late_checker_still_catches_each_timing_fault(
    acts: dict[str, Callable[..., Any]],
    late_acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    fault: str,
    activity: str,
    check: str,
) -> None:
    await provision(acts)
    await inject(platform, fault)

    result = await run(late_acts[activity], request(activity))

    assert failed_names(result) == {check}


@pytest.mark.usefixtures("busy_cpu")
async def test_verdicts_on_a_busy_cpu_are_the_verdicts_of_an_idle_one(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient, probe: ProbeConfig
) -> None:
    healthy = northwind()
    faulty = {
        fault: northwind(tenant={"id": f"t-{fault.replace('_', '-')}"}, contacts=_own(fault))
        for fault, _, _ in TIMING_FAULTS
    }
    for contract in (healthy, *faulty.values()):
        await provision(acts, contract)
    for fault, contract in faulty.items():
        await inject(platform, fault, contract.tenant.id)

    identity = await run(acts[IDENTITY], request(IDENTITY, healthy))
    environment = await run(acts[ENVIRONMENT], request(ENVIRONMENT, healthy))
    caught = {
        fault: failed_names(await run(acts[activity], request(activity, faulty[fault])))
        for fault, activity, _ in TIMING_FAULTS
    }

    assert identity.passed, identity.failed
    assert environment.passed, environment.failed
    assert caught == {fault: {check} for fault, _, check in TIMING_FAULTS}


def _own(fault: str) -> dict[str, Any]:
    """Contacts of a tenant of its own: the platform refuses shared admin e-mails."""
    domain = f"{fault.replace('_', '-')}.example"
    return {
        "admins": [{"name": "Ada Park", "email": f"ada@{domain}"}],
        "escalation": [{"name": "Sam Ortiz", "email": f"sam@{domain}"}],
    }
