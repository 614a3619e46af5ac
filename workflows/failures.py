"""Why a step's activity gave no checks, in words that send the operator the right way.

Imported by the workflow: it imports nothing of the project's own, so the sandbox never
makes a second copy of a domain module (a fresh `StepKey` class inside the sandbox would
not equal the passed-through one, and the workflow's commands would change).
"""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout


def failure_reason(
    tenant_id: str, step: str, activity_name: str, err: ActivityError, attempts: int
) -> str:
    """The blocked reason for a step whose activity failed every attempt.

    A named, final failure says what it was; a timeout says the worker stopped or stalled
    (a heartbeat or start-to-close timeout is the worker's, not the platform's); anything
    else is the platform not answering.
    """
    retry = f"`onboard retry {tenant_id} {step} --as EMAIL`"
    what = activity_name.replace("_", " ")
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return (
            f"{what} could not report its checks: {cause.message} [{cause.type}]; "
            f"fix the cause, then run {retry}"
        )
    text = str(cause) if cause is not None else str(err)
    if isinstance(cause, ActivityTimeout):
        return (
            f"{what} timed out {attempts} times ({text}): the worker running it stopped or "
            f"stalled; check the workers (`onboard worker` logs, /readyz), then run {retry}"
        )
    return (
        f"the platform could not be reached after {attempts} attempts ({text}); "
        f"once it is back, run {retry}"
    )
