"""PHASE-33 Step 2: account provisioning, refusing any shared or reused account.

Every write is idempotent: the account is created under the step's idempotency key
(the platform returns the same account for the same key), users, flags, security
settings and the rate limit are PUTs of the contract's values. Re-running the step
after a retry creates nothing twice.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.evidence import (
    NOT_RUN,
    check,
    concurrently,
    guarded,
    log_checks,
    refused,
    retry_hint,
    step_logger,
)
from activities.heartbeat import heartbeating
from activities.platform import PlatformClient, PlatformRefused, ProbeConfig
from activities.result_size import size_bounded
from onboarding.checks import CheckResult, StepRequest, StepResult
from onboarding.contract import SlaTier

SESSION_CAP_MINUTES: dict[SlaTier, int] = {
    SlaTier.STANDARD: 720,
    SlaTier.PREMIUM: 480,
    SlaTier.ENTERPRISE: 480,
}
"""Longest session the security defaults allow, by SLA tier."""

MIN_PASSWORD_LENGTH = 12
"""Shortest password the security defaults allow."""

_AFTER_ACCOUNT = ("admin_roles", "feature_flags", "security_defaults", "rate_limit_configured")


def security_policy(req: StepRequest) -> dict[str, Any]:
    """Return what the security defaults must be for this contract (the check's expectation)."""
    return {
        "mfa_required": True,
        "max_session_minutes_at_most": SESSION_CAP_MINUTES[req.contract.contract.sla_tier],
        "password_min_length_at_least": MIN_PASSWORD_LENGTH,
        "sso_enabled": "sso" in req.contract.contract.features,
    }


def security_settings(req: StepRequest, current: dict[str, Any]) -> dict[str, Any]:
    """Return the settings to apply: the policy, never weakening stricter current values.

    A session cap already below the tier's cap, or a longer minimum password length, is kept.
    """
    policy = security_policy(req)
    cap = policy["max_session_minutes_at_most"]
    minutes = current.get("max_session_minutes")
    length = current.get("password_min_length")
    return {
        "mfa_required": True,
        "max_session_minutes": min(minutes, cap)
        if isinstance(minutes, int) and minutes > 0
        else cap,
        "password_min_length": max(length, MIN_PASSWORD_LENGTH)
        if isinstance(length, int)
        else MIN_PASSWORD_LENGTH,
        "sso_enabled": policy["sso_enabled"],
    }


class ProvisioningActivities:
    """Step 2: create the enterprise account and apply the contract to it.

    Args:
        platform: The platform client.
        probe: Probe settings (unused here; every activity class takes the same pair).
    """

    def __init__(self, platform: PlatformClient, probe: ProbeConfig) -> None:
        self.platform = platform
        self.probe = probe

    @activity.defn(name="provision_account")
    @heartbeating
    @size_bounded
    async def provision_account(self, req: StepRequest) -> StepResult:
        """Create the account, assign admins, apply flags, security defaults and rate limit."""
        log = step_logger(req)
        shared = await guarded(
            "no_shared_account", req, _no_shared_expected(req), lambda: self._no_shared(req)
        )
        if not shared.passed:
            # Refuse, never reuse: nothing is created. The checks that depend on the account
            # are left out (listed under facts) so the one real cause stands alone.
            log_checks(log, [shared])
            return StepResult(
                checks=[shared], facts={NOT_RUN: ["account_created", *_AFTER_ACCOUNT]}
            )

        created, account = await self._create(req)
        checks = [shared, created]
        facts: dict[str, Any] = {}
        if account is None:
            facts[NOT_RUN] = list(_AFTER_ACCOUNT)
        else:
            facts["account_id"] = account.get("account_id")
            checks += await concurrently(
                guarded("admin_roles", req, _admins(req), lambda: self._admin_roles(req)),
                guarded("feature_flags", req, _features(req), lambda: self._flags(req)),
                guarded(
                    "security_defaults", req, security_policy(req), lambda: self._security(req)
                ),
                guarded(
                    "rate_limit_configured",
                    req,
                    req.contract.contract.api_rate_limit_per_minute,
                    lambda: self._rate_limit(req),
                ),
            )
        log_checks(log, checks)
        return StepResult(checks=checks, facts=facts)

    async def _no_shared(self, req: StepRequest) -> CheckResult:
        admins = [a.email for a in req.contract.contacts.admins]
        found = await concurrently(
            self.platform.accounts_by_tenant(req.tenant_id),
            *(self.platform.accounts_by_admin(e) for e in admins),
        )
        bound_by = [f"tenant id {req.tenant_id}"] + [f"admin e-mail {e}" for e in admins]
        foreign: list[dict[str, Any]] = []
        own: set[str] = set()
        for reason, accounts in zip(bound_by, found, strict=True):
            for account in accounts:
                if account.get("idempotency_key") == req.idempotency_key:
                    own.add(str(account.get("account_id")))
                else:
                    foreign.append(
                        {
                            "account_id": account.get("account_id"),
                            "tenant_id": account.get("tenant_id"),
                            "bound_by": reason,
                        }
                    )
        observed = {"accounts_of_this_onboarding": sorted(own), "other_accounts": foreign}
        expected = _no_shared_expected(req)
        if foreign:
            where = "; ".join(
                f"{a['bound_by']} is bound to account {a['account_id']} (tenant {a['tenant_id']})"
                for a in foreign
            )
            return check(
                "no_shared_account",
                False,
                f"Refused to create or reuse a shared account: {where}; give the customer a "
                "tenant id and admin e-mails of their own (or retire the other account), "
                f"then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        detail = "The tenant id and admin e-mails are bound to no other account" + (
            " (the account of this onboarding already exists)." if own else "."
        )
        return check("no_shared_account", True, detail, expected=expected, observed=observed)

    async def _create(self, req: StepRequest) -> tuple[CheckResult, dict[str, Any] | None]:
        contract = req.contract
        body = {
            "tenant_id": req.tenant_id,
            "name": contract.tenant.name,
            "region": contract.data_residency.region,
            "seats": contract.contract.seats,
            "admins": [{"name": a.name, "email": a.email} for a in contract.contacts.admins],
            "idempotency_key": req.idempotency_key,
        }
        expected = {"tenant_id": req.tenant_id, "idempotency_key": req.idempotency_key}
        try:
            reply = await self.platform.create_tenant(body)
        except PlatformRefused as error:
            return refused("account_created", req, error, expected), None
        account = reply.body if isinstance(reply.body, dict) else None
        if reply.status not in (200, 201) or account is None:
            return (
                check(
                    "account_created",
                    False,
                    f"The platform refused to create the account with {reply.status} "
                    f"({reply.detail}); resolve the conflict (never reuse another account), "
                    f"then run {retry_hint(req)}.",
                    expected=expected,
                    observed={"status": reply.status, "detail": reply.detail},
                ),
                None,
            )
        observed = {
            "account_id": account.get("account_id"),
            "tenant_id": account.get("tenant_id"),
            "region": account.get("region"),
            "seats": account.get("seats"),
            "status": account.get("status"),
            "idempotency_key": account.get("idempotency_key"),
            "created_now": reply.status == 201,
        }
        if account.get("tenant_id") != req.tenant_id or (
            account.get("idempotency_key") != req.idempotency_key
        ):
            return (
                check(
                    "account_created",
                    False,
                    "The platform answered with an account that is not this onboarding's; "
                    f"investigate before going on, then run {retry_hint(req)}.",
                    expected=expected,
                    observed=observed,
                ),
                None,
            )
        how = "created" if reply.status == 201 else "already created by an earlier attempt"
        return (
            check(
                "account_created",
                True,
                f"Account {account.get('account_id')} for tenant {req.tenant_id} was {how}.",
                expected=expected,
                observed=observed,
            ),
            account,
        )

    async def _admin_roles(self, req: StepRequest) -> CheckResult:
        await concurrently(
            *(
                self.platform.put_user(
                    req.tenant_id,
                    a.email,
                    name=a.name,
                    roles=["admin"],
                    probe=False,
                    idempotency_key=req.idempotency_key,
                )
                for a in req.contract.contacts.admins
            )
        )
        users = await self.platform.users(req.tenant_id)
        holders = sorted(
            str(u.get("email", "")).lower()
            for u in users
            if not u.get("probe") and "admin" in (u.get("roles") or [])
        )
        wanted = _admins(req)
        missing = sorted(set(wanted) - set(holders))
        extra = sorted(set(holders) - set(wanted))
        observed = {"admins": holders, "missing": missing, "undocumented": extra}
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"{', '.join(missing)} lack the admin role")
            if extra:
                parts.append(f"{', '.join(extra)} hold admin without being named in the contract")
            return check(
                "admin_roles",
                False,
                f"Admin roles differ from the contract: {'; '.join(parts)}; correct the "
                f"roles on the platform (no undocumented access), then run {retry_hint(req)}.",
                expected=wanted,
                observed=observed,
            )
        return check(
            "admin_roles",
            True,
            f"Exactly the contract's named admins hold admin: {', '.join(holders)}.",
            expected=wanted,
            observed=observed,
        )

    async def _flags(self, req: StepRequest) -> CheckResult:
        wanted = _features(req)
        await self.platform.put_features(req.tenant_id, wanted, req.idempotency_key)
        effective = sorted(await self.platform.features(req.tenant_id))
        missing = sorted(set(wanted) - set(effective))
        extra = sorted(set(effective) - set(wanted))
        observed = {"effective": effective, "missing": missing, "not_contracted": extra}
        # This check proves the contracted flags were applied. That nothing else is on
        # (hidden or experimental features) is proven by Step 5's contracted_features_only.
        if missing:
            return check(
                "feature_flags",
                False,
                f"Contracted feature flags were not applied: {', '.join(missing)}; "
                "fix the flags on the platform, "
                f"then run {retry_hint(req)}.",
                expected=wanted,
                observed=observed,
            )
        return check(
            "feature_flags",
            True,
            f"Every contracted flag is in force: {', '.join(wanted)}.",
            expected=wanted,
            observed=observed,
        )

    async def _security(self, req: StepRequest) -> CheckResult:
        policy = security_policy(req)
        current = await self.platform.security(req.tenant_id)
        wanted = security_settings(req, current)
        await self.platform.put_security(req.tenant_id, wanted, req.idempotency_key)
        actual = await self.platform.security(req.tenant_id)
        cap = policy["max_session_minutes_at_most"]
        problems = []
        if actual.get("mfa_required") is not True:
            problems.append("MFA is not required")
        minutes = actual.get("max_session_minutes")
        if not isinstance(minutes, int) or minutes > cap:
            problems.append(f"sessions last up to {minutes} minutes (cap {cap})")
        length = actual.get("password_min_length")
        if not isinstance(length, int) or length < MIN_PASSWORD_LENGTH:
            problems.append(f"minimum password length is {length} (< {MIN_PASSWORD_LENGTH})")
        if actual.get("sso_enabled") is not wanted["sso_enabled"]:
            state = "on" if actual.get("sso_enabled") else "off"
            problems.append(
                f"SSO is {state} but {'is' if wanted['sso_enabled'] else 'is not'} contracted"
            )
        observed = {k: actual.get(k) for k in wanted}
        if problems:
            return check(
                "security_defaults",
                False,
                f"Security defaults are not in force: {'; '.join(problems)}; restore them on "
                f"the platform (bypassing them is prohibited), then run {retry_hint(req)}.",
                expected=policy,
                observed=observed,
            )
        return check(
            "security_defaults",
            True,
            f"MFA required, sessions capped at {minutes} minutes, passwords of at least "
            f"{length} characters, SSO {'on' if wanted['sso_enabled'] else 'off'} as contracted.",
            expected=policy,
            observed=observed,
        )

    async def _rate_limit(self, req: StepRequest) -> CheckResult:
        wanted = req.contract.contract.api_rate_limit_per_minute
        await self.platform.put_rate_limit(req.tenant_id, wanted, req.idempotency_key)
        actual = (await self.platform.rate_limit(req.tenant_id)).get("per_minute")
        if actual != wanted:
            return check(
                "rate_limit_configured",
                False,
                f"The rate limit reads back as {actual}/min, not the contracted {wanted}/min; "
                f"fix it on the platform, then run {retry_hint(req)}.",
                expected=wanted,
                observed=actual,
            )
        return check(
            "rate_limit_configured",
            True,
            f"The API rate limit is the contracted {wanted} requests per minute.",
            expected=wanted,
            observed=actual,
        )


def _admins(req: StepRequest) -> list[str]:
    return sorted(a.email for a in req.contract.contacts.admins)


def _features(req: StepRequest) -> list[str]:
    return sorted(req.contract.contract.features)


def _no_shared_expected(req: StepRequest) -> dict[str, Any]:
    return {"other_accounts": [], "idempotency_key": req.idempotency_key}
