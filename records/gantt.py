"""A Mermaid Gantt chart of an onboarding: each step's runs and waits, to scale."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from onboarding.text import BIDI_CONTROLS, REPLACEMENT, is_control

DATE_FORMAT = "YYYY-MM-DD HH:mm:ss"
"""Mermaid's `dateFormat` (dayjs tokens), to the second."""

_PY_FORMAT = "%Y-%m-%d %H:%M:%S"
_UNSAFE = re.compile(r"[:;#%`<>{}\\\s]+")
"""Mermaid ends a task name at ':' and starts comments at '#', ';' or '%%'; a backtick
could close the Markdown fence the chart sits in; any whitespace run is one space."""


def gantt(evidence: dict[str, Any]) -> str:
    """Return the Mermaid source of the onboarding's Gantt chart (times in UTC).

    Open bars (a step still running, a wait not yet over) end at the newest record.

    Args:
        evidence: The evidence pack (`records.evidence.build_evidence`).
    """
    as_of = evidence.get("as_of")
    lines = [
        "gantt",
        f"    title {_label(str(evidence.get('tenant_id')))} onboarding (UTC)",
        f"    dateFormat {DATE_FORMAT}",
        "    axisFormat %m-%d %H:%M",
    ]
    opened = evidence.get("created_at")
    if opened:
        lines.append("    section Onboarding")
        lines.append(f"    Opened :milestone, milestone_opened, {_when(opened)}, 0d")
    for step in evidence.get("checklist", []):
        bars = _bars(step, as_of)
        if bars:
            lines.append(f"    section {_label(step['title'])}")
            lines.extend(f"    {bar}" for bar in bars)
    go_live = evidence.get("go_live_at")
    if go_live:
        lines.append("    section Go-live")
        lines.append(f"    Go-live :milestone, milestone_go_live, {_when(go_live)}, 0d")
    return "\n".join(lines) + "\n"


def _bars(step: dict[str, Any], as_of: str | None) -> list[str]:
    key = re.sub(r"\W", "_", str(step["step"]))
    bars: list[str] = []
    for number, run in enumerate(step["runs"], start=1):
        start, end = run["started_at"] or run["finished_at"], run["finished_at"] or as_of
        if start is None or end is None:
            continue
        if run["finished_at"] is None:
            tags = "active"
        elif run["status"] in ("done", "waived"):
            tags = "done"
        else:
            tags = "crit"
        label = f"Run {run['run']} ({run['status']})"
        bars.append(f"{_label(label)} :{tags}, {key}_run{number}, {_when(start)}, {_when(end)}")
    for number, wait in enumerate(step["waits"], start=1):
        start, end = wait["started_at"] or wait["finished_at"], wait["finished_at"] or as_of
        if start is None or end is None:
            continue
        tags = "active, " if wait["finished_at"] is None else ""
        label = f"Waiting for {wait['waiting_for']}"
        bars.append(f"{_label(label)} :{tags}{key}_wait{number}, {_when(start)}, {_when(end)}")
    return bars


def _when(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return moment.strftime(_PY_FORMAT)


def _label(text: str) -> str:
    """Return text safe as a Mermaid title, section or task name: one line, no syntax."""
    visible = "".join(REPLACEMENT if is_control(c) or c in BIDI_CONTROLS else c for c in text)
    return _UNSAFE.sub(" ", visible).strip() or "-"
