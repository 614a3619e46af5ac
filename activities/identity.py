"""PHASE-33 Step 3: access and identity, proven with probe users in the customer's tenant.

Tokens and passwords stay inside `Session` / `SecretStr`; evidence records HTTP
statuses only.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from pydantic import SecretStr
from temporalio import activity

from activities.evidence import (
    check,
    concurrently,
    guarded,
    log_checks,
    not_run,
    retry_hint,
    step_logger,
)
from activities.expiry import expiry_probe
from activities.heartbeat import heartbeating
from activities.platform import (
    PlatformClient,
    PlatformRefused,
    PlatformUnavailable,
    ProbeConfig,
    Session,
)
from activities.probes import ROLE_ORDER, ProbeUsers
from activities.result_size import size_bounded
from activities.tokens import tamper
from onboarding.checks import CheckResult, StepRequest, StepResult

DOCUMENTED_LOWEST_ROLE: dict[str, str] = {
    "view_projects": "viewer",
    "edit_subtitles": "editor",
    "publish_video": "manager",
    "manage_users": "admin",
    "manage_billing": "admin",
    "configure_security": "admin",
}
"""The documented access policy: the lowest role allowed each action. An action the
platform grants beyond this is undocumented access; actions not listed here follow the
platform's published matrix."""

CHECKS = ("admin_auth", "rbac_matrix", "token_behaviour", "logout_revokes", "session_expiry")

FOREIGN_TENANT_KEY = "onboarding-probe-tenant"
"""Idempotency key of the onboarding's own probe tenant (the foreign-token source)."""


def _allowed_roles(action: str, roles: list[str], published: list[str]) -> list[str]:
    lowest = DOCUMENTED_LOWEST_ROLE.get(action)
    if lowest is None or lowest not in roles:
        return [r for r in roles if r in published]
    return roles[roles.index(lowest) :]


def _outcome(status: int) -> str:
    return {200: "allowed", 403: "denied", 401: "unauthenticated"}.get(status, f"HTTP {status}")


