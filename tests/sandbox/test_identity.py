"""Step 3: login, HMAC-signed tenant-bound tokens (tampered, foreign, expired, revoked), RBAC."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime, timedelta

import pytest

from tests.sandbox.platform import PASSWORD, ROLES, Platform, Tenant, bearer, tamper

ACTIONS = {
    "view_projects": "viewer",
    "edit_subtitles": "editor",
    "publish_video": "manager",
    "manage_users": "admin",
    "manage_billing": "admin",
    "configure_security": "admin",
}


@pytest.fixture
def tenant(shared_tenant: Tenant) -> Tenant:
    """The module's tenant: tests here only add sessions, jobs and settings to it."""
    return shared_tenant


async def test_login_and_me(platform: Platform, tenant: Tenant) -> None:
    response = await platform.login(tenant.id, tenant.email("editor").upper())
    login = response.json()

    me = await platform.client.get(f"/v1/t/{tenant.id}/me", headers=bearer(login["token"]))

    assert response.status_code == 200
    assert login["roles"] == ["editor"]
    assert me.json() == {
        "email": tenant.email("editor"),
        "roles": ["editor"],
        "tenant_id": tenant.id,
        "expires_at": login["expires_at"],
    }


async def test_wrong_password_and_unknown_user_are_401(platform: Platform, tenant: Tenant) -> None:
    wrong = await platform.login(tenant.id, tenant.email("admin"), password="guess")
    unknown = await platform.login(tenant.id, f"nobody@{tenant.id}.example")

    assert wrong.status_code == unknown.status_code == 401
    assert "token" not in wrong.text


async def test_ttl_may_shorten_but_never_lengthen_the_session(
    platform: Platform, tenant: Tenant
) -> None:
    await platform.client.put(
        f"/v1/tenants/{tenant.id}/security",
        json={
            "mfa_required": True,
            "max_session_minutes": 5,
            "password_min_length": 12,
            "sso_enabled": False,
        },
    )
    short = (await platform.login(tenant.id, tenant.email("viewer"), ttl_seconds=30)).json()
    long = (await platform.login(tenant.id, tenant.email("viewer"), ttl_seconds=86_400)).json()
    now = datetime.now(datetime.fromisoformat(short["expires_at"]).tzinfo)

    assert datetime.fromisoformat(short["expires_at"]) - now <= timedelta(seconds=31)
    assert datetime.fromisoformat(long["expires_at"]) - now <= timedelta(minutes=5, seconds=1)


async def test_tokens_are_hmac_signed_and_tampering_is_refused(
    platform: Platform, tenant: Tenant
) -> None:
    token = tenant.tokens["viewer"]
    payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = tenant.email("admin")
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    me = f"/v1/t/{tenant.id}/me"

    for bad in (tamper(token), f"{forged_payload}.{signature}", "garbage", token + "x"):
        response = await platform.client.get(me, headers=bearer(bad))
        assert response.status_code == 401, bad
    no_header = await platform.client.get(me)
    assert no_header.status_code == 401
    assert (await platform.client.get(me, headers=bearer(token))).status_code == 200


async def test_foreign_token_is_refused(platform: Platform, tenant: Tenant) -> None:
    other = await platform.prepared_tenant()

    response = await platform.client.get(
        f"/v1/t/{tenant.id}/me", headers=bearer(other.tokens["admin"])
    )

    assert response.status_code == 401
    assert "another tenant" in response.json()["detail"]


async def test_expired_token_is_refused(platform: Platform, tenant: Tenant) -> None:
    token = await platform.token(tenant.id, tenant.email("viewer"), ttl_seconds=1)
    me = f"/v1/t/{tenant.id}/me"
    assert (await platform.client.get(me, headers=bearer(token))).status_code == 200

    await asyncio.sleep(1.1)

    response = await platform.client.get(me, headers=bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_logout_revokes_the_token(platform: Platform, tenant: Tenant) -> None:
    token = await platform.token(tenant.id, tenant.email("viewer"))
    other = await platform.token(tenant.id, tenant.email("viewer"))

    logout = await platform.client.post(f"/v1/t/{tenant.id}/logout", headers=bearer(token))
    revoked = await platform.client.get(f"/v1/t/{tenant.id}/me", headers=bearer(token))
    untouched = await platform.client.get(f"/v1/t/{tenant.id}/me", headers=bearer(other))

    assert logout.status_code == 204
    assert revoked.status_code == 401
    assert untouched.status_code == 200


@pytest.mark.parametrize("role", ROLES)
async def test_rbac_matrix(platform: Platform, tenant: Tenant, role: str) -> None:
    for action, lowest in ACTIONS.items():
        response = await platform.client.post(
            f"/v1/t/{tenant.id}/actions/{action}", headers=bearer(tenant.tokens[role])
        )
        expected = 200 if ROLES.index(role) >= ROLES.index(lowest) else 403
        assert response.status_code == expected, (role, action)
        if expected == 200:
            assert response.json() == {"allowed": True}


async def test_rbac_matrix_is_published(platform: Platform, tenant: Tenant) -> None:
    matrix = (await platform.client.get("/v1/rbac/actions")).json()
    unknown = await platform.client.post(
        f"/v1/t/{tenant.id}/actions/launch_rockets", headers=bearer(tenant.tokens["admin"])
    )

    assert matrix["roles"] == list(ROLES)
    assert matrix["actions"] == {
        action: list(ROLES[ROLES.index(lowest) :]) for action, lowest in ACTIONS.items()
    }
    assert unknown.status_code == 404


async def test_tenant_api_of_unknown_tenant_is_404(platform: Platform) -> None:
    response = await platform.client.post(
        "/v1/t/no-such-tenant/login", json={"email": "a@b.example", "password": PASSWORD}
    )

    assert response.status_code == 404


async def test_login_says_when_the_platform_issued_the_session(
    platform: Platform, tenant: Tenant
) -> None:
    response = await platform.login(tenant.id, tenant.email("viewer"), ttl_seconds=7)

    body = response.json()
    issued = datetime.fromisoformat(body["issued_at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert (expires - issued).total_seconds() == pytest.approx(7, abs=0.001)
