"""Step 3 against the real sandbox: probe users prove login, RBAC, tokens and sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from activities.platform import PlatformClient
from tests.activities.support import (
    by_name,
    failed_names,
    inject,
    provision,
    request,
    run,
)

NAME = "verify_access_identity"
CHECKS = {"admin_auth", "rbac_matrix", "token_behaviour", "logout_revokes", "session_expiry"}


async def test_healthy_tenant_passes_every_check_and_only_later_steps_probes_stay(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)

    result = await run(acts[NAME], request(NAME))

    assert result.passed, result.failed
    checks = by_name(result)
    assert set(checks) == CHECKS
    matrix = checks["rbac_matrix"].observed
    assert set(matrix) == {"viewer", "editor", "manager", "admin"}
    assert all(len(row) == 6 for row in matrix.values())
    assert matrix["viewer"]["view_projects"] == "allowed"
    assert matrix["viewer"]["manage_users"] == "denied"
    assert matrix["manager"]["publish_video"] == "allowed"
    assert matrix["admin"]["configure_security"] == "allowed"
    assert checks["token_behaviour"].observed == {
        "valid": 200,
        "tampered": 401,
        "foreign": 401,
        "missing": 401,
        "foreign_source": "onboarding-probe",
    }
    assert checks["logout_revokes"].observed["after_logout"] == 401
    assert checks["session_expiry"].observed["after_expiry"] == 401
    # The viewer and editor stay for Steps 4 and 5; the admin and manager probes are gone.
    users = {u["email"]: u for u in await platform.users("northwind-studios")}
    domain = "northwind-studios.probe.localizevideos.example"
    assert set(users) == {
        "ada.park@northwind.example",
        f"probe-viewer.s3r1a1@{domain}",
        f"probe-editor.s3r1a1@{domain}",
    }
    assert users[f"probe-viewer.s3r1a1@{domain}"]["probe"] is True
    assert not [u for u in await platform.users("onboarding-probe") if u["probe"]]


async def test_second_run_reuses_the_probe_tenant(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)

    first = await run(acts[NAME], request(NAME))
    second = await run(acts[NAME], request(NAME))

    assert first.passed and second.passed
    ops = await platform.admin_ok(
        "GET", "/v1/admin/operations", params={"tenant_id": "onboarding-probe"}
    )
    assert [op["operation"] for op in ops].count("create_account") == 1


@pytest.mark.parametrize(
    ("fault", "check", "words"),
    [
        ("admin_login_broken", "admin_auth", "could not log in"),
        ("viewer_can_admin", "rbac_matrix", "viewer manage_users: allowed"),
        ("tampered_token_accepted", "token_behaviour", "a tampered token was answered 200"),
        ("logout_does_not_revoke", "logout_revokes", "after 200"),
        ("session_never_expires", "session_expiry", "still answered 200 after it lapsed"),
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
    assert "`onboard retry northwind-studios access_identity --as" in detail


async def test_admin_login_broken_leaves_the_admin_row_untested_not_passed_silently(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)
    await inject(platform, "admin_login_broken")

    result = await run(acts[NAME], request(NAME))

    rbac = by_name(result)["rbac_matrix"]
    assert set(rbac.observed["admin"].values()) == {"not tested"}
    assert "admin row was not tested" in rbac.detail
    assert not result.passed


async def test_unknown_tenant_fails_every_check_without_raising(
    acts: dict[str, Callable[..., Any]],
) -> None:
    result = await run(acts[NAME], request(NAME))

    assert failed_names(result) == CHECKS
    assert all(
        "There is no account for tenant 'northwind-studios'" in c.detail for c in result.checks
    )
