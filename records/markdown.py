"""Render an evidence pack as Markdown, with Jinja2 templates shipped in the package."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment

from documents.markdown import Markdown, markdown_environment
from onboarding.text import escape_markdown
from records.gantt import gantt

TEMPLATE = "evidence.md.j2"
NONE = "—"


def render_markdown(evidence: dict[str, Any]) -> str:
    """Return the Markdown evidence pack: a Mermaid Gantt chart, then every section.

    Args:
        evidence: The evidence pack (`records.evidence.build_evidence`, or its JSON).
    """
    template = _environment().get_template(TEMPLATE)
    return template.render(
        e=evidence,
        gantt=Markdown(gantt(evidence)),
        contract_rows=contract_rows(evidence.get("contract") or {}),
    )


def contract_rows(contract: dict[str, Any]) -> list[tuple[str, Any]]:
    """Return the contract summary as (label, value) rows; missing parts show as absent."""

    def dig(*path: str) -> Any:
        value: Any = contract
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        return value

    admins = [f"{a.get('name')} <{a.get('email')}>" for a in dig("contacts", "admins") or []]
    escalation = [
        " ".join(str(x) for x in (c.get("name"), f"<{c.get('email')}>", c.get("phone")) if x)
        for c in dig("contacts", "escalation") or []
    ]
    return [
        ("Customer", dig("tenant", "name")),
        ("Contract / SLA reference", dig("contract", "reference")),
        ("Signed on", dig("contract", "signed_on")),
        ("SLA tier", dig("contract", "sla_tier")),
        ("Seats", dig("contract", "seats")),
        ("Contracted features", dig("contract", "features")),
        ("API rate limit per minute", dig("contract", "api_rate_limit_per_minute")),
        ("Data residency region", dig("data_residency", "region")),
        (
            "Residency approved",
            _joined(dig("data_residency", "approved_by"), dig("data_residency", "approved_on")),
        ),
        ("Customer admin contacts", admins),
        ("Support escalation contacts", escalation),
        ("Security questionnaire required", dig("security_questionnaire", "required")),
        (
            "Security questionnaire reviewed",
            _joined(
                dig("security_questionnaire", "reviewed_by"),
                dig("security_questionnaire", "completed_on"),
            ),
        ),
    ]


def cell(value: Any) -> Markdown:
    """Return a value as the text of one Markdown table cell: escaped, lines as ``<br>``."""
    if value is None or value == "" or value == []:
        return Markdown(NONE)
    if isinstance(value, bool):
        return Markdown("yes" if value else "no")
    if isinstance(value, list):
        return Markdown(", ".join(cell(v) for v in value))
    if isinstance(value, dict):
        value = json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return Markdown(escape_markdown(value, multiline=True))


def contact(value: Any) -> Markdown:
    """Return a contact (`name`, `email`, `phone`) as one line, or any other value as a cell."""
    if not isinstance(value, dict):
        return cell(value)
    email = value.get("email")
    parts = [value.get("name"), f"<{email}>" if email else None, value.get("phone")]
    return cell(" ".join(str(p) for p in parts if p))


def as_json(value: Any) -> Markdown:
    """Return a value as compact JSON for a table cell (None shows as absent)."""
    if value is None:
        return Markdown(NONE)
    return cell(json.dumps(value, sort_keys=True, separators=(", ", ": ")))


def _joined(*parts: Any) -> str | None:
    present = [str(p) for p in parts if p not in (None, "")]
    return ", ".join(present) or None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return markdown_environment("records", cell=cell, as_json=as_json, contact=contact)
