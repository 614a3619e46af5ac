"""The LocalizeVideos platform admin API, as the onboarding activities call it.

`PlatformClient` wraps one `httpx.AsyncClient` owned by the worker. Admin calls
carry the platform API key; tenant calls carry a probe user's session token.
Neither ever appears in a return value, an exception or a log line.

Requests are bounded: at most ``max_in_flight`` at once for the whole worker, and at most
``per_onboarding`` for any one onboarding (keyed by the calling activity's workflow id), so
one onboarding's many checks, or a contract with thousands of admins, cannot starve the
others. A request waits for its turn without a time limit; only the request itself has one.

Failures come in two kinds:

- `PlatformUnavailable`: the platform could not be reached or answered 5xx. Activities
  let it propagate so Temporal retries the activity with backoff.
- `PlatformRefused`: the platform answered, and said no (4xx). Activities turn it into a
  failed check with the platform's own explanation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field, SecretStr
from temporalio import activity

_HEALTH_PATHS = ("/v1/health",)


_IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE", "HEAD"})

DETAIL_MAX = 500
"""Longest explanation of a refusal kept from the platform's answer."""

MAX_IN_FLIGHT = 16
"""Default bound on platform requests in flight for the whole worker."""
PER_ONBOARDING = 4
"""Default bound on platform requests in flight for one onboarding."""


class _KeyedSlots:
    """A bounded number of concurrent holders per key; a key's semaphore lives while used."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._held: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, key: str | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        gate, users = self._held.get(key) or (asyncio.Semaphore(self._size), 0)
        self._held[key] = (gate, users + 1)
        try:
            async with gate:
                yield
        finally:
            gate, users = self._held[key]
            if users <= 1:
                del self._held[key]
            else:
                self._held[key] = (gate, users - 1)


def _onboarding_key() -> str | None:
    """The workflow id of the calling activity: one onboarding's requests share a bound."""
    return activity.info().workflow_id if activity.in_activity() else None


class PlatformUnavailable(Exception):
    """The platform could not be reached or failed (5xx); retry later.

    The message names the call and the reason, never a header or a body.
    """


class PlatformRefused(Exception):
    """The platform answered a call with a refusal (4xx) or an unexpected answer.

    Attributes:
        call: ``METHOD /path`` of the refused call.
        status: HTTP status code (0 when the answer was not the expected shape).
        detail: The platform's readable explanation.
    """

    def __init__(self, call: str, status: int, detail: str) -> None:
        detail = detail.strip().rstrip(".")
        if len(detail) > DETAIL_MAX:  # a platform may echo a whole request back
            detail = detail[: DETAIL_MAX - 1].rstrip() + "…"
        super().__init__(f"{call} was refused with {status}: {detail}")
        self.call = call
        self.status = status
        self.detail = detail


class ProbeConfig(BaseModel):
    """How the onboarding probes the platform: probe users, waits and bounds."""

    password: SecretStr
    """Password given to probe users; at least the tenant's password_min_length."""
    session_probe_ttl_seconds: int = Field(default=1, ge=1)
    """Lifetime asked for the short session that proves sessions expire; when the answers
    come too slowly to tell, the probe is repeated with a longer one."""
    session_probe_ttl_max_seconds: int = Field(default=60, ge=1)
    """Longest short session the expiry probe asks for before it gives up as too slow."""
    session_expiry_margin_seconds: float = Field(default=0.5, ge=0)
    """Extra wait after the short session's expiry before expecting a refusal."""
    logging_wait_seconds: float = Field(default=5, gt=0)
    """How long a written log marker may take to become searchable."""
    poll_interval_seconds: float = Field(default=0.2, gt=0)
    """Pause between polls (log search, job status)."""
    rate_probe_limit: int = Field(default=3, ge=1, le=100)
    """Budget of the small probe bucket that proves the 429 and its reset."""
    rate_probe_window_seconds: int = Field(default=1, ge=1, le=60)
    """Window of the small probe bucket; doubled when the answers come too slowly to tell."""
    job_wait_seconds: float = Field(default=10, gt=0)
    """How long a critical-flow job (subtitles) may take to complete."""
    db_connect_timeout_seconds: float = Field(default=10, gt=0)
    """Bound on connecting to the tenant database and running the probe query."""
    probe_domain: str = "probe.localizevideos.example"
    """Probe users are ``probe-<role>.<generation>@<tenant>.<probe_domain>``."""
    foreign_tenant_id: str = "onboarding-probe"
    """A platform tenant owned by the onboarding itself, whose sessions must be refused
    by every customer tenant (the foreign-token test). Created once, then reused."""
    subtitle_language: str = "de"
    """Language requested in the critical-flow subtitle job."""


