"""Probe users: flagged test users that let activities act inside a customer's tenant.

Identity, environment and feature checks (Steps 3-5) all need sessions in the customer's
tenant. `ProbeUsers` gives an attempt one probe user per role, logged in, for the duration
of its step:

- Each attempt's users carry its generation in their e-mail (`activities.probe_names`). An
  attempt retires the users of older attempts and never touches newer ones, so an attempt
  that timed out but is still running cannot delete or revoke what the next attempt uses.
- A step's first attempt reuses the users an earlier step left (a viewer and an editor are
  kept from Step 3 to Step 5), so the platform does not create and hash them again; a retry
  starts with users of its own.
- When the step ends, its sessions are logged out and every probe user no later step needs
  is removed; after Step 5 none is left.
"""

from __future__ import annotations

import asyncio
import uuid
from types import TracebackType
from typing import Any

from activities.evidence import concurrently
from activities.platform import PlatformClient, PlatformRefused, ProbeConfig, Session
from activities.probe_names import (
    ROLES_LATER,
    Generation,
    ProbeUser,
    current_generation,
    found_probe_users,
    probe_email,
)
from onboarding.checks import StepRequest

ROLE_ORDER: tuple[str, ...] = ("viewer", "editor", "manager", "admin")
"""Platform roles from least to most privileged."""


def new_probe_key(label: str) -> str:
    """Return a fresh ``X-Probe-Key``: its own rate-limit bucket, unique per use."""
    return f"onboarding-{label}-{uuid.uuid4().hex}"


class ProbeUsers:
    """Probe users of one tenant, one per role, logged in for the duration of a step.

    Use as ``async with ProbeUsers(...) as probes:``. Entering retires older attempts'
    probe users, reuses or creates this attempt's, and logs each in; a user whose login
    was refused is listed in `refusals` instead of `sessions`, so checks can report it.
    Leaving logs this attempt's sessions out and removes the users no later step needs.

    Args:
        platform: The platform client.
        probe: Probe settings (password, e-mail domain).
        req: The step's request: tenant, step, run and idempotency key.
        roles: Roles to have a probe user for.
        log: Logger bound to the step (removal failures are logged, never raised).
    """

    def __init__(
        self,
        platform: PlatformClient,
        probe: ProbeConfig,
        req: StepRequest,
        roles: tuple[str, ...],
        log: Any,
    ) -> None:
        self.platform = platform
        self.probe = probe
        self.tenant_id = req.tenant_id
        self.roles = roles
        self.generation: Generation = current_generation(req)
        self.probe_key = new_probe_key(f"{req.step.value}-{self.generation.label}")
        self.sessions: dict[str, Session] = {}
        self.refusals: dict[str, str] = {}
        self.reused: list[str] = []
        """Roles whose user an earlier step (or this same attempt) had already created."""
        self._log = log
        self._key = req.idempotency_key
        self._emails: dict[str, str] = {}
        self._created: list[str] = []
        self._opened: list[Session] = []

    def email(self, role: str) -> str:
        """Return the probe e-mail of a role in this attempt."""
        return self._emails.get(role) or probe_email(
            self.tenant_id, role, self.generation, self.probe.probe_domain
        )

    async def __aenter__(self) -> ProbeUsers:
        try:
            await self._prepare()
            logins = await asyncio.gather(
                *(self._first_login(role) for role in self.roles), return_exceptions=True
            )
        except BaseException:
            await self._remove(self._created)
            raise
        for role, outcome in zip(self.roles, logins, strict=True):
            if isinstance(outcome, Session):
                self.sessions[role] = outcome
            elif isinstance(outcome, PlatformRefused):
                self.refusals[role] = f"refused with {outcome.status}, {outcome.detail}"
            else:
                await self._remove(self._created)
                raise outcome
        self._log.info(
            "probe users ready",
            generation=self.generation.label,
            roles=list(self.sessions),
            reused=self.reused,
            refused=sorted(self.refusals),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._logout_all()
        keep = ROLES_LATER.get(self.generation.step, frozenset())
        done = [self._emails[r] for r in self._emails if r not in keep]
        if not keep:  # the last probe step: nothing older may stay behind either
            done += [u.email for u in await self._older_or_own() if u.email not in done]
        await self._remove(done)

    async def _prepare(self) -> None:
        """Retire older attempts' users; reuse what an earlier step left; create the rest."""
        found = found_probe_users(
            await self.platform.users(self.tenant_id), self.tenant_id, self.probe.probe_domain
        )
        own = self.generation
        mine = {u.role: u.email for u in found if u.generation == own and u.role}
        source = self._reusable_generation(found)
        left = {u.role: u.email for u in found if u.generation == source and u.role}
        for role in self.roles:
            email = mine.get(role) or left.get(role)
            if email is not None:
                self._emails[role] = email
                self.reused.append(role)
        stale = [
            u.email
            for u in found
            if u.generation < own and u.generation != source and u.email not in mine.values()
        ]
        await self._remove(stale, why="retired: an older attempt's")
        await concurrently(*(self._create(r) for r in self.roles if r not in self._emails))

    def _reusable_generation(self, found: list[ProbeUser]) -> Generation | None:
        """The newest generation an earlier step left, if this is a step's first try.

        A retry never reuses: the attempt it replaces may still be running, and as the
        last probe step it would remove them at its end.
        """
        if not self.generation.first_try:
            return None
        step = self.generation.step
        earlier = [u.generation for u in found if u.role and u.generation.step < step]
        return max(earlier) if earlier else None

    async def _older_or_own(self) -> list[ProbeUser]:
        found = found_probe_users(
            await self.platform.users(self.tenant_id), self.tenant_id, self.probe.probe_domain
        )
        return [u for u in found if u.generation <= self.generation]

    async def _create(self, role: str) -> None:
        email = probe_email(self.tenant_id, role, self.generation, self.probe.probe_domain)
        await self._put(role, email)
        self._emails[role] = email
        self._created.append(email)

    async def _put(self, role: str, email: str) -> None:
        await self.platform.put_user(
            self.tenant_id,
            email,
            name=f"Onboarding probe ({role}, {self.generation.label})",
            roles=[role],
            probe=True,
            password=self.probe.password,
            idempotency_key=self._key,
        )

    async def _first_login(self, role: str) -> Session:
        """Log a role in; a reused user refused (another worker's password) gets ours."""
        try:
            return await self.login(role)
        except PlatformRefused as refusal:
            if role not in self.reused or refusal.status != 401:
                raise
        await self._put(role, self._emails[role])
        return await self.login(role)

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

    async def _logout_all(self) -> None:
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

    async def _remove(self, emails: list[str], why: str = "done") -> None:
        """Delete probe users (best effort: a failure is logged; a later attempt retires it)."""
        outcomes = await asyncio.gather(
            *(self.platform.delete_user(self.tenant_id, e, self._key) for e in emails),
            return_exceptions=True,
        )
        for email, outcome in zip(emails, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._log.warning(
                    "probe user not removed; a later attempt retires it",
                    probe_user=email,
                    reason=why,
                    error=type(outcome).__name__,
                )
