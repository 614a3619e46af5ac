"""``onboard sandbox open-item``: a customer user opening an enablement item, for demos."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from starter.sandbox_cli import sandbox_app
from tests.sandbox.platform import ADMIN_KEY, Platform, item_body, new_tenant_id

runner = CliRunner()


def open_item(url: str, tenant: str, item: str, email: str) -> Result:
    env = {"ONBOARDING_PLATFORM_URL": url, "ONBOARDING_PLATFORM_API_KEY": ADMIN_KEY}
    return runner.invoke(sandbox_app, ["open-item", tenant, item, "--user", email], env=env)


async def published_tenant(platform: Platform) -> tuple[str, str]:
    """A tenant whose named admin never logged in, with the walkthrough published."""
    email = f"Ada@{new_tenant_id()}.example"
    response, body = await platform.create_tenant(admins=[{"name": "Ada", "email": email}])
    assert response.status_code == 201, response.text
    tenant = body["tenant_id"]
    published = await platform.client.put(
        f"/v1/tenants/{tenant}/enablement/walkthrough", json=item_body("product-overview")
    )
    assert published.status_code == 200, published.text
    return tenant, email


async def usage(platform: Platform, tenant: str) -> dict[str, object]:
    return dict((await platform.client.get(f"/v1/tenants/{tenant}/usage")).json())


async def test_customer_admin_opens_an_item(sandbox_url: str, platform: Platform) -> None:
    tenant, email = await published_tenant(platform)

    result = open_item(sandbox_url, tenant, "walkthrough", email)

    assert result.exit_code == 0, result.output
    assert f"{email.lower()} opened 'Product walkthrough' (walkthrough)" in result.output
    after = await usage(platform, tenant)
    assert after["enablement_opened"] == ["walkthrough"]
    assert after["admins_logged_in"] == [email.lower()]


async def test_unknown_item_changes_nothing(sandbox_url: str, platform: Platform) -> None:
    tenant, email = await published_tenant(platform)
    before = await platform.operations(tenant)

    result = open_item(sandbox_url, tenant, "onboarding-video", email)

    assert result.exit_code == 1
    assert "Unknown enablement item 'onboarding-video'" in result.output
    assert "Traceback" not in result.output
    assert await platform.operations(tenant) == before


async def test_probe_and_unknown_users_are_refused(sandbox_url: str, platform: Platform) -> None:
    tenant, _ = await published_tenant(platform)
    probe = f"probe-admin@{tenant}.example"
    assert (await platform.put_user(tenant, probe, ["admin"], probe=True)).status_code == 200

    as_probe = open_item(sandbox_url, tenant, "walkthrough", probe)
    as_stranger = open_item(sandbox_url, tenant, "walkthrough", f"nobody@{tenant}.example")

    assert as_probe.exit_code == as_stranger.exit_code == 1
    assert "probe users" in as_probe.output
    assert "has no user" in as_stranger.output
    assert (await usage(platform, tenant))["enablement_opened"] == []
