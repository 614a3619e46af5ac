"""The portfolio report over a records store: load, filter, compute."""

from __future__ import annotations

from datetime import datetime

from onboarding.roster import Roster
from portfolio.build import build_report
from portfolio.filters import selected
from portfolio.load import load_timelines
from portfolio.model import Filters, Report
from records.store import RecordsStore


def portfolio_report(
    store: RecordsStore, filters: Filters, as_of: datetime, roster: Roster | None = None
) -> Report:
    """Return the report over every onboarding in the store that passes the filters.

    The forecast's step medians come from every onboarding in the store, so a narrow
    filter (one owner, open ones only) still forecasts from the whole history.
    """
    everything = load_timelines(store, as_of)
    chosen = [t for t in everything if selected(t, filters)]
    return build_report(chosen, as_of=as_of, filters=filters, reference=everything, roster=roster)
