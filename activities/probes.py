"""Probe users: short-lived, flagged test users that let activities act inside a tenant.

Identity, environment and feature checks all need sessions in the customer's tenant.
`ProbeUsers` creates one flagged probe user per role, logs them in, and removes them
again when the step is done, whatever happened (best effort: a removal that fails is
logged, and the next run's upsert reuses the same e-mail, so nothing piles up).
"""

from __future__ import annotations

import asyncio
import uuid
from types import TracebackType
from typing import Any

from activities.evidence import concurrently
from activities.platform import PlatformClient, PlatformRefused, ProbeConfig, Session

ROLE_ORDER: tuple[str, ...] = ("viewer", "editor", "manager", "admin")
"""Platform roles from least to most privileged."""


def probe_email(tenant_id: str, role: str, probe: ProbeConfig) -> str:
    """Return the e-mail of a tenant's probe user for one role."""
    return f"probe-{role}@{tenant_id}.{probe.probe_domain}"


def new_probe_key(label: str) -> str:
    """Return a fresh ``X-Probe-Key``: its own rate-limit bucket, unique per attempt."""
    return f"onboarding-{label}-{uuid.uuid4().hex}"


class ProbeUsers:
    """Probe users of one tenant, one per role, logged in for the duration of a step.

    Use as ``async with ProbeUsers(...) as probes:``. Entering creates the users and
    logs each in; a user whose login was refused is listed in `refusals` instead of
    `sessions`, so checks can report it. Leaving logs out and removes every probe user.

    Args:
        platform: The platform client.
        probe: Probe settings (password, e-mail domain).
        tenant_id: The customer's tenant.
        roles: Roles to create a probe user for.
        log: Logger bound to the step (removal failures are logged, never raised).
        label: Names the probe traffic's rate-limit bucket.
        idempotency_key: The step's key, sent with the user upserts and removals.
    """

    def __init__(
        self,
        platform: PlatformClient,
        probe: ProbeConfig,
        tenant_id: str,
        roles: tuple[str, ...],
        log: Any,
        label: str = "probe",
        *,
        idempotency_key: str | None = None,
    ) -> None:
        self.platform = platform
        self.probe = probe
        self.tenant_id = tenant_id
        self.roles = roles
        self.probe_key = new_probe_key(label)
        self.sessions: dict[str, Session] = {}
        self.refusals: dict[str, str] = {}
        self._log = log
        self._key = idempotency_key
        self._created: list[str] = []
        self._opened: list[Session] = []

    def email(self, role: str) -> str:
        """Return the probe e-mail of a role."""
        return probe_email(self.tenant_id, role, self.probe)

    async def __aenter__(self) -> ProbeUsers:
        try:
            await concurrently(*(self._create(role) for role in self.roles))
            logins = await asyncio.gather(
                *(self.login(role) for role in self.roles), return_exceptions=True
            )
        except BaseException:
            await self._remove()
            raise
        for role, outcome in zip(self.roles, logins, strict=True):
            if isinstance(outcome, Session):
                self.sessions[role] = outcome
            elif isinstance(outcome, PlatformRefused):
                self.refusals[role] = f"refused with {outcome.status}, {outcome.detail}"
            else:
                await self._remove()
                raise outcome
        self._log.info(
            "probe users ready", roles=list(self.sessions), refused=sorted(self.refusals)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._remove()

    async def _create(self, role: str) -> None:
        email = self.email(role)
        await self.platform.put_user(
            self.tenant_id,
            email,
            name=f"Onboarding probe ({role})",
            roles=[role],
            probe=True,
            password=self.probe.password,
            idempotency_key=self._key,
        )
        self._created.append(email)

    async def login(self, role: str, ttl_seconds: int | None = None) -> Session:
        """Open a new session for a role's probe user.

        Raises:
            PlatformRefused: The login was refused.
        """
        session = await self.platform.login(
            self.tenant_id,
            self.email(role),
            self.probe.password,
            ttl_seconds=ttl_seconds,
            probe_key=self.probe_key,
            idempotency_key=self._key,
        )
        self._opened.append(session)
        return session

    async def call(self, method: str, path: str, role: str, *, json: Any = None) -> tuple[int, Any]:
        """Call the tenant API as a role's probe session; return status and body.

        A role without a session answers status 0 and the login refusal as body.
        """
        session = self.sessions.get(role)
        if session is None:
            return 0, {"detail": f"login refused: {self.refusals.get(role, 'no session')}"}
        reply = await self.platform.tenant(
            method,
            self.tenant_id,
            path,
            session,
            json=json,
            probe_key=self.probe_key,
            idempotency_key=self._key if method != "GET" else None,
        )
        return reply.status, reply.body

    async def _remove(self) -> None:
        sessions, self._opened = self._opened, []
        await asyncio.gather(
            *(
                self.platform.tenant(
                    "POST",
                    self.tenant_id,
                    "/logout",
                    s,
                    probe_key=self.probe_key,
                    idempotency_key=self._key,
                )
                for s in sessions
            ),
            return_exceptions=True,
        )
        emails, self._created = self._created, []
        outcomes = await asyncio.gather(
            *(self.platform.delete_user(self.tenant_id, e, self._key) for e in emails),
            return_exceptions=True,
        )
        for email, outcome in zip(emails, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._log.warning(
                    "probe user not removed; the next run reuses it",
                    probe_user=email,
                    error=type(outcome).__name__,
                )
