"""Building blocks shared by every step activity: checks, concurrency, logging context."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from temporalio import activity

from activities.platform import PlatformRefused
from onboarding.checks import CheckResult, StepRequest

T = TypeVar("T")
U = TypeVar("U")


def utc_now() -> datetime:
    """Return the current time in UTC (activities may read the clock)."""
    return datetime.now(UTC)


def check(
    name: str,
    passed: bool,
    detail: str,
    *,
    expected: Any = None,
    observed: Any = None,
) -> CheckResult:
    """Return one check result stamped with the current UTC time."""
    return CheckResult(
        name=name,
        passed=passed,
        detail=detail,
        expected=expected,
        observed=observed,
        checked_at=utc_now(),
    )


def retry_hint(req: StepRequest) -> str:
    """Return the command that re-runs this step once its cause is fixed."""
    return f"`onboard retry {req.tenant_id} {req.step.value} --as <your e-mail>`"


def refused(name: str, req: StepRequest, error: PlatformRefused, expected: Any) -> CheckResult:
    """Turn a platform refusal into a failed check that says what to do."""
    if error.status == 404:
        todo = "check the tenant id and that Step 2 (account provisioning) has run"
    elif error.status in (401, 403):
        todo = "check the platform API key the worker uses (ONBOARDING_PLATFORM_API_KEY)"
    else:
        todo = "fix the request or the platform"
    return check(
        name,
        False,
        f"The platform refused {error.call} with {error.status} ({error.detail}); "
        f"{todo}, then run {retry_hint(req)}.",
        expected=expected,
        observed={"call": error.call, "status": error.status, "detail": error.detail},
    )


LOG_DETAIL_MAX = 400
"""Longest check detail written to the worker log (the status keeps the whole sentence)."""

NOT_RUN = "not_run"
"""Key of `StepResult.facts` listing checks left out because an earlier check of the same
step failed (that failure blocks the step; the dependent checks run on the retry)."""


def not_run(name: str, reason: str, expected: Any = None) -> CheckResult:
    """Return a failed check that could not run, saying why (never a silent pass)."""
    return check(name, False, f"Not run: {reason}", expected=expected, observed=None)


async def guarded(
    name: str,
    req: StepRequest,
    expected: Any,
    run: Callable[[], Awaitable[CheckResult]],
) -> CheckResult:
    """Run one check; a platform refusal becomes a failed check instead of an error.

    `PlatformUnavailable` still propagates, so Temporal retries the activity.
    """
    try:
        return await run()
    except PlatformRefused as error:
        return refused(name, req, error, expected)


async def concurrently(*awaitables: Awaitable[T]) -> list[T]:
    """Await independent work at once; on the first error cancel the rest and re-raise."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def both(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """Await two independent results of different types at once (see `concurrently`)."""
    one, two = asyncio.ensure_future(first), asyncio.ensure_future(second)
    tasks = (one, two)
    try:
        return await asyncio.gather(one, two)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def activity_logger(**fields: Any) -> Any:
    """Return a structlog logger bound to ``fields`` and, inside an activity, to its
    workflow id, run id, activity type and attempt."""
    log = structlog.get_logger("activities").bind(**fields)
    if activity.in_activity():
        info = activity.info()
        log = log.bind(
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            activity=info.activity_type,
            attempt=info.attempt,
        )
    return log


def step_logger(req: StepRequest) -> Any:
    """Return a structlog logger bound to this activity's workflow, step and attempt."""
    return activity_logger(
        workflow_id=req.workflow_id,
        step=req.step.value,
        tenant_id=req.tenant_id,
        step_attempt=req.attempt,
    )


def log_checks(log: Any, checks: list[CheckResult]) -> None:
    """Log the outcome of every check (names and verdicts only, never evidence)."""
    failed = [c.name for c in checks if not c.passed]
    log.info(
        "step checked",
        passed=not failed,
        checks=[c.name for c in checks],
        failed=failed,
    )
    for c in checks:
        if not c.passed:
            detail = (
                c.detail if len(c.detail) <= LOG_DETAIL_MAX else c.detail[:LOG_DETAIL_MAX] + "…"
            )
            log.warning("check failed", check=c.name, detail=detail)


async def pause(seconds: float) -> None:
    """Sleep while telling Temporal the activity is alive."""
    if activity.in_activity():
        activity.heartbeat()
    await asyncio.sleep(seconds)
