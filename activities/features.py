"""PHASE-33 Step 5: feature enablement. Only contracted features, nothing hidden."""

from __future__ import annotations

import time
import uuid
from typing import Any

from temporalio import activity

from activities.evidence import (
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
from activities.platform import PlatformClient, PlatformRefused, ProbeConfig
from activities.probes import ProbeUsers
from activities.result_size import size_bounded
from onboarding.checks import CheckResult, StepRequest, StepResult

CHECKS = ("contracted_features_only", "feature_permissions", "ui_visibility", "critical_flows")
PROBE_ROLES = ("viewer", "editor")
"""Editors and above may use features; viewers may not."""


class FeatureActivities:
    """Step 5: enable the contracted features and prove users see and use exactly those.

    Args:
        platform: The platform client.
        probe: Probe settings (password, job wait).
    """

    def __init__(self, platform: PlatformClient, probe: ProbeConfig) -> None:
        self.platform = platform
        self.probe = probe

    @activity.defn(name="enable_features")
    @heartbeating
    @size_bounded
    async def enable_features(self, req: StepRequest) -> StepResult:
        """Enable exactly the contracted features, then check permissions, UI and flows."""
        log = step_logger(req)
        try:
            catalogue = await self.platform.feature_catalogue()
            flags = await guarded(
                "contracted_features_only",
                req,
                _contracted(req),
                lambda: self._contracted_only(req, catalogue, log),
            )
            async with ProbeUsers(self.platform, self.probe, req, PROBE_ROLES, log) as probes:
                checks = [
                    flags,
                    *await concurrently(
                        guarded(
                            "feature_permissions",
                            req,
                            None,
                            lambda: self._permissions(req, probes, catalogue),
                        ),
                        guarded(
                            "ui_visibility", req, _contracted(req), lambda: self._ui(req, probes)
                        ),
                        guarded("critical_flows", req, None, lambda: self._flows(req, probes)),
                    ),
                ]
        except PlatformRefused as error:
            reason = (
                f"{error.call} was refused with {error.status} ({error.detail}); make sure "
                f"Step 2 has run for this tenant, then run {retry_hint(req)}."
            )
            checks = [not_run(name, reason) for name in CHECKS]
        log_checks(log, checks)
        return StepResult(checks=checks)

    async def _contracted_only(
        self, req: StepRequest, catalogue: list[dict[str, Any]], log: Any
    ) -> CheckResult:
        wanted = _contracted(req)
        before = sorted(await self.platform.features(req.tenant_id))
        if before != wanted:
            log.info("feature flags differ from the contract; applying it", before=before)
            await self.platform.put_features(req.tenant_id, wanted, req.idempotency_key)
        effective = sorted(await self.platform.features(req.tenant_id))
        stages = {str(i.get("key")): str(i.get("stage")) for i in catalogue}
        extra = sorted(set(effective) - set(wanted))
        missing = sorted(set(wanted) - set(effective))
        not_ga = sorted(f for f in effective if stages.get(f) != "ga")
        observed = {
            "before": before,
            "effective": effective,
            "reapplied_contract": before != wanted,
            "not_contracted": extra,
            "missing": missing,
            "not_ga": not_ga,
        }
        if extra or missing or not_ga:
            parts = []
            if extra:
                named = [f"{f} ({stages.get(f, 'unknown')})" for f in extra]
                parts.append(f"enabled without a contract: {', '.join(named)}")
            contracted_not_ga = [f for f in not_ga if f not in extra]
            if contracted_not_ga:
                parts.append(f"not GA: {', '.join(contracted_not_ga)}")
            if missing:
                parts.append(f"contracted but not enabled: {', '.join(missing)}")
            return check(
                "contracted_features_only",
                False,
                f"Effective features differ from the contract ({'; '.join(parts)}); remove "
                f"the override on the platform, then run {retry_hint(req)}.",
                expected=wanted,
                observed=observed,
            )
        corrected = f" (corrected from {', '.join(before) or 'none'})" if before != wanted else ""
        return check(
            "contracted_features_only",
            True,
            f"Exactly the contracted GA features are enabled: {', '.join(effective)}{corrected}.",
            expected=wanted,
            observed=observed,
        )

    async def _permissions(
        self, req: StepRequest, probes: ProbeUsers, catalogue: list[dict[str, Any]]
    ) -> CheckResult:
        wanted = _contracted(req)
        refused_ga = next(
            (str(i["key"]) for i in catalogue if i.get("stage") == "ga" and i["key"] not in wanted),
            None,
        )
        probes_to_run: list[tuple[str, str, int]] = [("editor", f, 200) for f in wanted]
        if refused_ga is not None:
            probes_to_run.append(("editor", refused_ga, 403))
        probes_to_run.append(("viewer", wanted[0], 403))
        answers = await concurrently(
            *(probes.call("GET", f"/features/{f}", role) for role, f, _ in probes_to_run)
        )
        expected: dict[str, dict[str, int]] = {"editor": {}, "viewer": {}}
        observed: dict[str, dict[str, int]] = {"editor": {}, "viewer": {}}
        wrong = []
        for (role, feature, want), (status, _) in zip(probes_to_run, answers, strict=True):
            expected[role][feature] = want
            observed[role][feature] = status
            if status != want:
                wrong.append(f"{role} {feature}: {status} (expected {want})")
        if wrong:
            return check(
                "feature_permissions",
                False,
                f"Feature permissions are wrong: {'; '.join(wrong)}; fix the tenant's feature "
                f"access on the platform, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        outside = refused_ga or "none to test: every GA feature is contracted"
        return check(
            "feature_permissions",
            True,
            f"An editor can use every contracted feature and is refused a non-contracted one "
            f"({outside}); a viewer is refused features.",
            expected=expected,
            observed=observed,
        )

    async def _ui(self, req: StepRequest, probes: ProbeUsers) -> CheckResult:
        wanted = _contracted(req)
        status, body = await probes.call("GET", "/ui-manifest", "editor")
        shown = sorted(str(f) for f in (body or {}).get("features", [])) if status == 200 else None
        observed = {"status": status, "features": shown}
        if shown != wanted:
            what = (
                f"the manifest could not be read ({status})"
                if shown is None
                else f"the UI shows {', '.join(shown) or 'nothing'}"
            )
            return check(
                "ui_visibility",
                False,
                f"UI visibility differs from the contract: {what}; fix the tenant's UI "
                f"manifest on the platform, then run {retry_hint(req)}.",
                expected=wanted,
                observed=observed,
            )
        return check(
            "ui_visibility",
            True,
            f"The UI manifest shows exactly the contracted features: {', '.join(shown)}.",
            expected=wanted,
            observed=observed,
        )

    async def _flows(self, req: StepRequest, probes: ProbeUsers) -> CheckResult:
        subtitles = "subtitles" in req.contract.contract.features
        expected: dict[str, Any] = {"upload": 201}
        expected.update(
            {"subtitles_request": 202, "job": "completed"}
            if subtitles
            else {"subtitles_request": 403}
        )
        title = f"onboarding probe video {uuid.uuid4().hex[:8]}"
        status, body = await probes.call("POST", "/videos", "editor", json={"title": title})
        video_id = body.get("video_id") if isinstance(body, dict) else None
        observed: dict[str, Any] = {"upload": status, "video_id": video_id}
        if status != 201 or not video_id:
            return check(
                "critical_flows",
                False,
                f"Uploading a video failed with {status}; fix video upload for the tenant, "
                f"then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        status, body = await probes.call(
            "POST",
            f"/videos/{video_id}/subtitles",
            "editor",
            json={"language": self.probe.subtitle_language},
        )
        observed["subtitles_request"] = status
        if not subtitles:
            if status != 403:
                return check(
                    "critical_flows",
                    False,
                    f"Subtitles are not contracted but a subtitle request was answered {status}; "
                    f"fix feature gating on the platform, then run {retry_hint(req)}.",
                    expected=expected,
                    observed=observed,
                )
            return check(
                "critical_flows",
                True,
                "Subtitles are not contracted: video upload works and a subtitle request is "
                "refused as it should be.",
                expected=expected,
                observed=observed,
            )
        job_id = body.get("job_id") if isinstance(body, dict) else None
        observed["job_id"] = job_id
        if status != 202 or not job_id:
            return check(
                "critical_flows",
                False,
                f"Requesting subtitles failed with {status}; fix the subtitles flow, "
                f"then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        job_status, seconds = await self._wait_for_job(probes, str(job_id))
        observed.update({"job": job_status, "seconds": seconds})
        if job_status != "completed":
            return check(
                "critical_flows",
                False,
                f"The subtitle job ended '{job_status}' after {seconds}s (needs 'completed' "
                f"within {self.probe.job_wait_seconds}s); fix the job pipeline, "
                f"then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "critical_flows",
            True,
            f"An editor uploaded a video, requested {self.probe.subtitle_language} subtitles "
            f"and the job completed in {seconds}s.",
            expected=expected,
            observed=observed,
        )

    async def _wait_for_job(self, probes: ProbeUsers, job_id: str) -> tuple[str, float]:
        started = time.monotonic()
        deadline = started + self.probe.job_wait_seconds
        job_status = "unknown"
        while True:
            sent = time.monotonic()
            status, body = await probes.call("GET", f"/jobs/{job_id}", "editor")
            job_status = (
                str(body.get("status"))
                if status == 200 and isinstance(body, dict)
                else f"HTTP {status}"
            )
            # Give up only on an answer to a poll sent after the wait: a poll that was
            # merely answered late says nothing about the job being late.
            if job_status in ("completed", "failed") or sent >= deadline:
                return job_status, round(time.monotonic() - started, 2)
            await pause(min(self.probe.poll_interval_seconds, max(0.0, deadline - sent)))


def _contracted(req: StepRequest) -> list[str]:
    return sorted(req.contract.contract.features)
