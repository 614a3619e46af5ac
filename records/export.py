"""The evidence export of one onboarding, as JSON or Markdown, from the records alone."""

from __future__ import annotations

from typing import Any

from records.evidence import build_evidence
from records.markdown import render_markdown
from records.store import RecordsStore


def export_json(store: RecordsStore, tenant_id: str) -> dict[str, Any]:
    """Return the tenant's evidence pack as JSON-ready data.

    The result depends only on the records: the same on SQLite and PostgreSQL, and
    the same whenever it is exported (it carries no export time).

    Raises:
        records.errors.UnknownTenant: No onboarding is recorded for the tenant.
    """
    return build_evidence(store.snapshot(tenant_id))


def export_markdown(store: RecordsStore, tenant_id: str) -> str:
    """Return the tenant's evidence pack as Markdown, opening with a Mermaid Gantt chart.

    Raises:
        records.errors.UnknownTenant: No onboarding is recorded for the tenant.
    """
    return render_markdown(export_json(store, tenant_id))
