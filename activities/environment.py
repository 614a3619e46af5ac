"""PHASE-33 Step 4: environment validation (health, database, rate limits, logging)."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity

from activities.database import describe_error, probe_database, safe_url
from activities.evidence import (
    both,
    check,
    concurrently,
    guarded,
    log_checks,
    not_run,
    pause,
    retry_hint,
    step_logger,
)
from activities.heartbeat import heartbeating
from activities.platform import (
    PlatformClient,
    PlatformRefused,
    PlatformUnavailable,
    ProbeBucket,
    ProbeConfig,
    Session,
)
from activities.probes import ProbeUsers, new_probe_key
from activities.rate_probe import bucket_probe, header_int
from activities.result_size import size_bounded
from onboarding.checks import CheckResult, StepRequest, StepResult

PROBE_ROLE = "viewer"
"""Role of the probe user whose session sends the environment's tenant-API traffic (the
least privileged role: pings and events need no more)."""


MAX_PROBE_WINDOW_SECONDS = 60
"""Longest window the rate-limit probe asks for before it gives up as too slow."""


class EnvironmentActivities:
    """Step 4: every check here blocks onboarding when it fails.

    Args:
        platform: The platform client.
        probe: Probe settings (burst bounds, log wait, database timeout).
    """

    def __init__(self, platform: PlatformClient, probe: ProbeConfig) -> None:
        self.platform = platform
        self.probe = probe

    @activity.defn(name="validate_environment")
    @heartbeating
    @size_bounded
    async def validate_environment(self, req: StepRequest) -> StepResult:
        """Check API health, database connectivity, rate limits and log visibility."""
        log = step_logger(req)
        (health, database), probed = await both(
            concurrently(
                guarded("api_health", req, _HEALTH, lambda: self._health(req)),
                guarded("db_connectivity", req, _DATABASE, lambda: self._database(req, log)),
            ),
            self._probed(req, log),
        )
        checks = [health, database, *probed]
        log_checks(log, checks)
        return StepResult(checks=checks)

    async def _probed(self, req: StepRequest, log: Any) -> list[CheckResult]:
        try:
            async with ProbeUsers(self.platform, self.probe, req, (PROBE_ROLE,), log) as probes:
                session = probes.sessions.get(PROBE_ROLE)
                if session is None:
                    reason = (
                        f"the probe user could not log in ({probes.refusals.get(PROBE_ROLE)}); "
                        f"fix logins (Step 3), then run {retry_hint(req)}."
                    )
                    return [not_run("rate_limit", reason), not_run("logging_visibility", reason)]
                return await concurrently(
                    guarded(
                        "rate_limit",
                        req,
                        req.contract.contract.api_rate_limit_per_minute,
                        lambda: self._rate_limit(req, session),
                    ),
                    guarded(
                        "logging_visibility",
                        req,
                        _LOGGING,
                        lambda: self._logging(req, session),
                    ),
                )
        except PlatformRefused as error:
            reason = (
                f"the probe user could not be set up: {error.call} was refused with "
                f"{error.status} ({error.detail}); make sure Step 2 has run, then run "
                f"{retry_hint(req)}."
            )
            return [not_run("rate_limit", reason), not_run("logging_visibility", reason)]

    async def _health(self, req: StepRequest) -> CheckResult:
        overall = await self.platform.health(for_tenant=req.tenant_id)
        body = overall.body if isinstance(overall.body, dict) else None
        if body is None or not isinstance(body.get("components"), dict):
            if overall.status >= 500:
                raise PlatformUnavailable(
                    f"GET /v1/health: the platform failed with {overall.status} "
                    "without a health report; Temporal retries this step automatically"
                )
            raise PlatformRefused("GET /v1/health", overall.status, overall.detail)
        components = {str(k): str(v) for k, v in body["components"].items()}
        replies = await concurrently(
            *(self.platform.component_health(c, for_tenant=req.tenant_id) for c in components)
        )
        endpoints = {
            c: (r.body.get("status") if isinstance(r.body, dict) else None) or f"HTTP {r.status}"
            for c, r in zip(components, replies, strict=True)
        }
        endpoint_status = {c: r.status for c, r in zip(components, replies, strict=True)}
        observed = {
            "status": body.get("status"),
            "http_status": overall.status,
            "components": components,
            "component_endpoints": endpoints,
        }
        failing = sorted(
            c
            for c in components
            if components[c] != "ok" or endpoints[c] != "ok" or endpoint_status[c] != 200
        )
        if failing or body.get("status") != "ok" or overall.status != 200:
            return check(
                "api_health",
                False,
                f"Platform health is '{body.get('status')}' with failing component(s) "
                f"{', '.join(failing) or 'none reported'}; restore them (see the platform "
                f"runbook), then run {retry_hint(req)}.",
                expected=_HEALTH,
                observed=observed,
            )
        return check(
            "api_health",
            True,
            f"Platform health is ok and every component is ok: {', '.join(sorted(components))}.",
            expected=_HEALTH,
            observed=observed,
        )

    async def _database(self, req: StepRequest, log: Any) -> CheckResult:
        url = await self.platform.database_url(req.tenant_id)
        timeout = self.probe.db_connect_timeout_seconds
        try:
            evidence = await asyncio.wait_for(
                asyncio.to_thread(probe_database, url, timeout), timeout=timeout + 5
            )
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            reason = (
                f"no answer within {timeout + 5:.0f}s"
                if isinstance(error, TimeoutError)
                else describe_error(error, url)
            )
            log.warning("tenant database unreachable", url=safe_url(url), error=reason)
            return check(
                "db_connectivity",
                False,
                f"The tenant database {safe_url(url)} could not be queried ({reason}); "
                f"restore the tenant database on the platform, then run {retry_hint(req)}.",
                expected=_DATABASE,
                observed={"url": safe_url(url), "error": reason},
            )
        return check(
            "db_connectivity",
            True,
            f"Connected to the tenant database ({evidence['dialect']}), SELECT 1 answered "
            f"{evidence['select_1']} and {evidence['tables']} table(s) are visible.",
            expected=_DATABASE,
            observed=evidence,
        )

    async def _rate_limit(self, req: StepRequest, session: Session) -> CheckResult:
        limit = req.contract.contract.api_rate_limit_per_minute
        configured = (await self.platform.rate_limit(req.tenant_id)).get("per_minute")
        first = await self.platform.tenant(
            "GET", req.tenant_id, "/ping", session, probe_key=new_probe_key("headers")
        )
        headers = {
            "status": first.status,
            "limit": header_int(first, "X-RateLimit-Limit"),
            "remaining": header_int(first, "X-RateLimit-Remaining"),
            "reset": header_int(first, "X-RateLimit-Reset"),
        }
        window = self.probe.rate_probe_window_seconds
        tries = 0
        while True:
            tries += 1
            bucket = ProbeBucket(self.probe.rate_probe_limit, window)
            probe = await bucket_probe(self.platform, req.tenant_id, session, bucket)
            if probe.conclusive:
                break
            if window >= MAX_PROBE_WINDOW_SECONDS:
                raise PlatformUnavailable(
                    f"the rate limit could not be judged: {bucket.limit + 1} requests took "
                    f"{probe.seconds:.1f}s, longer than even a {window}s probe window; "
                    "Temporal retries this step automatically"
                )
            window = min(MAX_PROBE_WINDOW_SECONDS, max(2 * window, math.ceil(2 * probe.seconds)))
        observed = {
            "configured": configured,
            "headers": headers,
            "probe_bucket": probe.observed(),
            "probes": tries,
        }
        problems = []
        if configured != limit:
            problems.append(f"the platform's configuration says {configured}/min, not {limit}")
        if first.status != 200:
            problems.append(f"a probe request was answered {first.status}")
        if headers["limit"] != limit:
            problems.append(f"X-RateLimit-Limit says {headers['limit']}, not {limit}")
        problems += probe.problems()
        if problems:
            return check(
                "rate_limit",
                False,
                f"The rate limit is not the contracted {limit}/min: {'; '.join(problems)}; "
                "fix the platform's rate-limit configuration or enforcement for the tenant, "
                f"then run {retry_hint(req)}.",
                expected=limit,
                observed=observed,
            )
        return check(
            "rate_limit",
            True,
            f"Configuration and X-RateLimit-Limit show {limit}/min; a probe bucket of "
            f"{bucket.limit} per {bucket.window_seconds}s passed {bucket.limit} requests, "
            f"refused the next with 429 (Retry-After {probe.retry_after}s) and passed again "
            "after it.",
            expected=limit,
            observed=observed,
        )

    async def _logging(self, req: StepRequest, session: Session) -> CheckResult:
        marker = f"onboarding-log-probe-{uuid.uuid4().hex}"
        posted = await self.platform.tenant(
            "POST",
            req.tenant_id,
            "/events",
            session,
            json={"marker": marker},
            probe_key=new_probe_key("logging"),
            idempotency_key=req.idempotency_key,
        )
        expected = {**_LOGGING, "within_seconds": self.probe.logging_wait_seconds}
        if posted.status not in (200, 201, 202):
            return check(
                "logging_visibility",
                False,
                f"Writing a log marker was refused with {posted.status} ({posted.detail}); "
                f"fix the events endpoint, then run {retry_hint(req)}.",
                expected=expected,
                observed={"marker": marker, "write_status": posted.status},
            )
        started = time.monotonic()
        deadline = started + self.probe.logging_wait_seconds
        lines: list[dict[str, Any]] = []
        polls = 0
        while True:
            polls += 1
            sent = time.monotonic()
            lines = [
                line
                for line in await self.platform.logs(req.tenant_id, marker)
                if marker in str(line.get("message", ""))
            ]
            # Only a search *sent* after the wait proves absence: one sent before it that
            # answered late says nothing about the marker being late.
            if lines or sent >= deadline:
                break
            await pause(min(self.probe.poll_interval_seconds, max(0.0, deadline - sent)))
        waited = round(time.monotonic() - started, 2)
        observed = {
            "marker": marker,
            "write_status": posted.status,
            "found": bool(lines),
            "seconds": waited,
            "polls": polls,
            "line": lines[0] if lines else None,
        }
        if not lines:
            return check(
                "logging_visibility",
                False,
                f"The log marker was not searchable within {self.probe.logging_wait_seconds}s; "
                f"fix log shipping for the tenant, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        wrong_tenant = [ln for ln in lines if ln.get("tenant_id") != req.tenant_id]
        if wrong_tenant:
            return check(
                "logging_visibility",
                False,
                "The log marker was found under another tenant id; fix log attribution, "
                f"then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "logging_visibility",
            True,
            f"A unique marker written through the tenant API was found in the log search "
            f"after {waited}s.",
            expected=expected,
            observed=observed,
        )


_HEALTH = {"status": "ok", "components": "all ok"}
_DATABASE = {"select_1": 1}
_LOGGING = {"found": True}