@dataclass(frozen=True)
class Reply:
    """A platform answer kept for inspection: status, JSON body (or None), headers."""

    status: int
    body: Any
    headers: httpx.Headers = field(repr=False)

    @property
    def detail(self) -> str:
        """The platform's explanation of a refusal, or a generic one."""
        if isinstance(self.body, dict) and isinstance(self.body.get("detail"), str):
            return str(self.body["detail"])
        return f"HTTP {self.status}"


@dataclass(frozen=True)
class ProbeBucket:
    """A small rate-limit bucket a probe asks the platform for (see sandbox/API.md)."""

    limit: int
    """Requests allowed per window (the platform enforces its own limit rule on it)."""
    window_seconds: int
    """Length of the bucket's window, from its first request."""


@dataclass(frozen=True)
class Session:
    """A tenant session of one probe user. The token is secret: it has no repr."""

    tenant_id: str
    email: str
    roles: tuple[str, ...]
    expires_at: datetime | None
    token: SecretStr = field(repr=False)
    issued_at: datetime | None = None
    """When the platform opened the session, on its own clock (None if it does not say)."""


def _segment(value: str) -> str:
    return quote(value, safe="@")


def _scope(tenant_id: str | None) -> dict[str, str] | None:
    return {"tenant_id": tenant_id} if tenant_id else None


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class PlatformClient:
    """Typed calls to the LocalizeVideos platform admin and tenant APIs.

    Args:
        http: The worker's HTTP client; its lifetime belongs to the caller. Its connection
            pool should allow at least ``max_in_flight`` connections (httpx's default 100).
        admin_key: Admin API key sent as a bearer token on admin calls.
        base_url: Platform root, such as ``https://platform.localizevideos.example``;
            leave it out when ``http`` was made with that ``base_url``.
        max_in_flight: Requests in flight at once for everything using this client.
        per_onboarding: Requests in flight at once for one onboarding (workflow id).

    Raises:
        ValueError: Neither ``base_url`` nor the HTTP client's base URL is set.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        admin_key: SecretStr,
        *,
        base_url: str = "",
        max_in_flight: int = MAX_IN_FLIGHT,
        per_onboarding: int = PER_ONBOARDING,
    ) -> None:
        if not base_url and not str(http.base_url):
            raise ValueError("PlatformClient needs base_url or an httpx client with a base_url")
        self._http = http
        self._base = base_url.rstrip("/")
        self._admin_key = admin_key
        self._in_flight = asyncio.Semaphore(max(1, max_in_flight))
        self._per_onboarding = _KeyedSlots(max(1, per_onboarding))

    # -- transport ---------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        bearer: SecretStr | None,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if bearer is not None:
            all_headers["Authorization"] = f"Bearer {bearer.get_secret_value()}"
        attempts = 2 if method in _IDEMPOTENT_METHODS else 1
        try:
            for attempt in range(1, attempts + 1):
                try:
                    async with self._per_onboarding.slot(_onboarding_key()), self._in_flight:
                        return await self._http.request(
                            method,
                            self._base + path,
                            json=json,
                            params=params,
                            headers=all_headers,
                        )
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # The server may close a kept-alive connection just as we reuse it; an
                    # idempotent request is safe to send once more on a fresh connection.
                    if attempt == attempts:
                        raise
            raise AssertionError("unreachable")  # pragma: no cover
        except httpx.HTTPError as exc:
            # `from None`: the request (and its Authorization header) stays out of the chain.
            reason = str(exc) or type(exc).__name__
            raise PlatformUnavailable(
                f"{method} {path}: the platform could not be reached ({reason}); "
                "Temporal retries this step automatically"
            ) from None

    @staticmethod
    def _unavailable_if_5xx(method: str, path: str, response: httpx.Response) -> None:
        if response.status_code >= 500:
            detail = Reply(response.status_code, _body(response), response.headers).detail
            raise PlatformUnavailable(
                f"{method} {path}: the platform failed with {response.status_code} ({detail}); "
                "Temporal retries this step automatically"
            )

    async def admin(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Reply:
        """Call the admin API and return any non-5xx answer for inspection.

        Args:
            method: HTTP method.
            path: Path from the platform root.
            json: Request body.
            params: Query parameters.
            idempotency_key: Sent as ``Idempotency-Key`` on mutating calls; the platform
                records it in its operations log.

        Raises:
            PlatformUnavailable: Connection failure or 5xx (health endpoints excepted:
                their 503 carries the component report and is returned).
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        response = await self._send(
            method, path, bearer=self._admin_key, json=json, params=params, headers=headers
        )
        if not path.startswith(_HEALTH_PATHS):
            self._unavailable_if_5xx(method, path, response)
        return Reply(response.status_code, _body(response), response.headers)

    async def admin_ok(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call the admin API and return the JSON body of a 2xx answer.

        Raises:
            PlatformUnavailable: Connection failure or 5xx.
            PlatformRefused: Any 4xx, with the platform's explanation.
        """
        reply = await self.admin(
            method, path, json=json, params=params, idempotency_key=idempotency_key
        )
        if reply.status >= 400:
            raise PlatformRefused(f"{method} {path}", reply.status, reply.detail)
        return reply.body

    async def _admin_dict(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = await self.admin_ok(method, path, **kwargs)
        if not isinstance(body, dict):
            raise PlatformRefused(f"{method} {path}", 0, "the answer is not a JSON object")
        return body

    async def _admin_list(self, method: str, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        body = await self.admin_ok(method, path, **kwargs)
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise PlatformRefused(f"{method} {path}", 0, "the answer is not a JSON list")
        return body

    async def tenant(
        self,
        method: str,
        tenant_id: str,
        path: str,
        session: Session | SecretStr | None,
        *,
        json: Any = None,
        probe_key: str | None = None,
        probe_bucket: ProbeBucket | None = None,
        idempotency_key: str | None = None,
    ) -> Reply:
        """Call the tenant API as a session and return any non-5xx answer.

        Args:
            method: HTTP method.
            tenant_id: Tenant whose API is called (``/v1/t/{tenant_id}``).
            path: Path below the tenant root, such as ``/me``.
            session: The caller's session, a raw token (tampered or foreign ones in
                tests of the platform), or None for no Authorization header.
            json: Request body.
            probe_key: ``X-Probe-Key`` so probe traffic uses a rate-limit bucket of
                its own, never the customer's.
            probe_bucket: With ``probe_key``: make that bucket a small one of its own
                budget and window (``X-Probe-Limit``, ``X-Probe-Window``).
            idempotency_key: ``Idempotency-Key``, recorded in the operations log.

        Raises:
            PlatformUnavailable: Connection failure or 5xx.
        """
        token = session.token if isinstance(session, Session) else session
        headers = {}
        if probe_key:
            headers["X-Probe-Key"] = probe_key
            if probe_bucket is not None:
                headers["X-Probe-Limit"] = str(probe_bucket.limit)
                headers["X-Probe-Window"] = str(probe_bucket.window_seconds)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        full = f"/v1/t/{_segment(tenant_id)}{path}"
        response = await self._send(method, full, bearer=token, json=json, headers=headers)
        self._unavailable_if_5xx(method, full, response)
        return Reply(response.status_code, _body(response), response.headers)

    # -- production readiness ----------------------------------------------------------

    async def status(self, for_tenant: str | None = None) -> dict[str, Any]:
        """Return open incidents and the error rate against its threshold.

        Args:
            for_tenant: The tenant being checked (``?tenant_id=``), so the platform can
                report conditions scoped to it.
        """
        return await self._admin_dict("GET", "/v1/status", params=_scope(for_tenant))

    async def region(self, name: str, for_tenant: str | None = None) -> dict[str, Any] | None:
        """Return one region, or None when the platform does not know it."""
        reply = await self.admin("GET", f"/v1/regions/{_segment(name)}", params=_scope(for_tenant))
        if reply.status == 404:
            return None
        if reply.status >= 400 or not isinstance(reply.body, dict):
            raise PlatformRefused(f"GET /v1/regions/{name}", reply.status, reply.detail)
        return reply.body

    async def feature_catalogue(self) -> list[dict[str, Any]]:
        """Return every feature the platform offers, with its stage."""
        return await self._admin_list("GET", "/v1/features")

    # -- accounts ----------------------------------------------------------------------

    async def accounts_by_tenant(self, tenant_id: str) -> list[dict[str, Any]]:
        """Return accounts bound to a tenant id."""
        return await self._admin_list("GET", "/v1/accounts", params={"tenant_id": tenant_id})

    async def accounts_by_admin(self, email: str) -> list[dict[str, Any]]:
        """Return accounts bound to an admin e-mail."""
        return await self._admin_list("GET", "/v1/accounts", params={"admin_email": email})

    async def create_tenant(self, body: dict[str, Any]) -> Reply:
        """Create an enterprise account (201), or find the one of this key (200).

        The reply is returned as is: 409 (bound to another key) is for the caller to judge.
        """
        key = body.get("idempotency_key")
        return await self.admin(
            "POST", "/v1/tenants", json=body, idempotency_key=key if isinstance(key, str) else None
        )

    async def get_tenant(self, tenant_id: str) -> dict[str, Any] | None:
        """Return a tenant's account, or None when it does not exist."""
        reply = await self.admin("GET", f"/v1/tenants/{_segment(tenant_id)}")
        if reply.status == 404:
            return None
        if reply.status >= 400 or not isinstance(reply.body, dict):
            raise PlatformRefused(f"GET /v1/tenants/{tenant_id}", reply.status, reply.detail)
        return reply.body

    async def users(self, tenant_id: str) -> list[dict[str, Any]]:
        """Return a tenant's users and their roles."""
        return await self._admin_list("GET", f"/v1/tenants/{_segment(tenant_id)}/users")

    async def put_user(
        self,
        tenant_id: str,
        email: str,
        *,
        name: str,
        roles: list[str],
        probe: bool,
        password: SecretStr | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Create or update a user (idempotent); a probe user gets the password."""
        body: dict[str, Any] = {"name": name, "roles": roles, "probe": probe}
        if password is not None:
            body["password"] = password.get_secret_value()
        path = f"/v1/tenants/{_segment(tenant_id)}/users/{_segment(email)}"
        return await self._admin_dict("PUT", path, json=body, idempotency_key=idempotency_key)

    async def delete_user(
        self, tenant_id: str, email: str, idempotency_key: str | None = None
    ) -> None:
        """Remove a user; an already absent user is fine."""
        path = f"/v1/tenants/{_segment(tenant_id)}/users/{_segment(email)}"
        reply = await self.admin("DELETE", path, idempotency_key=idempotency_key)
        if reply.status >= 400 and reply.status != 404:
            raise PlatformRefused(f"DELETE {path}", reply.status, reply.detail)

    async def put_features(
        self, tenant_id: str, features: list[str], idempotency_key: str | None = None
    ) -> list[str]:
        """Set a tenant's feature flags; return them as the platform stored them."""
        path = f"/v1/tenants/{_segment(tenant_id)}/features"
        body = await self._admin_dict(
            "PUT", path, json={"features": features}, idempotency_key=idempotency_key
        )
        return [str(f) for f in body.get("features", [])]

    async def features(self, tenant_id: str) -> list[str]:
        """Return a tenant's effective feature flags."""
        body = await self._admin_dict("GET", f"/v1/tenants/{_segment(tenant_id)}/features")
        return [str(f) for f in body.get("features", [])]

    async def put_security(
        self, tenant_id: str, settings: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Apply security settings; return them as read back."""
        path = f"/v1/tenants/{_segment(tenant_id)}/security"
        return await self._admin_dict("PUT", path, json=settings, idempotency_key=idempotency_key)

    async def security(self, tenant_id: str) -> dict[str, Any]:
        """Return the security settings in force."""
        return await self._admin_dict("GET", f"/v1/tenants/{_segment(tenant_id)}/security")

    async def put_rate_limit(
        self, tenant_id: str, per_minute: int, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Configure a tenant's API rate limit."""
        path = f"/v1/tenants/{_segment(tenant_id)}/rate-limit"
        return await self._admin_dict(
            "PUT", path, json={"per_minute": per_minute}, idempotency_key=idempotency_key
        )

    async def rate_limit(self, tenant_id: str) -> dict[str, Any]:
        """Return a tenant's configured rate limit."""
        return await self._admin_dict("GET", f"/v1/tenants/{_segment(tenant_id)}/rate-limit")

    # -- identity ----------------------------------------------------------------------

    async def rbac(self) -> dict[str, Any]:
        """Return the role/action matrix: ``{"roles": [...], "actions": {...}}``."""
        return await self._admin_dict("GET", "/v1/rbac/actions")

    async def login(
        self,
        tenant_id: str,
        email: str,
        password: SecretStr,
        *,
        ttl_seconds: int | None = None,
        probe_key: str | None = None,
        idempotency_key: str | None = None,
    ) -> Session:
        """Log a user in and return the session.

        Raises:
            PlatformRefused: The platform refused the login (wrong password, unknown
                tenant); the detail never contains the password.
            PlatformUnavailable: Connection failure or 5xx.
        """
        body: dict[str, Any] = {"email": email, "password": password.get_secret_value()}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        reply = await self.tenant(
            "POST",
            tenant_id,
            "/login",
            None,
            json=body,
            probe_key=probe_key,
            idempotency_key=idempotency_key,
        )
        call = f"POST /v1/t/{tenant_id}/login as {email}"
        if reply.status >= 400:
            raise PlatformRefused(call, reply.status, reply.detail)
        data = reply.body if isinstance(reply.body, dict) else {}
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise PlatformRefused(call, 0, "the answer carries no session token")
        return Session(
            tenant_id=tenant_id,
            email=email,
            roles=tuple(str(r) for r in data.get("roles", [])),
            expires_at=_parse_time(data.get("expires_at")),
            token=SecretStr(token),
            issued_at=_parse_time(data.get("issued_at")),
        )

    # -- environment -------------------------------------------------------------------

    async def health(self, for_tenant: str | None = None) -> Reply:
        """Return the platform health report (200 ok, 503 failing)."""
        return await self.admin("GET", "/v1/health", params=_scope(for_tenant))

    async def component_health(self, component: str, for_tenant: str | None = None) -> Reply:
        """Return one component's health (200 ok, 503 failing)."""
        path = f"/v1/health/{_segment(component)}"
        return await self.admin("GET", path, params=_scope(for_tenant))

    async def database_url(self, tenant_id: str) -> str:
        """Return the SQLAlchemy URL of a tenant's database."""
        body = await self._admin_dict("GET", f"/v1/tenants/{_segment(tenant_id)}/database")
        url = body.get("url")
        if not isinstance(url, str) or not url:
            path = f"GET /v1/tenants/{tenant_id}/database"
            raise PlatformRefused(path, 0, "the answer carries no database URL")
        return url

    async def logs(self, tenant_id: str, text: str) -> list[dict[str, Any]]:
        """Return a tenant's log lines containing the text."""
        path = f"/v1/tenants/{_segment(tenant_id)}/logs"
        return await self._admin_list("GET", path, params={"q": text})

    # -- go-live -----------------------------------------------------------------------

    async def put_monitoring(
        self, tenant_id: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create the tenant's alert rules (idempotent)."""
        path = f"/v1/tenants/{_segment(tenant_id)}/monitoring"
        return await self._admin_dict("PUT", path, idempotency_key=idempotency_key)

    async def monitoring(self, tenant_id: str) -> dict[str, Any]:
        """Return the tenant's alert rules."""
        return await self._admin_dict("GET", f"/v1/tenants/{_segment(tenant_id)}/monitoring")

    async def activate(
        self, tenant_id: str, go_live_at: datetime, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Mark the tenant live from the given time (idempotent)."""
        path = f"/v1/tenants/{_segment(tenant_id)}/activate"
        body = {"go_live_at": go_live_at.isoformat()}
        return await self._admin_dict("POST", path, json=body, idempotency_key=idempotency_key)

    async def usage(self, tenant_id: str) -> dict[str, Any]:
        """Return the tenant's usage figures."""
        return await self._admin_dict("GET", f"/v1/tenants/{_segment(tenant_id)}/usage")

    # -- customer enablement -----------------------------------------------------------

    async def put_enablement_item(
        self,
        tenant_id: str,
        item: str,
        body: dict[str, Any],
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Publish an item of the tenant's enablement library (idempotent)."""
        path = f"/v1/tenants/{_segment(tenant_id)}/enablement/{_segment(item)}"
        return await self._admin_dict("PUT", path, json=body, idempotency_key=idempotency_key)

    async def enablement_item(self, tenant_id: str, item: str) -> dict[str, Any]:
        """Return a published enablement item as the platform stored it."""
        path = f"/v1/tenants/{_segment(tenant_id)}/enablement/{_segment(item)}"
        return await self._admin_dict("GET", path)