class IdentityActivities:
    """Step 3: admin authentication, RBAC, token and session behaviour.

    Args:
        platform: The platform client.
        probe: Probe settings (password, session TTL for the expiry test).
    """

    def __init__(self, platform: PlatformClient, probe: ProbeConfig) -> None:
        self.platform = platform
        self.probe = probe

    @activity.defn(name="verify_access_identity")
    @heartbeating
    @size_bounded
    async def verify_access_identity(self, req: StepRequest) -> StepResult:
        """Verify admin login, the RBAC matrix, tokens, logout and session expiry."""
        log = step_logger(req)
        try:
            matrix = await self.platform.rbac()
            published_roles = [str(r) for r in matrix.get("roles", [])]
            roles = [r for r in ROLE_ORDER if r in published_roles] + [
                r for r in published_roles if r not in ROLE_ORDER
            ]
            published = matrix.get("actions") or {}
            actions = {str(a): [str(r) for r in rs] for a, rs in published.items()}
            async with ProbeUsers(self.platform, self.probe, req, tuple(roles), log) as probes:
                checks = await concurrently(
                    guarded("admin_auth", req, _ADMIN_AUTH, lambda: self._admin_auth(req, probes)),
                    guarded(
                        "rbac_matrix",
                        req,
                        None,
                        lambda: self._rbac(req, probes, roles, actions),
                    ),
                    guarded(
                        "token_behaviour", req, _TOKENS, lambda: self._tokens(req, probes, log)
                    ),
                    guarded("logout_revokes", req, _LOGOUT, lambda: self._logout(req, probes)),
                    guarded("session_expiry", req, _EXPIRY, lambda: self._expiry(req, probes)),
                )
        except PlatformRefused as error:
            reason = (
                f"the probe users could not be set up: {error.call} was refused with "
                f"{error.status} ({error.detail}); make sure Step 2 has run for this tenant, "
                f"then run {retry_hint(req)}."
            )
            checks = [not_run(name, reason) for name in CHECKS]
        log_checks(log, checks)
        return StepResult(checks=checks)

    async def _admin_auth(self, req: StepRequest, probes: ProbeUsers) -> CheckResult:
        email = probes.email("admin")
        expected = _ADMIN_AUTH
        if "admin" not in probes.sessions:
            return check(
                "admin_auth",
                False,
                f"The probe admin {email} could not log in: "
                f"{probes.refusals.get('admin', 'the platform has no admin role')}; fix "
                f"admin authentication on the platform, then run {retry_hint(req)}.",
                expected=expected,
                observed={"login": probes.refusals.get("admin")},
            )
        status, me = await probes.call("GET", "/me", "admin")
        me = me if isinstance(me, dict) else {}
        observed = {
            "login": "ok",
            "me_status": status,
            "email": me.get("email"),
            "roles": me.get("roles"),
            "tenant_id": me.get("tenant_id"),
        }
        ok = (
            status == 200
            and str(me.get("email", "")).lower() == email
            and "admin" in (me.get("roles") or [])
            and me.get("tenant_id") == req.tenant_id
        )
        if not ok:
            return check(
                "admin_auth",
                False,
                f"The probe admin logged in but /me answered {status} with "
                f"{observed['email']}, roles {observed['roles']}, tenant {observed['tenant_id']}; "
                f"fix the session identity on the platform, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "admin_auth",
            True,
            f"The probe admin logged in and /me confirms an admin of tenant {req.tenant_id}.",
            expected=expected,
            observed=observed,
        )

    async def _rbac(
        self,
        req: StepRequest,
        probes: ProbeUsers,
        roles: list[str],
        actions: dict[str, list[str]],
    ) -> CheckResult:
        if not roles or not actions:
            return check(
                "rbac_matrix",
                False,
                "The platform publishes no role/action matrix (GET /v1/rbac/actions), so access "
                f"cannot be validated; fix the platform, then run {retry_hint(req)}.",
                observed={"roles": roles, "actions": actions},
            )
        expected = {
            role: {a: role in _allowed_roles(a, roles, allowed) for a, allowed in actions.items()}
            for role in roles
        }
        # A refused admin login is admin_auth's finding (and blocks the step); its row waits
        # for the retry. Any other role that cannot log in fails this check.
        excused = [r for r in roles if r == "admin" and r not in probes.sessions]
        untested = [r for r in roles if r not in probes.sessions and r not in excused]
        pairs = [(r, a) for r in roles for a in actions if r in probes.sessions]
        replies = await concurrently(
            *(probes.call("POST", f"/actions/{action}", role) for role, action in pairs)
        )
        observed: dict[str, dict[str, str]] = {
            role: ({} if role in probes.sessions else dict.fromkeys(actions, "not tested"))
            for role in roles
        }
        waiting = (
            f"; the {', '.join(excused)} row was not tested because that probe could not "
            "log in (see admin_auth)"
            if excused
            else ""
        )
        wrong = []
        for (role, action), (status, _) in zip(pairs, replies, strict=True):
            observed[role][action] = _outcome(status)
            want = 200 if expected[role][action] else 403
            if status != want:
                wrong.append(f"{role} {action}: {_outcome(status)}")
        published_gaps = [
            a
            for a, allowed in actions.items()
            if sorted(allowed) != sorted(_allowed_roles(a, roles, allowed))
        ]
        if wrong or published_gaps or untested:
            parts = []
            if untested:
                parts.append(
                    f"the {', '.join(untested)} probe(s) could not log in, so their rows were "
                    "not tested (fix logins first)"
                )
            if wrong:
                parts.append(f"{len(wrong)} of {len(pairs)} answers are wrong ({'; '.join(wrong)})")
            if published_gaps:
                parts.append(
                    "the platform's published matrix departs from the documented policy for "
                    + ", ".join(published_gaps)
                )
            return check(
                "rbac_matrix",
                False,
                f"Role-based access differs from policy: {'; '.join(parts)}; fix the role "
                f"permissions on the platform, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "rbac_matrix",
            True,
            f"All {len(pairs)} tested role/action pairs ({len(roles) - len(excused)} roles x "
            f"{len(actions)} actions) are allowed or denied exactly as the access policy "
            f"says{waiting}.",
            expected=expected,
            observed=observed,
        )

    async def _tokens(self, req: StepRequest, probes: ProbeUsers, log: Any) -> CheckResult:
        expected = _TOKENS
        session = probes.sessions.get("admin") or next(iter(probes.sessions.values()), None)
        if session is None:
            return check(
                "token_behaviour",
                False,
                "No probe user could log in, so tokens could not be tested; fix logins on "
                f"the platform, then run {retry_hint(req)}.",
                expected=expected,
                observed={"logins_refused": probes.refusals},
            )
        tampered = SecretStr(tamper(session.token.get_secret_value()))
        foreign, foreign_source = await self._foreign_session(req, log)

        async def me(token: Session | SecretStr | None) -> int:
            reply = await self.platform.tenant(
                "GET", req.tenant_id, "/me", token, probe_key=probes.probe_key
            )
            return reply.status

        try:
            valid_status, tampered_status, missing_status = await concurrently(
                me(session), me(tampered), me(None)
            )
            foreign_status = await me(foreign) if foreign is not None else None
        finally:
            if foreign is not None:
                await self._drop_foreign(foreign, log)
        observed = {
            "valid": valid_status,
            "tampered": tampered_status,
            "foreign": foreign_status,
            "missing": missing_status,
            "foreign_source": foreign_source,
        }
        problems = []
        if valid_status != 200:
            problems.append(f"a valid token was answered {valid_status}")
        if tampered_status != 401:
            problems.append(f"a tampered token was answered {tampered_status}")
        if foreign_status is None:
            problems.append(f"no foreign token could be made ({foreign_source})")
        elif foreign_status != 401:
            problems.append(f"a token of tenant {foreign_source} was answered {foreign_status}")
        if missing_status != 401:
            problems.append(f"a request without a token was answered {missing_status}")
        if problems:
            return check(
                "token_behaviour",
                False,
                f"Token handling is unsafe or untestable: {'; '.join(problems)}; fix token "
                f"validation on the platform, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "token_behaviour",
            True,
            "A valid token works; tampered, foreign-tenant and missing tokens are refused "
            "with 401.",
            expected=expected,
            observed=observed,
        )

    async def _foreign_session(self, req: StepRequest, log: Any) -> tuple[Session | None, str]:
        """Log in to the onboarding's own probe tenant; return the session and its source.

        The probe tenant is a platform account the onboarding owns (created once under a
        fixed idempotency key, then reused). Each use adds a uniquely named probe user,
        which `_drop_foreign` removes again, so concurrent onboardings never collide.
        """
        foreign_id = self.probe.foreign_tenant_id
        if foreign_id == req.tenant_id:
            return None, f"probe tenant id {foreign_id} is the customer's own tenant id"
        try:
            account = await self.platform.get_tenant(foreign_id)
            if account is None:
                owner = f"probe-owner@{foreign_id}.{self.probe.probe_domain}"
                reply = await self.platform.create_tenant(
                    {
                        "tenant_id": foreign_id,
                        "name": "LocalizeVideos onboarding probe tenant",
                        "region": req.contract.data_residency.region,
                        "seats": 1,
                        "admins": [{"name": "Onboarding probe owner", "email": owner}],
                        "idempotency_key": FOREIGN_TENANT_KEY,
                    }
                )
                if reply.status not in (200, 201) or not isinstance(reply.body, dict):
                    return None, f"probe tenant {foreign_id} not created: {reply.detail}"
                account = reply.body
                log.info("probe tenant created", probe_tenant=foreign_id)
            if account.get("idempotency_key") != FOREIGN_TENANT_KEY:
                return None, (
                    f"tenant {foreign_id} is not the onboarding's probe tenant; "
                    "set a free probe.foreign_tenant_id"
                )
            email = f"probe-{uuid.uuid4().hex[:12]}@{foreign_id}.{self.probe.probe_domain}"
            await self.platform.put_user(
                foreign_id,
                email,
                name="Onboarding probe (foreign token)",
                roles=["viewer"],
                probe=True,
                password=self.probe.password,
            )
            try:
                session = await self.platform.login(foreign_id, email, self.probe.password)
            except PlatformRefused:
                await self.platform.delete_user(foreign_id, email)
                raise
        except PlatformRefused as error:
            return None, f"probe tenant {foreign_id}: {error.call} refused ({error.detail})"
        return session, foreign_id

    async def _drop_foreign(self, session: Session, log: Any) -> None:
        try:
            await self.platform.tenant("POST", session.tenant_id, "/logout", session)
            await self.platform.delete_user(session.tenant_id, session.email)
        except Exception as error:  # best effort: a leftover probe user is harmless
            log.warning(
                "foreign probe user not removed",
                probe_user=session.email,
                error=type(error).__name__,
            )

    async def _logout(self, req: StepRequest, probes: ProbeUsers) -> CheckResult:
        expected = _LOGOUT
        role = "viewer" if "viewer" in probes.sessions else next(iter(probes.sessions), None)
        if role is None:
            return not_run("logout_revokes", "no probe user could log in.", expected)
        session = await probes.login(role)

        async def me() -> int:
            reply = await self.platform.tenant(
                "GET", req.tenant_id, "/me", session, probe_key=probes.probe_key
            )
            return reply.status

        before = await me()
        logout = await self.platform.tenant(
            "POST",
            req.tenant_id,
            "/logout",
            session,
            probe_key=probes.probe_key,
            idempotency_key=req.idempotency_key,
        )
        after = await me()
        observed = {"before_logout": before, "logout": logout.status, "after_logout": after}
        if before != 200 or logout.status not in (200, 204) or after != 401:
            return check(
                "logout_revokes",
                False,
                f"Logout did not revoke the session (before {before}, logout {logout.status}, "
                f"after {after}); fix token revocation on the platform, then run "
                f"{retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "logout_revokes",
            True,
            "A session that worked was refused with 401 right after logout.",
            expected=expected,
            observed=observed,
        )

    async def _expiry(self, req: StepRequest, probes: ProbeUsers) -> CheckResult:
        ttl = self.probe.session_probe_ttl_seconds
        expected = {**_EXPIRY, "ttl_seconds": ttl}
        role = "viewer" if "viewer" in probes.sessions else next(iter(probes.sessions), None)
        if role is None:
            return not_run("session_expiry", "no probe user could log in.", expected)
        tries = 0
        while True:
            tries += 1
            probe = await expiry_probe(
                self.platform, probes, role, ttl, self.probe.session_expiry_margin_seconds
            )
            if probe.conclusive:
                break
            longest = self.probe.session_probe_ttl_max_seconds
            if ttl >= longest:
                raise PlatformUnavailable(
                    f"session expiry could not be judged: even with a {ttl}s session the "
                    f"first request was answered {probe.first_answer_seconds:.1f}s after the "
                    "login was sent, later than the session lasts; Temporal retries this "
                    "step automatically"
                )
            ttl = min(longest, max(2 * ttl, math.ceil(2 * probe.first_answer_seconds)))
        observed = {**probe.observed(), "probes": tries}
        problems = probe.problems(ttl)
        if problems:
            return check(
                "session_expiry",
                False,
                f"Session expiry is not enforced: {'; '.join(problems)}; fix session "
                f"lifetimes on the platform, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        again = (
            f" (asked with {ttl}s on try {tries}: earlier answers came too late to tell)"
            if tries > 1
            else ""
        )
        return check(
            "session_expiry",
            True,
            f"A {ttl}s session worked, then was refused with 401 once it lapsed{again}.",
            expected=expected,
            observed=observed,
        )


_ADMIN_AUTH = {"login": "ok", "me_status": 200, "roles_include": "admin"}
_TOKENS = {"valid": 200, "tampered": 401, "foreign": 401, "missing": 401}
_LOGOUT = {"before_logout": 200, "logout": 204, "after_logout": 401}
_EXPIRY = {"before_expiry": 200, "after_expiry": 401}
