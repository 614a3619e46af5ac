"""The report's filters: period, SLA tier, region, owner and state."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from portfolio.model import Filters
from portfolio.timeline import Timeline

STATES = ("running", "waiting", "blocked", "live", "completed", "failed")
OPEN = "open"
"""A state filter meaning running, waiting or blocked: not yet live."""
UNASSIGNED = "none"
"""An owner filter meaning: no owner assigned yet."""

_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
MAX_PERIOD_TEXT = 40


class FilterError(ValueError):
    """A filter value that cannot be understood; the message says what is accepted."""


def parse_period(text: str) -> tuple[date, date]:
    """Return `[from, before)` for `2026`, `2026-Q4`, `2026-11` or `2026-10-01..2026-12-31`.

    Raises:
        FilterError: The text is none of these.
    """
    value = text.strip()
    try:
        if len(value) > MAX_PERIOD_TEXT:
            raise ValueError
        if m := _QUARTER.match(value):
            year, quarter = int(m[1]), int(m[2])
            start = date(year, 3 * quarter - 2, 1)
            return start, _add_months(start, 3)
        if m := _MONTH.match(value):
            start = date(int(m[1]), int(m[2]), 1)
            return start, _add_months(start, 1)
        if m := _YEAR.match(value):
            return date(int(m[1]), 1, 1), date(int(m[1]) + 1, 1, 1)
        first, sep, last = value.partition("..")
        if sep:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
            if end < start:
                raise FilterError(f"period {value!r} ends before it starts")
            return start, date.fromordinal(end.toordinal() + 1)
    except FilterError:
        raise
    except ValueError:
        pass
    raise FilterError(
        f"period {value[:MAX_PERIOD_TEXT]!r} is not understood; use 2026, 2026-Q4, 2026-11 "
        "or 2026-10-01..2026-12-31 (onboardings that started in it)"
    )


def make_filters(
    period: str | None,
    tiers: Iterable[str] = (),
    regions: Iterable[str] = (),
    owners: Iterable[str] = (),
    states: Iterable[str] = (),
) -> Filters:
    """Check and normalise the filters given on the command line.

    Raises:
        FilterError: A period or state that is not understood.
    """
    start, before = parse_period(period) if period else (None, None)
    wanted_states = [s.strip().lower() for s in states]
    for state in wanted_states:
        if state not in (*STATES, OPEN):
            raise FilterError(f"state {state[:40]!r} is not one of {', '.join((*STATES, OPEN))}")
    return Filters(
        period=period.strip() if period else None,
        started_from=start,
        started_before=before,
        tiers=[t.strip().lower() for t in tiers],
        regions=[r.strip().lower() for r in regions],
        owners=[o.strip().lower() for o in owners],
        states=wanted_states,
    )


def selected(timeline: Timeline, filters: Filters) -> bool:
    """Whether an onboarding passes every filter."""
    started = timeline.created_at.date()
    if filters.started_from and started < filters.started_from:
        return False
    if filters.started_before and started >= filters.started_before:
        return False
    if filters.tiers and timeline.tier.lower() not in filters.tiers:
        return False
    if filters.regions and timeline.region.lower() not in filters.regions:
        return False
    if filters.owners:
        owner = (timeline.owner or UNASSIGNED).lower()
        if owner not in filters.owners:
            return False
    if filters.states:
        state = timeline.state
        if state not in filters.states and not (OPEN in filters.states and timeline.is_open):
            return False
    return True


def _add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
