"""Long activities heartbeat throughout, platform requests are bounded worker-wide and per
onboarding, and a result too large for Temporal is a named failure, not an outage."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.catalog import platform_activities
from activities.platform import PlatformClient, ProbeConfig
from activities.result_size import MAX_RESULT_BYTES, RESULT_TOO_LARGE
from tests.activities.support import (
    ADMIN_KEY,
    PROBE_PASSWORD,
    SlowTransport,
    northwind,
    request,
    run,
    run_as,
)
from tests.activities.test_platform import ACTIVITY_NAMES


@pytest.fixture
async def slow(sandbox_url: str) -> AsyncIterator[tuple[PlatformClient, SlowTransport]]:
    """A platform client whose every request waits 0.6 s before it is sent."""
    transport = SlowTransport(delay=0.6)
    async with httpx.AsyncClient(transport=transport, timeout=15) as http:
        yield PlatformClient(http, SecretStr(ADMIN_KEY), base_url=sandbox_url), transport


@pytest.mark.parametrize("name", ACTIVITY_NAMES)
async def test_every_platform_activity_heartbeats_while_a_request_is_pending(
    name: str, slow: tuple[PlatformClient, SlowTransport], tmp_path: Any
) -> None:
    platform, _ = slow
    probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD))
    method = {fn.__name__: fn for fn in platform_activities(platform, probe, tmp_path)}[name]
    beats: list[Any] = []

    # An unknown tenant: each activity makes a few slow calls, then reports failed checks.
    await run_as(method, request(name), heartbeat_timeout=timedelta(seconds=0.8), heartbeats=beats)

    # A beat every 0.2 s: several fall inside the first 0.6 s request alone.
    assert len(beats) >= 3


async def test_one_onboarding_has_at_most_a_few_requests_in_flight(sandbox_url: str) -> None:
    transport = SlowTransport(delay=0.05)
    async with httpx.AsyncClient(transport=transport, timeout=15) as http:
        platform = PlatformClient(http, SecretStr(ADMIN_KEY), base_url=sandbox_url)

        async def burst() -> None:
            await asyncio.gather(*(platform.feature_catalogue() for _ in range(40)))

        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, workflow_id="onboarding-a")
        await env.run(burst)

    assert len(transport.sent) == 40
    assert transport.most_in_flight == 4


async def test_the_worker_wide_bound_holds_across_onboardings_and_none_is_starved(
    sandbox_url: str,
) -> None:
    transport = SlowTransport(delay=0.05)
    done: list[str] = []
    async with httpx.AsyncClient(transport=transport, timeout=15) as http:
        platform = PlatformClient(
            http, SecretStr(ADMIN_KEY), base_url=sandbox_url, max_in_flight=6, per_onboarding=3
        )

        async def calls(tenant: str, count: int) -> None:
            async def one() -> None:
                await platform.feature_catalogue()
                done.append(tenant)

            await asyncio.gather(*(one() for _ in range(count)))

        async def as_onboarding(tenant: str, count: int, after: float) -> None:
            await asyncio.sleep(after)
            env = ActivityEnvironment()
            env.info = dataclasses.replace(env.info, workflow_id=f"onboarding-{tenant}")
            await env.run(calls, tenant, count)

        await asyncio.gather(
            as_onboarding("big", 60, 0), *(as_onboarding(f"small{i}", 1, 0.1) for i in range(3))
        )

    assert transport.most_in_flight == 6
    # The three small onboardings got their turn long before the big one's 60 were done.
    last_small = max(i for i, tenant in enumerate(done) if tenant.startswith("small"))
    assert last_small < 20, done


async def test_a_result_over_the_payload_budget_is_a_named_non_retryable_failure(
    acts: dict[str, Any],
) -> None:
    features = [f"feature-{i:05d}" for i in range(20_000)]
    # Past the contract's own bound on features (the validator refuses this many): the
    # budget is the activity's guard for whatever a result grows from.
    contract = northwind()
    contract = contract.model_copy(
        update={"contract": contract.contract.model_copy(update={"features": features})}
    )

    with pytest.raises(ApplicationError) as caught:
        await run(acts["provision_account"], request("provision_account", contract))

    error = caught.value
    assert error.type == RESULT_TOO_LARGE
    assert error.non_retryable
    assert "check feature_flags" in str(error)
    assert "could not be reached" not in str(error)
    size, limit, largest = (error.details[0][k] for k in ("bytes", "limit", "largest"))
    assert size > limit == MAX_RESULT_BYTES
    assert largest == "check feature_flags"
