"""A blocked step's reason names what failed: a final failure, the worker, or the platform."""

from __future__ import annotations

from temporalio.api.enums.v1 import RetryState, TimeoutType
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

from onboarding.steps import StepKey
from workflows.failures import failure_reason


def _failed(cause: Exception) -> ActivityError:
    err = ActivityError(
        "activity error",
        scheduled_event_id=5,
        started_event_id=6,
        identity="worker",
        activity_type="check_internal_readiness",
        activity_id="2",
        retry_state=RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
    )
    err.__cause__ = cause
    return err


def _reason(cause: Exception) -> str:
    return failure_reason(
        "t-1", StepKey.INTERNAL_READINESS.value, "check_internal_readiness", _failed(cause), 2
    )


def test_a_heartbeat_timeout_points_at_the_worker_not_the_platform() -> None:
    timeout = TimeoutError(
        "activity Heartbeat timeout",
        type=TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
        last_heartbeat_details=[],
    )
    reason = _reason(timeout)
    assert reason.startswith("check internal readiness timed out 2 times")
    assert "the worker running it stopped or stalled" in reason
    assert "platform" not in reason
    assert "`onboard retry t-1 internal_readiness --as EMAIL`" in reason


def test_a_platform_error_says_the_platform_could_not_be_reached() -> None:
    reason = _reason(ApplicationError("connection refused", type="PlatformUnavailable"))
    assert reason.startswith("the platform could not be reached after 2 attempts")


def test_a_final_failure_is_named() -> None:
    final = ApplicationError("result too large", type="ActivityResultTooLarge", non_retryable=True)
    reason = _reason(final)
    assert "could not report its checks: result too large [ActivityResultTooLarge]" in reason
