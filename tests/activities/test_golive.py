"""Step 7 and the review against the real sandbox: monitoring, activation, usage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from activities.platform import PlatformClient
from tests.activities.support import (
    by_name,
    failed_names,
    inject,
    operations,
    provision,
    request,
    run,
)


async def test_monitoring_rules_are_created_and_verified(
    acts: dict[str, Callable[..., Any]],
) -> None:
    await provision(acts)

    result = await run(acts["verify_monitoring"], request("verify_monitoring"))

    assert result.passed, result.failed
    monitoring = by_name(result)["monitoring"]
    assert {a["name"] for a in monitoring.observed} >= {"error_rate_high", "login_failures"}


async def test_missing_alerts_fail_monitoring(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)
    await inject(platform, "monitoring_missing")

    result = await run(acts["verify_monitoring"], request("verify_monitoring"))

    assert failed_names(result) == {"monitoring"}
    assert "No alert rules exist" in result.checks[0].detail


async def test_activation_records_the_workflow_go_live_time_once(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)
    go_live_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    req = request("activate_tenant", go_live_at=go_live_at)

    first = await run(acts["activate_tenant"], req)
    second = await run(acts["activate_tenant"], req)

    assert first.passed and second.passed
    assert first.facts == {"go_live_at": go_live_at.isoformat(), "account_status": "live"}
    account = await platform.get_tenant("northwind-studios")
    assert account is not None and account["status"] == "live"
    assert datetime.fromisoformat(account["go_live_at"]) == go_live_at
    counts = Counter(op["operation"] for op in await operations(platform))
    assert counts["activate"] == 1 and counts["activate.noop"] == 1


async def test_usage_figures_become_facts(acts: dict[str, Callable[..., Any]]) -> None:
    await provision(acts)
    assert (await run(acts["enable_features"], request("enable_features"))).passed

    result = await run(acts["gather_usage"], request("gather_usage"))

    assert result.passed, result.failed
    assert set(result.facts) == {
        "active_users",
        "minutes_localised",
        "features_used",
        "admins_logged_in",
        "api_latency_ms_p95",
        "error_rate",
        "enablement_opened",
    }
    # Probe users are not customers: the enablement probes left no usage behind.
    assert result.facts["active_users"] == 0
    assert result.facts["minutes_localised"] == 0
    assert result.facts["enablement_opened"] == []
