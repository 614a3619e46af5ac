"""Step 2: idempotent account creation, conflicts, users, flags, settings, tenant database."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import create_engine, text

from tests.sandbox.platform import PASSWORD, Platform, new_tenant_id, tenant_body


async def test_same_idempotency_key_creates_one_account(platform: Platform) -> None:
    first, body = await platform.create_tenant()
    again = await platform.client.post("/v1/tenants", json=body)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["account_id"] == first.json()["account_id"]
    accounts = await platform.client.get("/v1/accounts", params={"tenant_id": body["tenant_id"]})
    assert [a["account_id"] for a in accounts.json()] == [first.json()["account_id"]]
    operations = [o["operation"] for o in await platform.operations(body["tenant_id"])]
    assert operations.count("create_account") == 1
    assert operations.count("create_account.noop") == 1


async def test_concurrent_creates_with_one_key_make_one_account(platform: Platform) -> None:
    body = tenant_body(seats=1)

    responses = await asyncio.gather(
        *(platform.client.post("/v1/tenants", json=body) for _ in range(6))
    )

    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["account_id"] for r in responses}) == 1
    operations = [o["operation"] for o in await platform.operations(body["tenant_id"])]
    assert operations.count("create_account") == 1


async def test_account_fields_and_lookup_by_admin_email(platform: Platform) -> None:
    admin = {"name": "Ada Admin", "email": f"Ada@{new_tenant_id()}.example"}
    response, body = await platform.create_tenant(admins=[admin], seats=42, region="eu-west")

    account = response.json()
    assert account["tenant_id"] == body["tenant_id"]
    assert account["region"] == "eu-west"
    assert account["seats"] == 42
    assert account["status"] == "provisioned"
    assert account["idempotency_key"] == body["idempotency_key"]
    assert account["created_at"].endswith("Z")
    fetched = await platform.client.get(f"/v1/tenants/{body['tenant_id']}")
    assert fetched.json() == account
    by_email = await platform.client.get(
        "/v1/accounts", params={"admin_email": admin["email"].lower()}
    )
    assert [a["account_id"] for a in by_email.json()] == [account["account_id"]]
    users = await platform.client.get(f"/v1/tenants/{body['tenant_id']}/users")
    assert users.json() == [
        {"email": admin["email"].lower(), "name": "Ada Admin", "roles": ["admin"], "probe": False}
    ]


async def test_tenant_bound_with_another_key_is_409(platform: Platform) -> None:
    first, body = await platform.create_tenant()
    conflict, _ = await platform.create_tenant(body["tenant_id"], key="another-key")

    assert first.status_code == 201
    assert conflict.status_code == 409
    assert body["tenant_id"] in conflict.json()["detail"]


async def test_admin_email_bound_to_another_account_is_409(platform: Platform) -> None:
    admin = {"name": "Shared", "email": f"shared@{new_tenant_id()}.example"}
    first, _ = await platform.create_tenant(admins=[admin])
    conflict, other = await platform.create_tenant(admins=[admin])

    assert first.status_code == 201
    assert conflict.status_code == 409
    missing = await platform.client.get(f"/v1/tenants/{other['tenant_id']}")
    assert missing.status_code == 404


async def test_idempotency_key_reused_for_another_tenant_is_409(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    conflict, _ = await platform.create_tenant(key=body["idempotency_key"])

    assert conflict.status_code == 409


async def test_bad_input_is_400_with_a_sentence(platform: Platform) -> None:
    for change in (
        {"seats": 0},
        {"tenant_id": "Not A Slug"},
        {"region": "moon-base"},
        {"admins": [{"name": "X", "email": "not-an-email"}]},
    ):
        response = await platform.client.post("/v1/tenants", json={**tenant_body(), **change})
        assert response.status_code == 400, (change, response.text)
        assert isinstance(response.json()["detail"], str)


async def test_unknown_tenant_is_404(platform: Platform) -> None:
    for path in ("", "/users", "/features", "/security", "/rate-limit", "/database", "/usage"):
        response = await platform.client.get(f"/v1/tenants/{new_tenant_id()}{path}")
        assert response.status_code == 404, path


async def test_region_seats_grow_with_accounts(platform: Platform) -> None:
    before = (await platform.client.get("/v1/regions/us-west")).json()["used_seats"]
    await platform.create_tenant(seats=7, region="us-west")
    after = (await platform.client.get("/v1/regions/us-west")).json()["used_seats"]

    assert after == before + 7


async def test_users_upsert_is_idempotent_and_never_returns_passwords(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    tenant = body["tenant_id"]
    email = f"Probe@{tenant}.example"

    first = await platform.put_user(tenant, email, ["editor", "viewer", "editor"])
    again = await platform.put_user(tenant, email, ["editor", "viewer"])
    listed = await platform.client.get(f"/v1/tenants/{tenant}/users")

    assert first.status_code == again.status_code == 200
    assert first.json() == {
        "email": email.lower(),
        "name": "Probe",
        "roles": ["viewer", "editor"],
        "probe": True,
    }
    assert PASSWORD not in listed.text and "password" not in listed.text
    operations = [o["operation"] for o in await platform.operations(tenant)]
    assert operations.count("upsert_user") == 1
    assert operations.count("upsert_user.noop") == 1
    bad_role = await platform.client.put(
        f"/v1/tenants/{tenant}/users/{email}", json={"name": "X", "roles": ["owner"]}
    )
    assert bad_role.status_code == 400


async def test_deleting_a_user_revokes_their_sessions(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    tenant = body["tenant_id"]
    email = f"gone@{tenant}.example"
    await platform.put_user(tenant, email, ["viewer"])
    token = await platform.token(tenant, email)

    deleted = await platform.client.delete(f"/v1/tenants/{tenant}/users/{email}")
    me = await platform.client.get(
        f"/v1/t/{tenant}/me", headers={"Authorization": f"Bearer {token}"}
    )
    listed = await platform.client.get(f"/v1/tenants/{tenant}/users")

    assert deleted.status_code == 204
    assert me.status_code == 401
    assert listed.json() == []


async def test_feature_flags(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    path = f"/v1/tenants/{body['tenant_id']}/features"

    assert (await platform.client.get(path)).json() == {"features": []}
    saved = await platform.client.put(path, json={"features": ["glossary", "subtitles"]})
    unknown = await platform.client.put(path, json={"features": ["subtitles", "teleport"]})

    assert saved.json() == {"features": ["subtitles", "glossary"]}
    assert unknown.status_code == 400
    assert "teleport" in unknown.json()["detail"]
    assert (await platform.client.get(path)).json() == {"features": ["subtitles", "glossary"]}


async def test_unknown_features_are_named_without_echoing_the_whole_request(
    platform: Platform,
) -> None:
    _, body = await platform.create_tenant()
    wanted = [f"feature-{i:02d}" for i in range(30)]

    refused = await platform.client.put(
        f"/v1/tenants/{body['tenant_id']}/features", json={"features": wanted}
    )

    detail = refused.json()["detail"]
    assert refused.status_code == 400
    assert "feature-00, feature-01" in detail and "feature-09 and 20 more" in detail
    assert "feature-29" not in detail


async def test_security_settings_read_back(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    path = f"/v1/tenants/{body['tenant_id']}/security"
    wanted = {
        "mfa_required": True,
        "max_session_minutes": 30,
        "password_min_length": 14,
        "sso_enabled": True,
    }

    defaults = await platform.client.get(path)
    saved = await platform.client.put(path, json=wanted)

    assert defaults.json()["mfa_required"] is True
    assert saved.json() == wanted
    assert (await platform.client.get(path)).json() == wanted


async def test_rate_limit_configuration(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    path = f"/v1/tenants/{body['tenant_id']}/rate-limit"

    saved = await platform.client.put(path, json={"per_minute": 120})
    refused = await platform.client.put(path, json={"per_minute": 0})

    assert saved.json() == {"per_minute": 120}
    assert refused.status_code == 400
    assert (await platform.client.get(path)).json() == {"per_minute": 120}


async def test_tenant_database_accepts_sqlalchemy_connections(platform: Platform) -> None:
    _, body = await platform.create_tenant()

    response = await platform.client.get(f"/v1/tenants/{body['tenant_id']}/database")

    url = response.json()["url"]
    assert url.startswith("sqlite:///")

    def count_projects() -> int:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM projects")).scalar_one())
        finally:
            engine.dispose()

    assert await asyncio.to_thread(count_projects) >= 1


async def test_admin_api_needs_the_key(sandbox_url: str) -> None:
    async with httpx.AsyncClient(base_url=sandbox_url) as anonymous:
        missing = await anonymous.get("/v1/accounts")
        wrong = await anonymous.get("/v1/accounts", headers={"Authorization": "Bearer nope"})
        schema = await anonymous.get("/openapi.json")

    assert missing.status_code == wrong.status_code == 401
    assert isinstance(missing.json()["detail"], str)
    assert schema.status_code == 200
    assert "/v1/tenants" in schema.json()["paths"]
