"""PHASE-33 Step 7 and the post-onboarding review: monitoring, activation, usage."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.evidence import check, guarded, log_checks, retry_hint, step_logger, utc_now
from activities.heartbeat import heartbeating
from activities.platform import PlatformClient, ProbeConfig
from activities.result_size import size_bounded
from onboarding.checks import CheckResult, StepRequest, StepResult
from onboarding.steps import EnablementItem

ENABLEMENT_OPENED = "enablement_opened"
"""Fact key: the `EnablementItem` values the customer's users opened (None: not reported)."""

USAGE_FIELDS = (
    "active_users",
    "minutes_localised",
    "features_used",
    "admins_logged_in",
    "api_latency_ms_p95",
    "error_rate",
    ENABLEMENT_OPENED,
)
"""Usage figures the post-onboarding review works from."""

OPTIONAL_USAGE_FIELDS = frozenset({ENABLEMENT_OPENED})
"""Figures a platform may not report; the review then says it does not know them."""


def enablement_opened(value: Any) -> list[str] | None:
    """Return the reported opened items as known `EnablementItem` values, in item order.

    None when the platform did not report a list of names, so the review says the opens
    are unknown instead of calling every item unopened.
    """
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    reported = {v.strip() for v in value}
    return [item.value for item in EnablementItem if item.value in reported]


class GoLiveActivities:
    """Go-live: alert rules in place, the account marked live, and usage read back.

    Args:
        platform: The platform client.
        probe: Probe settings (unused here; every activity class takes the same pair).
    """

    def __init__(self, platform: PlatformClient, probe: ProbeConfig) -> None:
        self.platform = platform
        self.probe = probe

    @activity.defn(name="verify_monitoring")
    @heartbeating
    @size_bounded
    async def verify_monitoring(self, req: StepRequest) -> StepResult:
        """Create the tenant's alert rules (idempotent) and check they are in place."""
        log = step_logger(req)
        result = await guarded("monitoring", req, _MONITORING, lambda: self._monitoring(req))
        log_checks(log, [result])
        return StepResult(checks=[result])

    async def _monitoring(self, req: StepRequest) -> CheckResult:
        await self.platform.put_monitoring(req.tenant_id, req.idempotency_key)
        alerts = (await self.platform.monitoring(req.tenant_id)).get("alerts") or []
        observed = [
            {"name": a.get("name"), "condition": a.get("condition")}
            for a in alerts
            if isinstance(a, dict)
        ]
        if not observed:
            return check(
                "monitoring",
                False,
                f"No alert rules exist for tenant {req.tenant_id} after setting them up; "
                f"fix monitoring on the platform, then run {retry_hint(req)}.",
                expected=_MONITORING,
                observed=observed,
            )
        names = ", ".join(str(a["name"]) for a in observed)
        return check(
            "monitoring",
            True,
            f"{len(observed)} alert rule(s) watch the tenant: {names}.",
            expected=_MONITORING,
            observed=observed,
        )

    @activity.defn(name="activate_tenant")
    @heartbeating
    @size_bounded
    async def activate_tenant(self, req: StepRequest) -> StepResult:
        """Mark the account live at the recorded go-live time (idempotent)."""
        log = step_logger(req)
        go_live_at = req.go_live_at or utc_now()
        facts: dict[str, Any] = {}

        async def activated() -> CheckResult:
            await self.platform.activate(req.tenant_id, go_live_at, req.idempotency_key)
            account = await self.platform.get_tenant(req.tenant_id)
            status = None if account is None else account.get("status")
            facts.update({"go_live_at": go_live_at.isoformat(), "account_status": status})
            observed = {"status": status, "go_live_at": go_live_at.isoformat()}
            if status != "live":
                return check(
                    "activated",
                    False,
                    f"The account reads back as '{status}' after activation, not 'live'; "
                    f"check the platform account, then run {retry_hint(req)}.",
                    expected=_ACTIVATED,
                    observed=observed,
                )
            return check(
                "activated",
                True,
                f"Tenant {req.tenant_id} is live from {go_live_at.isoformat()}.",
                expected=_ACTIVATED,
                observed=observed,
            )

        result = await guarded("activated", req, _ACTIVATED, activated)
        log_checks(log, [result])
        return StepResult(checks=[result], facts=facts)

    @activity.defn(name="gather_usage")
    @heartbeating
    @size_bounded
    async def gather_usage(self, req: StepRequest) -> StepResult:
        """Read the tenant's usage figures for the post-onboarding review."""
        log = step_logger(req)
        facts: dict[str, Any] = {}

        async def gathered() -> CheckResult:
            usage = await self.platform.usage(req.tenant_id)
            facts.update({k: usage.get(k) for k in USAGE_FIELDS if k in usage})
            facts[ENABLEMENT_OPENED] = enablement_opened(usage.get(ENABLEMENT_OPENED))
            missing = [k for k in USAGE_FIELDS if k not in usage and k not in OPTIONAL_USAGE_FIELDS]
            if missing:
                return check(
                    "usage_gathered",
                    False,
                    f"Usage figures are incomplete (missing {', '.join(missing)}); check the "
                    f"platform's usage endpoint, then run {retry_hint(req)}.",
                    expected=list(USAGE_FIELDS),
                    observed=sorted(usage),
                )
            opened = facts[ENABLEMENT_OPENED]
            items = (
                "enablement item opens not reported"
                if opened is None
                else f"{len(opened)} of {len(EnablementItem)} enablement item(s) opened"
            )
            return check(
                "usage_gathered",
                True,
                f"Usage gathered: {usage.get('active_users')} active user(s), "
                f"{usage.get('minutes_localised')} minute(s) localised, {items}.",
                expected=list(USAGE_FIELDS),
                observed=facts,
            )

        result = await guarded("usage_gathered", req, list(USAGE_FIELDS), gathered)
        log_checks(log, [result])
        return StepResult(checks=[result], facts=facts)


_MONITORING = {"alerts": "at least one rule for the tenant"}
_ACTIVATED = {"status": "live"}
