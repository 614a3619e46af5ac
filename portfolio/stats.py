"""Distribution figures: median and p90 of durations, in days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from portfolio.model import Distribution

DAY_US = 86_400 * 1_000_000


def days(micros: int | float) -> float:
    """Return microseconds as days, rounded to a thousandth (about 1.5 minutes)."""
    return round(micros / DAY_US, 3)


def delta_days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86_400, 3)


def quantile(values: Sequence[float], q: float) -> float | None:
    """Return the q-quantile with linear interpolation between the closest ranks.

    The same as NumPy's default ("linear") and `statistics.quantiles(method="inclusive")`.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def distribution(values_days: Sequence[float]) -> Distribution:
    """Return count, median, p90, mean, min and max of durations given in days."""
    if not values_days:
        return Distribution(count=0)
    median, p90 = quantile(values_days, 0.5), quantile(values_days, 0.9)
    return Distribution(
        count=len(values_days),
        median_days=None if median is None else round(median, 2),
        p90_days=None if p90 is None else round(p90, 2),
        mean_days=round(sum(values_days) / len(values_days), 2),
        min_days=round(min(values_days), 2),
        max_days=round(max(values_days), 2),
    )
