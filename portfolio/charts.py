"""The report's pictures, drawn with matplotlib: SVG for the HTML, PNG for files.

No pyplot and no global backend: each chart is its own `Figure`, rendered by the Agg
(PNG) or SVG canvas, so nothing here depends on a display or on other charts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from portfolio.model import Report
from portfolio.parties import PARTY_ORDER

COLOURS: dict[str, str] = {
    "machine": "#59a14f",
    "customer": "#f28e2b",
    "staff": "#4e79a7",
    "platform": "#e15759",
    "approvals": "#b07aa1",
    "schedule": "#bab0ac",
}
STATE_COLOURS = {"running": "#59a14f", "waiting": "#4e79a7", "blocked": "#e15759"}
TIER_COLOURS = {"standard": "#4e79a7", "premium": "#f28e2b", "enterprise": "#59a14f"}
GANTT_ROWS = 40
"""The Gantt shows at most this many open onboardings (the oldest first)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Matplotlib's date epoch: a date axis counts days from it."""
_SVG_HEAD = re.compile(r"^.*?(?=<svg)", re.DOTALL)


@dataclass(frozen=True)
class Chart:
    """One picture of the report."""

    name: str
    """File stem, e.g. `time-to-value`."""
    title: str
    figure: Figure

    def svg(self) -> str:
        """Return the chart as an inline `<svg>` element (no XML prolog, no network)."""
        buffer = io.StringIO()
        with mpl.rc_context({"svg.hashsalt": self.name, "svg.fonttype": "path"}):
            self.figure.savefig(buffer, format="svg", metadata={"Date": None})
        return _SVG_HEAD.sub("", buffer.getvalue(), count=1)

    def png(self, dpi: int = 110) -> bytes:
        """Return the chart as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        return buffer.getvalue()


def charts(report: Report) -> list[Chart]:
    """Return the report's three charts, in the order the report shows them."""
    drawers: list[tuple[str, str, Callable[[Report, Figure], None]]] = [
        ("time-to-value", "Time to value: start to go-live", _time_to_value),
        ("waits-by-party", "Where the time goes: days per onboarding, by step", _waits),
        ("open-onboardings", "Open onboardings: elapsed and forecast", _gantt),
    ]
    made: list[Chart] = []
    for name, title, draw in drawers:
        figure = Figure(figsize=(9, 4.6), layout="constrained")
        draw(report, figure)
        made.append(Chart(name, title, figure))
    return made


def _time_to_value(report: Report, figure: Figure) -> None:
    axes = figure.add_subplot()
    tiers = sorted({r.tier for r in report.rows if r.start_to_live_days is not None})
    values = [
        [r.start_to_live_days for r in report.rows if r.tier == t and r.start_to_live_days]
        for t in tiers
    ]
    if not any(values):
        _empty(axes, "no onboarding has gone live yet")
        return
    axes.hist(
        values,
        bins=15,
        stacked=True,
        label=tiers,
        color=[TIER_COLOURS.get(t, "#888888") for t in tiers],
        edgecolor="white",
    )
    median = report.time_to_value.start_to_live.median_days
    p90 = report.time_to_value.start_to_live.p90_days
    for value, label, style in ((median, "median", "-"), (p90, "p90", "--")):
        if value is not None:
            axes.axvline(value, color="#333333", linestyle=style, linewidth=1)
            axes.annotate(
                f"{label} {value:.1f} d",
                (value, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -12),
                textcoords="offset points",
                fontsize=8,
            )
    axes.set_xlabel("days from start to go-live")
    axes.set_ylabel("onboardings")
    axes.set_title("Time to value: start to go-live, by SLA tier")
    axes.legend(title="tier", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)


def _waits(report: Report, figure: Figure) -> None:
    axes = figure.add_subplot()
    steps = list(report.where_time_goes)
    if not steps:
        _empty(axes, "no step has started")
        return
    labels = [s.step.replace("_", " ") for s in steps]
    left = [0.0] * len(steps)
    series = [("machine", [s.mean_machine_days for s in steps])]
    series += [(p.value, [s.mean_wait_days[p.value] for s in steps]) for p in PARTY_ORDER]
    for name, widths in series:
        if not any(widths):
            continue
        axes.barh(labels, widths, left=left, color=COLOURS[name], label=name)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("mean days per onboarding that started the step")
    axes.set_title("Where the time goes: machine work and waits, by who was waited on")
    axes.legend(fontsize=8, loc="upper right")
    axes.spines[["top", "right"]].set_visible(False)


def _gantt(report: Report, figure: Figure) -> None:
    axes = figure.add_subplot()
    rows = sorted(report.load.forecasts, key=lambda f: (f.started_at, f.tenant_id))
    rows = rows[:GANTT_ROWS]
    if not rows:
        _empty(axes, "no open onboarding")
        return
    as_of = report.as_of
    labels: list[str] = []
    for y, row in enumerate(rows):
        labels.append(_short(row.tenant_id))
        start, now = _num(row.started_at), _num(as_of)
        axes.broken_barh(
            [(start, max(now - start, 0.01))],
            (y - 0.35, 0.7),
            facecolors=STATE_COLOURS.get(row.state, "#888888"),
        )
        if row.forecast_go_live is not None and row.forecast_go_live > as_of:
            end = _num(row.forecast_go_live)
            axes.broken_barh(
                [(now, end - now)],
                (y - 0.35, 0.7),
                facecolors="none",
                edgecolors="#555555",
                hatch="///",
                linewidth=0.6,
            )
    axes.axvline(_num(as_of), color="#333333", linewidth=1)
    axes.set_yticks(range(len(rows)), labels, fontsize=7 if len(rows) > 20 else 8)
    axes.invert_yaxis()
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
    axes.set_title(f"Open onboardings as of {as_of:%Y-%m-%d %H:%M} UTC (hatched: forecast)")
    handles = [Patch(color=c, label=s) for s, c in STATE_COLOURS.items()]
    handles.append(Patch(facecolor="none", edgecolor="#555555", hatch="///", label="forecast"))
    axes.legend(handles=handles, fontsize=8, loc="lower left")
    axes.spines[["top", "right"]].set_visible(False)
    if len(report.load.forecasts) > len(rows):
        axes.set_xlabel(f"the {len(rows)} oldest of {len(report.load.forecasts)} shown")


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(moment: datetime) -> float:
    """Return a time as matplotlib's date number (days since its epoch)."""
    return (moment - _EPOCH) / timedelta(days=1)
