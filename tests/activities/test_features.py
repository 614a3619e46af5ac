"""Step 5 against the real sandbox: contracted features only, permissions, UI, flows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from activities.platform import PlatformClient
from tests.activities.support import (
    by_name,
    failed_names,
    inject,
    northwind,
    provision,
    request,
    run,
)

NAME = "enable_features"
CHECKS = {"contracted_features_only", "feature_permissions", "ui_visibility", "critical_flows"}
CONTRACTED = ["api_access", "dubbing", "glossary", "sso", "subtitles"]


async def test_healthy_tenant_passes_every_check_with_evidence(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)

    result = await run(acts[NAME], request(NAME))

    assert result.passed, result.failed
    checks = by_name(result)
    assert set(checks) == CHECKS
    assert checks["contracted_features_only"].observed["effective"] == CONTRACTED
    permissions = checks["feature_permissions"].observed
    assert {f: permissions["editor"][f] for f in CONTRACTED} == dict.fromkeys(CONTRACTED, 200)
    assert permissions["editor"]["voice_over"] == 403
    assert set(permissions["viewer"].values()) == {403}
    assert checks["ui_visibility"].observed["features"] == CONTRACTED
    flows = checks["critical_flows"].observed
    assert flows["upload"] == 201 and flows["subtitles_request"] == 202
    assert flows["job"] == "completed"
    assert not [u for u in await platform.users("northwind-studios") if u["probe"]]


@pytest.mark.parametrize(
    ("fault", "check", "words"),
    [
        ("hidden_feature_enabled", "contracted_features_only", "lip_sync_beta (experimental)"),
        ("feature_not_visible", "ui_visibility", "the UI shows"),
        ("critical_flow_broken", "critical_flows", "ended 'failed'"),
    ],
)
async def test_fault_fails_exactly_its_check(
    acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    fault: str,
    check: str,
    words: str,
) -> None:
    await provision(acts)
    await inject(platform, fault)

    result = await run(acts[NAME], request(NAME))

    assert failed_names(result) == {check}
    detail = by_name(result)[check].detail
    assert words in detail
    assert "`onboard retry northwind-studios feature_enablement --as" in detail


async def test_flags_changed_since_provisioning_are_put_back_and_recorded(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)
    await platform.put_features("northwind-studios", ["subtitles", "voice_over"])

    result = await run(acts[NAME], request(NAME))

    assert result.passed, result.failed
    only = by_name(result)["contracted_features_only"]
    assert only.observed["before"] == ["subtitles", "voice_over"]
    assert only.observed["reapplied_contract"] is True
    assert "corrected from subtitles, voice_over" in only.detail


async def test_without_subtitles_the_flow_checks_upload_and_the_refusal(
    acts: dict[str, Callable[..., Any]],
) -> None:
    contract = northwind(contract={"features": ["dubbing", "glossary"]})
    await provision(acts, contract)

    result = await run(acts[NAME], request(NAME, contract))

    assert result.passed, result.failed
    flows = by_name(result)["critical_flows"]
    assert flows.observed == {
        "upload": 201,
        "video_id": flows.observed["video_id"],
        "subtitles_request": 403,
    }
    assert "Subtitles are not contracted" in flows.detail
