"""One check per fault: True when the behaviour the fault breaks works for the tenant.

Every tenant API call of a check goes in a probe bucket of its own, so checks can run side by
side without eating each other's rate-limit budget.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import create_engine, text

from tests.sandbox.platform import FEATURES, Platform, Tenant, bearer, tamper

RATE_LIMIT = 20
"""The per-minute limit of the tenants the checks run against."""

Check = Callable[[Platform, Tenant], Awaitable[bool]]


def _probe() -> str:
    return f"check-{uuid.uuid4().hex}"


async def production_stability(api: Platform, tenant: Tenant) -> bool:
    status = (await api.client.get("/v1/status", params={"tenant_id": tenant.id})).json()
    return not [i for i in status["incidents"] if i["open"] and i["severity"] == 1]


async def capacity(api: Platform, tenant: Tenant) -> bool:
    params = {"tenant_id": tenant.id}
    regions = (await api.client.get("/v1/regions", params=params)).json()
    one = (await api.client.get("/v1/regions/eu-central", params=params)).json()
    return all(r["used_seats"] < r["capacity_seats"] for r in [*regions, one])


async def no_shared_account(api: Platform, tenant: Tenant) -> bool:
    accounts = await api.client.get("/v1/accounts", params={"tenant_id": tenant.id})
    again = await api.client.post("/v1/tenants", json=tenant.body)
    keys = {a["idempotency_key"] for a in accounts.json()}
    return keys == {tenant.idempotency_key} and again.status_code == 200


async def security_defaults(api: Platform, tenant: Tenant) -> bool:
    wanted = {
        "mfa_required": True,
        "max_session_minutes": 60,
        "password_min_length": 12,
        "sso_enabled": False,
    }
    path = f"/v1/tenants/{tenant.id}/security"
    await api.client.put(path, json=wanted)
    return bool((await api.client.get(path)).json() == wanted)


async def admin_auth(api: Platform, tenant: Tenant) -> bool:
    response = await api.login(tenant.id, tenant.email("admin"), probe_key=_probe())
    return response.status_code == 200


async def rbac_matrix(api: Platform, tenant: Tenant) -> bool:
    headers = bearer(tenant.tokens["viewer"], _probe())
    codes = {}
    for action in ("view_projects", "edit_subtitles", "manage_users", "configure_security"):
        response = await api.client.post(f"/v1/t/{tenant.id}/actions/{action}", headers=headers)
        codes[action] = response.status_code
    return codes == {
        "view_projects": 200,
        "edit_subtitles": 403,
        "manage_users": 403,
        "configure_security": 403,
    }


async def token_behaviour(api: Platform, tenant: Tenant) -> bool:
    probe = _probe()
    me = f"/v1/t/{tenant.id}/me"
    good = await api.client.get(me, headers=bearer(tenant.tokens["viewer"], probe))
    bad = await api.client.get(me, headers=bearer(tamper(tenant.tokens["viewer"]), probe))
    return good.status_code == 200 and bad.status_code == 401


async def logout_revokes(api: Platform, tenant: Tenant) -> bool:
    probe = _probe()
    token = await api.token(tenant.id, tenant.email("viewer"), probe_key=probe)
    logout = await api.client.post(f"/v1/t/{tenant.id}/logout", headers=bearer(token, probe))
    after = await api.client.get(f"/v1/t/{tenant.id}/me", headers=bearer(token, probe))
    return logout.status_code == 204 and after.status_code == 401


async def session_expiry(api: Platform, tenant: Tenant) -> bool:
    response = await api.client.get(
        f"/v1/t/{tenant.id}/me", headers=bearer(tenant.expired_token, _probe())
    )
    return response.status_code == 401


async def api_health(api: Platform, tenant: Tenant) -> bool:
    params = {"tenant_id": tenant.id}
    overall = await api.client.get("/v1/health", params=params)
    jobs = await api.client.get("/v1/health/jobs", params=params)
    return overall.status_code == jobs.status_code == 200 and overall.json()["status"] == "ok"


async def db_connectivity(api: Platform, tenant: Tenant) -> bool:
    url = (await api.client.get(f"/v1/tenants/{tenant.id}/database")).json()["url"]

    def query() -> bool:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM projects")).scalar_one()) >= 1
        except Exception:
            return False
        finally:
            engine.dispose()

    return await asyncio.to_thread(query)


async def rate_limit(api: Platform, tenant: Tenant) -> bool:
    headers = bearer(tenant.tokens["viewer"], _probe())
    for _ in range(RATE_LIMIT):
        response = await api.client.get(f"/v1/t/{tenant.id}/ping", headers=headers)
        if response.status_code != 200 or response.headers["X-RateLimit-Limit"] != str(RATE_LIMIT):
            return False
    refused = await api.client.get(f"/v1/t/{tenant.id}/ping", headers=headers)
    return refused.status_code == 429 and "Retry-After" in refused.headers


async def logging_visibility(api: Platform, tenant: Tenant) -> bool:
    marker = f"marker-{uuid.uuid4().hex}"
    await api.client.post(
        f"/v1/t/{tenant.id}/events",
        json={"marker": marker},
        headers=bearer(tenant.tokens["viewer"], _probe()),
    )
    lines = (await api.client.get(f"/v1/tenants/{tenant.id}/logs", params={"q": marker})).json()
    return len(lines) == 1


async def contracted_features_only(api: Platform, tenant: Tenant) -> bool:
    flags = (await api.client.get(f"/v1/tenants/{tenant.id}/features")).json()
    return bool(flags["features"] == FEATURES)


async def ui_visibility(api: Platform, tenant: Tenant) -> bool:
    manifest = await api.client.get(
        f"/v1/t/{tenant.id}/ui-manifest", headers=bearer(tenant.tokens["viewer"], _probe())
    )
    return bool(manifest.json()["features"] == FEATURES)


async def critical_flows(api: Platform, tenant: Tenant) -> bool:
    headers = bearer(tenant.tokens["editor"], _probe())
    base = f"/v1/t/{tenant.id}"
    video = (await api.client.post(f"{base}/videos", json={"title": "t"}, headers=headers)).json()
    job = await api.client.post(
        f"{base}/videos/{video['video_id']}/subtitles", json={"language": "es"}, headers=headers
    )
    for _ in range(15):  # polls stay within the probe bucket's budget
        await asyncio.sleep(0.07)
        status = await api.client.get(f"{base}/jobs/{job.json()['job_id']}", headers=headers)
        if status.json()["status"] in ("completed", "failed"):
            return bool(status.json()["status"] == "completed")
    return False


async def monitoring(api: Platform, tenant: Tenant) -> bool:
    path = f"/v1/tenants/{tenant.id}/monitoring"
    await api.client.put(path)
    return bool((await api.client.get(path)).json()["alerts"])


CHECKS: dict[str, Check] = {
    "production_stability": production_stability,
    "capacity": capacity,
    "no_shared_account": no_shared_account,
    "security_defaults": security_defaults,
    "admin_auth": admin_auth,
    "rbac_matrix": rbac_matrix,
    "token_behaviour": token_behaviour,
    "logout_revokes": logout_revokes,
    "session_expiry": session_expiry,
    "api_health": api_health,
    "db_connectivity": db_connectivity,
    "rate_limit": rate_limit,
    "logging_visibility": logging_visibility,
    "contracted_features_only": contracted_features_only,
    "ui_visibility": ui_visibility,
    "critical_flows": critical_flows,
    "monitoring": monitoring,
}
"""Check name (as in the fault catalogue's ``breaks``) to the check."""


async def run_all(api: Platform, tenant: Tenant) -> dict[str, bool]:
    """Every check against ``tenant``, side by side."""
    results = await asyncio.gather(*(check(api, tenant) for check in CHECKS.values()))
    return dict(zip(CHECKS, results, strict=True))
