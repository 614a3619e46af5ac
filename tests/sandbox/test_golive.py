"""Step 7 and review: status, regions, catalogue, monitoring, support, activation, usage."""

from __future__ import annotations

from tests.sandbox.platform import PASSWORD, Platform, bearer, new_tenant_id


async def test_status_regions_and_catalogue(platform: Platform) -> None:
    status = (await platform.client.get("/v1/status")).json()
    regions = {r["name"]: r for r in (await platform.client.get("/v1/regions")).json()}
    catalogue = (await platform.client.get("/v1/features")).json()
    unknown = await platform.client.get("/v1/regions/atlantis")

    assert not [i for i in status["incidents"] if i["open"]]
    assert status["error_rate"] <= status["error_rate_threshold"]
    assert set(regions) == {"eu-central", "eu-west", "us-east", "us-west", "ap-southeast"}
    assert regions["eu-central"]["capacity_seats"] == 10_000
    assert all(
        r["residency_approved"] and r["used_seats"] < r["capacity_seats"] for r in regions.values()
    )
    stages = {f["key"]: f["stage"] for f in catalogue}
    assert stages["subtitles"] == stages["translation_memory"] == "ga"
    assert stages["lip_sync_beta"] == stages["ai_director"] == "experimental"
    assert len(stages) == 10
    assert unknown.status_code == 404


async def test_monitoring_is_idempotent(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    path = f"/v1/tenants/{body['tenant_id']}/monitoring"

    assert (await platform.client.get(path)).json() == {"alerts": []}
    first = await platform.client.put(path)
    again = await platform.client.put(path)

    assert first.json() == again.json() == (await platform.client.get(path)).json()
    assert {"name", "condition"} <= set(first.json()["alerts"][0])
    operations = [o["operation"] for o in await platform.operations(body["tenant_id"])]
    assert operations.count("set_monitoring") == 1


async def test_support_registration(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    path = f"/v1/tenants/{body['tenant_id']}/support"
    registration = {
        "channel": "slack:#acme-support",
        "tier": "enterprise",
        "escalation": [{"name": "Eve", "email": "eve@acme.example"}],
        "severities": {"1": "15m", "2": "1h"},
    }

    missing = await platform.client.get(path)
    saved = await platform.client.put(path, json=registration)

    assert missing.status_code == 404
    assert saved.status_code == 200
    read = (await platform.client.get(path)).json()
    assert {k: read[k] for k in registration} == registration


async def test_activation_is_idempotent(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    path = f"/v1/tenants/{body['tenant_id']}/activate"

    first = await platform.client.post(
        path, json={"go_live_at": "2030-01-02T03:04:05Z"}, headers={"Idempotency-Key": "go-1"}
    )
    again = await platform.client.post(
        path, json={"go_live_at": "2030-01-02T03:04:05Z"}, headers={"Idempotency-Key": "go-1"}
    )

    assert first.json()["status"] == again.json()["status"] == "live"
    assert first.json()["go_live_at"] == again.json()["go_live_at"] == "2030-01-02T03:04:05Z"
    operations = await platform.operations(body["tenant_id"])
    assert [(o["operation"], o["idempotency_key"]) for o in operations[-2:]] == [
        ("activate", "go-1"),
        ("activate.noop", "go-1"),
    ]


async def test_usage_counts_real_users_not_probes(platform: Platform) -> None:
    admin_email = f"cio@{new_tenant_id()}.example"
    _, body = await platform.create_tenant(admins=[{"name": "CIO", "email": admin_email}])
    tenant = body["tenant_id"]
    await platform.client.put(f"/v1/tenants/{tenant}/features", json={"features": ["subtitles"]})
    await platform.put_user(tenant, admin_email, ["admin"], probe=False)
    await platform.put_user(tenant, f"probe@{tenant}.example", ["admin"], probe=True)
    await platform.token(tenant, f"probe@{tenant}.example")
    before = (await platform.client.get(f"/v1/tenants/{tenant}/usage")).json()
    token = await platform.token(tenant, admin_email)
    await platform.client.get(f"/v1/t/{tenant}/features/subtitles", headers=bearer(token))

    usage = (await platform.client.get(f"/v1/tenants/{tenant}/usage")).json()

    assert before["active_users"] == 0
    assert before["admins_logged_in"] == []
    assert usage["active_users"] == 1
    assert usage["admins_logged_in"] == [admin_email]
    assert usage["features_used"] == ["subtitles"]
    assert usage["api_latency_ms_p95"] > 0
    assert usage["error_rate"] == 0
    assert PASSWORD not in str(usage)
