"""A Mermaid Gantt of the open onboardings: elapsed so far, then the forecast to go-live."""

from __future__ import annotations

import re

from portfolio.charts import GANTT_ROWS
from portfolio.model import Report

_UNSAFE = re.compile(r"[^A-Za-z0-9 ._@()/-]+")
_FORMAT = "%Y-%m-%d %H:%M"
_SECTIONS = (("blocked", "Blocked"), ("waiting", "Waiting for people"), ("running", "Running"))


def open_gantt(report: Report) -> str:
    """Return the Mermaid source (times in UTC); at most `GANTT_ROWS` onboardings."""
    rows = sorted(report.load.forecasts, key=lambda f: (f.started_at, f.tenant_id))[:GANTT_ROWS]
    as_of = report.as_of.strftime(_FORMAT)
    lines = [
        "gantt",
        f"    title Open onboardings as of {as_of} UTC",
        "    dateFormat YYYY-MM-DD HH:mm",
        "    axisFormat %m-%d",
    ]
    for state, title in _SECTIONS:
        mine = [r for r in rows if r.state == state]
        if not mine:
            continue
        lines.append(f"    section {title}")
        tag = {"blocked": "crit, ", "waiting": "active, "}.get(state, "")
        for number, row in enumerate(mine, start=1):
            ident = f"{state}{number}"
            label = _label(f"{row.tenant_id} ({row.current_step or '-'})")
            lines.append(f"    {label} :{tag}{ident}, {row.started_at.strftime(_FORMAT)}, {as_of}")
            if row.forecast_go_live is not None and row.forecast_go_live > report.as_of:
                end = row.forecast_go_live.strftime(_FORMAT)
                lines.append(f"    {_label(row.tenant_id)} forecast :{ident}f, {as_of}, {end}")
    if len(lines) == 4:
        lines.append("    section None open")
    return "\n".join(lines) + "\n"


def _label(text: str) -> str:
    """Mermaid ends a task name at ':' and starts comments at '#' or ';': keep it plain."""
    return _UNSAFE.sub(" ", text).strip()[:60] or "-"
