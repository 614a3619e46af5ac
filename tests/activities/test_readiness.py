"""Step 1 against the real sandbox: stability, capacity, compliance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from activities.platform import PlatformClient
from tests.activities.support import by_name, failed_names, inject, northwind, request, run

NAME = "check_internal_readiness"


async def test_healthy_platform_passes_every_check_with_evidence(
    acts: dict[str, Callable[..., Any]],
) -> None:
    result = await run(acts[NAME], request(NAME))

    assert result.passed, result.failed
    checks = by_name(result)
    assert set(checks) == {"production_stability", "capacity", "compliance"}
    for check in checks.values():
        assert check.checked_at is not None and check.checked_at.tzinfo is not None
        assert check.expected is not None and check.observed is not None
        assert check.detail.endswith(".")
    assert checks["capacity"].observed["free"] >= 120
    assert checks["compliance"].observed["features"]["sso"] == "ga"


@pytest.mark.parametrize(
    ("fault", "check", "words"),
    [
        ("production_incident", "production_stability", "severity-1"),
        ("capacity_exhausted", "capacity", "0 free seats"),
    ],
)
async def test_fault_fails_exactly_its_check(
    acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    fault: str,
    check: str,
    words: str,
) -> None:
    await inject(platform, fault)

    result = await run(acts[NAME], request(NAME))

    assert failed_names(result) == {check}
    detail = by_name(result)[check].detail
    assert words in detail
    assert "`onboard retry northwind-studios internal_readiness --as" in detail


async def test_unknown_residency_region_fails_capacity_and_compliance(
    acts: dict[str, Callable[..., Any]],
) -> None:
    contract = northwind(data_residency={"region": "mars-north"})

    result = await run(acts[NAME], request(NAME, contract))

    assert failed_names(result) == {"capacity", "compliance"}
    assert "mars-north" in by_name(result)["compliance"].detail


async def test_future_signature_and_non_ga_feature_fail_compliance(
    acts: dict[str, Callable[..., Any]],
) -> None:
    contract = northwind(
        contract={
            "signed_on": (date.today() + timedelta(days=3)).isoformat(),
            "features": ["subtitles", "lip_sync_beta", "teleport"],
        }
    )

    result = await run(acts[NAME], request(NAME, contract))

    assert failed_names(result) == {"compliance"}
    detail = by_name(result)["compliance"].detail
    assert "signed in the future" in detail
    assert "'lip_sync_beta' is experimental" in detail
    assert "'teleport' is not in the catalogue" in detail
