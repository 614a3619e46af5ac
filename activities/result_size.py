"""Keep activity results far below Temporal's 2 MB payload limit.

A result over the limit would fail the activity task with an error that reads like an
outage ("the platform could not be reached"). `size_bounded` measures the result first and
turns one that is too large into a named, non-retryable failure that says which check
holds the bulk, since running the same step again would only produce the same result.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from pydantic import BaseModel
from temporalio.exceptions import ApplicationError

from onboarding.checks import StepResult

P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)

MAX_RESULT_BYTES = 256 * 1024
"""Largest activity result we return: an eighth of Temporal's 2 MB payload limit, so a
step's result, its audit entries and the status that carries its checks all stay small."""

RESULT_TOO_LARGE = "ActivityResultTooLarge"
"""`ApplicationError.type` of a result refused for its size."""


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB"


def bounded(result: M, limit: int = MAX_RESULT_BYTES) -> M:
    """Return the result if its JSON fits in ``limit`` bytes.

    Raises:
        ApplicationError: Non-retryable, type `RESULT_TOO_LARGE`, naming the largest check
            (or facts) and the sizes; the details carry ``{"bytes", "limit", "largest"}``.
    """
    size = len(result.model_dump_json().encode())
    if size <= limit:
        return result
    largest, largest_size = "the result", size
    if isinstance(result, StepResult):
        parts = {c.name: len(c.model_dump_json().encode()) for c in result.checks}
        parts["facts"] = len(StepResult(facts=result.facts).model_dump_json().encode())
        largest, largest_size = max(parts.items(), key=lambda item: item[1])
        largest = "the step's facts" if largest == "facts" else f"check {largest}"
    raise ApplicationError(
        f"The result would be {_kb(size)}, above the {_kb(limit)} an activity result may "
        f"carry: {largest} alone holds {_kb(largest_size)} of evidence. This is the size of "
        "what the contract asks to check (such as thousands of features or admins), not an "
        "outage; shorten those lists in the contract rather than retrying.",
        {"bytes": size, "limit": limit, "largest": largest},
        type=RESULT_TOO_LARGE,
        non_retryable=True,
    )


def size_bounded(fn: Callable[P, Awaitable[M]]) -> Callable[P, Awaitable[M]]:
    """Refuse an activity's oversized result with `bounded` (put it under ``@activity.defn``)."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> M:
        return bounded(await fn(*args, **kwargs))

    return run
