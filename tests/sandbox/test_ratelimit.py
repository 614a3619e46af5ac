"""The rate limiter's windows and the reset it reports, on a clock the test controls."""

from __future__ import annotations

import math

import pytest

from sandbox.ratelimit import RateLimiter, seconds_left


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# A start time where ``started + 60 - now`` rounds to 60.00000000000001 when now == started,
# which once made the limiter report a 61 s reset (and flaked a header test).
ROUNDING_TRAP = 107.07835250545195


def test_a_fresh_window_reports_a_reset_of_the_window_never_more() -> None:
    clock = Clock(ROUNDING_TRAP)
    limiter = RateLimiter(clock)

    decision = limiter.hit(("t", "customer"), 5)

    assert decision.reset_seconds == 60
    assert decision.headers()["X-RateLimit-Reset"] == "60"


@pytest.mark.parametrize("start", [0.0, 0.1, ROUNDING_TRAP, 98765.4321, 1e6 + 0.3])
@pytest.mark.parametrize("spent", [0.0, 1e-9, 0.5, 59.0, 59.999999])
def test_seconds_left_stays_within_one_and_the_window(start: float, spent: float) -> None:
    left = seconds_left(start, 60.0, start + spent)

    assert 1 <= left <= 60
    assert left == max(1, math.ceil(60.0 - spent))  # the time left, rounded up


def test_a_window_of_its_own_length_refuses_past_the_limit_and_then_resets() -> None:
    clock = Clock(1000.0)
    limiter = RateLimiter(clock)
    bucket = ("t", "probe-small", "k")

    passed = [limiter.hit(bucket, 3, 2).allowed for _ in range(3)]
    refused = limiter.hit(bucket, 3, 2)
    clock.now += 2.0
    again = limiter.hit(bucket, 3, 2)

    assert passed == [True, True, True]
    assert not refused.allowed and refused.headers()["Retry-After"] == "2"
    assert again.allowed and again.remaining == 2


def test_buckets_are_counted_apart() -> None:
    limiter = RateLimiter(Clock(5.0))

    for _ in range(2):
        limiter.hit(("t", "a"), 2)

    assert not limiter.hit(("t", "a"), 2).allowed
    assert limiter.hit(("t", "b"), 2).allowed
