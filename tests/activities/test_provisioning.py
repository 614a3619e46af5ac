"""Step 2 against the real sandbox: one account, never shared, contract applied."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from activities.evidence import NOT_RUN
from activities.platform import PlatformClient
from tests.activities.support import (
    by_name,
    failed_names,
    inject,
    northwind,
    operations,
    request,
    run,
)

NAME = "provision_account"
CHECKS = {
    "no_shared_account",
    "account_created",
    "admin_roles",
    "feature_flags",
    "security_defaults",
    "rate_limit_configured",
}


async def test_provisions_the_contract_with_evidence(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    req = request(NAME)

    result = await run(acts[NAME], req)

    assert result.passed, result.failed
    checks = by_name(result)
    assert set(checks) == CHECKS
    assert checks["account_created"].observed["created_now"] is True
    assert checks["admin_roles"].observed["admins"] == ["ada.park@northwind.example"]
    assert checks["feature_flags"].observed["effective"] == [
        "api_access",
        "dubbing",
        "glossary",
        "sso",
        "subtitles",
    ]
    security = checks["security_defaults"].observed
    assert security["mfa_required"] is True
    assert security["max_session_minutes"] <= 480
    assert security["password_min_length"] >= 12
    assert security["sso_enabled"] is True
    assert checks["rate_limit_configured"].observed == 600
    account = await platform.get_tenant("northwind-studios")
    assert account is not None
    assert result.facts["account_id"] == account["account_id"]
    assert account["idempotency_key"] == req.idempotency_key


async def test_running_twice_creates_one_account(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    req = request(NAME)

    first = await run(acts[NAME], req)
    done_before = len(await operations(platform))
    second = await run(acts[NAME], req)

    assert first.passed and second.passed
    assert first.facts["account_id"] == second.facts["account_id"]
    assert by_name(second)["account_created"].observed["created_now"] is False
    ops = await operations(platform)
    counts = Counter(op["operation"] for op in ops)
    assert counts["create_account"] == 1
    assert counts["create_account.noop"] == 1
    # The repeat changed nothing anywhere, and every call carried the step's key.
    repeat = [op["operation"] for op in ops[done_before:]]
    assert repeat and all(name.endswith(".noop") for name in repeat), repeat
    assert {op["idempotency_key"] for op in ops} == {req.idempotency_key}


async def test_account_bound_elsewhere_is_refused_and_nothing_created(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await inject(platform, "account_exists")

    result = await run(acts[NAME], request(NAME))

    assert failed_names(result) == {"no_shared_account"}
    assert [c.name for c in result.checks] == ["no_shared_account"]
    assert set(result.facts[NOT_RUN]) == CHECKS - {"no_shared_account"}
    check = by_name(result)["no_shared_account"]
    assert "Refused to create or reuse a shared account" in check.detail
    assert check.observed["other_accounts"][0]["bound_by"] == "tenant id northwind-studios"
    assert not [op for op in await operations(platform) if op["operation"] == "create_account"]


async def test_a_second_onboarding_of_the_same_tenant_never_reuses_the_account(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    assert (await run(acts[NAME], request(NAME))).passed

    again = await run(acts[NAME], request(NAME, workflow_id="onboarding-northwind-studios-2"))

    assert failed_names(again) == {"no_shared_account"}
    ops = [op["operation"] for op in await operations(platform)]
    assert ops.count("create_account") == 1


async def test_admin_email_of_another_account_is_refused(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    assert (await run(acts[NAME], request(NAME))).passed
    other = northwind(tenant={"id": "fabrikam-films", "name": "Fabrikam Films"})

    result = await run(acts[NAME], request(NAME, other))

    assert failed_names(result) == {"no_shared_account"}
    detail = by_name(result)["no_shared_account"].detail
    assert "admin e-mail ada.park@northwind.example is bound to account" in detail
    assert await platform.get_tenant("fabrikam-films") is None


async def test_weakened_security_defaults_fail_only_that_check(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await inject(platform, "security_defaults_weakened")

    result = await run(acts[NAME], request(NAME))

    assert failed_names(result) == {"security_defaults"}
    assert "MFA is not required" in by_name(result)["security_defaults"].detail


async def test_sso_stays_off_when_not_contracted(acts: dict[str, Callable[..., Any]]) -> None:
    contract = northwind(contract={"features": ["subtitles", "dubbing"], "sla_tier": "standard"})

    result = await run(acts[NAME], request(NAME, contract))

    assert result.passed, result.failed
    security = by_name(result)["security_defaults"]
    assert security.observed["sso_enabled"] is False
    assert security.expected["max_session_minutes_at_most"] == 720
