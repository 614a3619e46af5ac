"""A small test-side client of the sandbox platform, and tenants prepared for tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.fixtures.sandbox import ADMIN_KEY as ADMIN_KEY  # the test sandboxes' key

PASSWORD = "correct-horse-battery-staple"
ROLES = ("viewer", "editor", "manager", "admin")
FEATURES = ["subtitles", "dubbing"]


def new_tenant_id() -> str:
    """A tenant id no other test uses."""
    return f"t-{uuid.uuid4().hex[:12]}"


def bearer(token: str, probe_key: str | None = None) -> dict[str, str]:
    """Headers of a tenant API call with ``token`` (in its own rate bucket with a probe key)."""
    headers = {"Authorization": f"Bearer {token}"}
    if probe_key:
        headers["X-Probe-Key"] = probe_key
    return headers


def tamper(token: str) -> str:
    """``token`` with one character of its signature changed."""
    payload, _, signature = token.partition(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{payload}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


@dataclass
class Tenant:
    """A tenant created for a test: one probe user per role, and their tokens."""

    id: str
    idempotency_key: str
    body: dict[str, Any]
    tokens: dict[str, str] = field(default_factory=dict)
    """Long-lived session token per role."""
    expired_token: str = ""

    def email(self, role: str) -> str:
        return f"{role}@{self.id}.example"


def tenant_body(
    tenant_id: str | None = None,
    *,
    key: str | None = None,
    admins: list[dict[str, str]] | None = None,
    seats: int = 10,
    region: str = "eu-central",
) -> dict[str, Any]:
    """A POST /v1/tenants body for a new tenant."""
    tenant_id = tenant_id or new_tenant_id()
    return {
        "tenant_id": tenant_id,
        "name": f"Customer {tenant_id}",
        "region": region,
        "seats": seats,
        "admins": admins if admins is not None else [],
        "idempotency_key": key or f"onboarding-{tenant_id}:account_provisioning",
    }


def item_body(*keys: str, title: str = "Product walkthrough", digit: str = "a") -> dict[str, Any]:
    """A publish body listing one delivered document per key."""
    return {
        "title": title,
        "documents": [
            {"key": k, "title": k.title(), "version": "2026.11.1", "content_hash": digit * 64}
            for k in keys
        ],
    }


class Platform:
    """Admin and tenant API calls the tests make, over a real HTTP client."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def create_tenant(
        self,
        tenant_id: str | None = None,
        *,
        key: str | None = None,
        admins: list[dict[str, str]] | None = None,
        seats: int = 10,
        region: str = "eu-central",
    ) -> tuple[httpx.Response, dict[str, Any]]:
        body = tenant_body(tenant_id, key=key, admins=admins, seats=seats, region=region)
        return await self.client.post("/v1/tenants", json=body), body

    async def put_user(
        self, tenant_id: str, email: str, roles: list[str], *, probe: bool = True
    ) -> httpx.Response:
        body = {"name": email.split("@")[0], "roles": roles, "probe": probe, "password": PASSWORD}
        return await self.client.put(f"/v1/tenants/{tenant_id}/users/{email}", json=body)

    async def login(
        self,
        tenant_id: str,
        email: str,
        *,
        password: str = PASSWORD,
        ttl_seconds: int | None = None,
        probe_key: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"email": email, "password": password}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        headers = {"X-Probe-Key": probe_key} if probe_key else {}
        return await self.client.post(f"/v1/t/{tenant_id}/login", json=body, headers=headers)

    async def token(self, tenant_id: str, email: str, **kwargs: Any) -> str:
        response = await self.login(tenant_id, email, **kwargs)
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    async def fault(self, name: str, tenant_id: str | None = None) -> None:
        response = await self.client.post(
            "/v1/admin/faults", json={"name": name, "tenant_id": tenant_id}
        )
        assert response.status_code == 201, response.text

    async def clear_faults(self) -> None:
        response = await self.client.delete("/v1/admin/faults")
        assert response.status_code == 204, response.text

    async def operations(self, tenant_id: str) -> list[dict[str, Any]]:
        response = await self.client.get("/v1/admin/operations", params={"tenant_id": tenant_id})
        assert response.status_code == 200, response.text
        return list(response.json())

    async def prepared_tenant(self, *, rate_limit: int | None = None) -> Tenant:
        """A tenant with features, one probe user per role and a token for each."""
        response, body = await self.create_tenant()
        assert response.status_code == 201, response.text
        tenant = Tenant(id=body["tenant_id"], idempotency_key=body["idempotency_key"], body=body)
        for role in ROLES:
            assert (await self.put_user(tenant.id, tenant.email(role), [role])).status_code == 200
            tenant.tokens[role] = await self.token(tenant.id, tenant.email(role))
        features = await self.client.put(
            f"/v1/tenants/{tenant.id}/features", json={"features": FEATURES}
        )
        assert features.status_code == 200, features.text
        if rate_limit is not None:
            limit = await self.client.put(
                f"/v1/tenants/{tenant.id}/rate-limit", json={"per_minute": rate_limit}
            )
            assert limit.status_code == 200, limit.text
        return tenant
