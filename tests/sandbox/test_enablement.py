"""Step 6 enablement library: publishing items, users opening them, and usage reporting it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from tests.sandbox.platform import Platform, bearer, item_body, new_tenant_id

ITEMS = ["walkthrough", "admin-guide", "security-best-practices", "support-overview"]


async def tenant_with_customer(platform: Platform) -> tuple[str, str]:
    """A new tenant with one customer admin who can log in; returns (tenant id, e-mail)."""
    email = f"cio@{new_tenant_id()}.example"
    response, body = await platform.create_tenant(admins=[{"name": "CIO", "email": email}])
    assert response.status_code == 201, response.text
    tenant = body["tenant_id"]
    assert (await platform.put_user(tenant, email, ["admin"], probe=False)).status_code == 200
    return tenant, email


async def publish(platform: Platform, tenant: str, item: str, **body: Any) -> dict[str, Any]:
    response = await platform.client.put(
        f"/v1/tenants/{tenant}/enablement/{item}",
        json=item_body("product-overview", **body),
        headers={"Idempotency-Key": f"onboarding-{tenant}:customer_enablement"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def usage_opened(platform: Platform, tenant: str) -> list[str]:
    response = await platform.client.get(f"/v1/tenants/{tenant}/usage")
    assert response.status_code == 200, response.text
    return list(response.json()["enablement_opened"])


async def test_publishing_is_idempotent_and_reads_back(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    tenant = body["tenant_id"]
    path = f"/v1/tenants/{tenant}/enablement/walkthrough"

    before = await platform.client.get(path)
    first = await publish(platform, tenant, "walkthrough")
    again = await publish(platform, tenant, "walkthrough")
    read = (await platform.client.get(path)).json()
    listed = (await platform.client.get(f"/v1/tenants/{tenant}/enablement")).json()

    assert before.status_code == 404 and "has not been published" in before.json()["detail"]
    assert first == again == read
    assert read["item"] == "walkthrough" and read["title"] == "Product walkthrough"
    assert read["documents"] == item_body("product-overview")["documents"]
    assert listed == [read]
    operations = await platform.operations(tenant)
    published = [o for o in operations if o["operation"].startswith("publish_enablement_item")]
    assert [o["operation"] for o in published] == [
        "publish_enablement_item",
        "publish_enablement_item.noop",
    ]
    assert {o["idempotency_key"] for o in published} == {f"onboarding-{tenant}:customer_enablement"}


async def test_republishing_new_content_updates_but_keeps_first_publication(
    platform: Platform,
) -> None:
    _, body = await platform.create_tenant()
    tenant = body["tenant_id"]
    first = await publish(platform, tenant, "walkthrough")

    updated = await publish(platform, tenant, "walkthrough", digit="b")

    assert updated["documents"][0]["content_hash"] == "b" * 64
    assert updated["published_at"] == first["published_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
        first["updated_at"]
    )
    counts = Counter(o["operation"] for o in await platform.operations(tenant))
    assert counts["publish_enablement_item"] == 2


async def test_customer_open_is_recorded_once_and_shows_in_usage(platform: Platform) -> None:
    tenant, email = await tenant_with_customer(platform)
    for item in ("walkthrough", "support-overview"):
        await publish(platform, tenant, item)
    token = await platform.token(tenant, email)
    before = await usage_opened(platform, tenant)

    # Opened out of library order, and the support overview twice.
    first = await platform.client.get(
        f"/v1/t/{tenant}/enablement/support-overview", headers=bearer(token)
    )
    second = await platform.client.get(
        f"/v1/t/{tenant}/enablement/support-overview", headers=bearer(token)
    )
    walkthrough = await platform.client.get(
        f"/v1/t/{tenant}/enablement/walkthrough", headers=bearer(token)
    )

    assert before == []
    assert first.status_code == second.status_code == walkthrough.status_code == 200
    assert first.json()["first_opened_at"] == second.json()["first_opened_at"]
    assert first.json()["documents"] == item_body("product-overview")["documents"]
    assert await usage_opened(platform, tenant) == ["walkthrough", "support-overview"]
    opens = [
        o["operation"]
        for o in await platform.operations(tenant)
        if o["operation"].startswith("open_enablement_item")
    ]
    assert opens == ["open_enablement_item", "open_enablement_item.noop", "open_enablement_item"]


async def test_probe_user_opens_are_not_customer_usage(platform: Platform) -> None:
    tenant, _ = await tenant_with_customer(platform)
    await publish(platform, tenant, "admin-guide")
    probe = f"probe-admin@{tenant}.example"
    assert (await platform.put_user(tenant, probe, ["admin"], probe=True)).status_code == 200
    token = await platform.token(tenant, probe)

    opened = await platform.client.get(
        f"/v1/t/{tenant}/enablement/admin-guide", headers=bearer(token)
    )

    assert opened.status_code == 200 and opened.json()["first_opened_at"]
    assert await usage_opened(platform, tenant) == []


async def test_opens_count_only_for_their_own_tenant(platform: Platform) -> None:
    tenant, email = await tenant_with_customer(platform)
    other, _ = await tenant_with_customer(platform)
    for name in (tenant, other):
        await publish(platform, name, "walkthrough")
    token = await platform.token(tenant, email)

    own = await platform.client.get(f"/v1/t/{tenant}/enablement/walkthrough", headers=bearer(token))
    foreign = await platform.client.get(
        f"/v1/t/{other}/enablement/walkthrough", headers=bearer(token)
    )

    assert own.status_code == 200 and foreign.status_code == 401
    assert await usage_opened(platform, tenant) == ["walkthrough"]
    assert await usage_opened(platform, other) == []


async def test_unknown_items_are_404_naming_the_items(platform: Platform) -> None:
    tenant, email = await tenant_with_customer(platform)
    token = await platform.token(tenant, email)
    path = f"/v1/tenants/{tenant}/enablement/onboarding-video"

    put = await platform.client.put(path, json=item_body("product-overview"))
    get = await platform.client.get(path)
    opened = await platform.client.get(
        f"/v1/t/{tenant}/enablement/onboarding-video", headers=bearer(token)
    )

    for response in (put, get, opened):
        assert response.status_code == 404, response.text
        detail = response.json()["detail"]
        assert detail.startswith("Unknown enablement item 'onboarding-video'; use one of:")
        assert all(item in detail for item in ITEMS)
    assert not [o for o in await platform.operations(tenant) if "enablement" in o["operation"]]


async def test_unpublished_item_cannot_be_opened(platform: Platform) -> None:
    tenant, email = await tenant_with_customer(platform)
    token = await platform.token(tenant, email)

    opened = await platform.client.get(
        f"/v1/t/{tenant}/enablement/security-best-practices", headers=bearer(token)
    )

    assert opened.status_code == 404
    assert "'security-best-practices' has not been published" in opened.json()["detail"]
    assert await usage_opened(platform, tenant) == []


async def test_unknown_tenant_and_missing_session_are_refused(platform: Platform) -> None:
    missing = new_tenant_id()
    tenant, _ = await tenant_with_customer(platform)
    await publish(platform, tenant, "walkthrough")

    put = await platform.client.put(
        f"/v1/tenants/{missing}/enablement/walkthrough", json=item_body("product-overview")
    )
    anonymous = await platform.client.get(f"/v1/t/{tenant}/enablement/walkthrough")

    assert put.status_code == 404 and "There is no account" in put.json()["detail"]
    assert anonymous.status_code == 401


async def test_malformed_publish_bodies_are_400(platform: Platform) -> None:
    _, body = await platform.create_tenant()
    path = f"/v1/tenants/{body['tenant_id']}/enablement/walkthrough"
    bad_hash = item_body("product-overview")
    bad_hash["documents"][0]["content_hash"] = "not-a-sha256"
    twice = item_body("product-overview", "product-overview")

    for payload in (bad_hash, twice, {"documents": []}):
        response = await platform.client.put(path, json=payload)
        assert response.status_code == 400, payload
        assert response.json()["detail"].startswith("The request is invalid")
    assert (await platform.client.get(path)).status_code == 404
