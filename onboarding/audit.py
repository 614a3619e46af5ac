"""Entries for the records store, as the workflow produces them (sandbox-safe)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
    """One fact for the audit trail; `key` makes writing it idempotent."""

    kind: str
    step: str | None
    actor: str
    occurred_at: datetime
    payload: dict[str, Any] = Field(default_factory=dict)
    key: str
    """`<workflow id>:<n>`: the same entry written twice (an activity retry) is kept once."""


class AuditBatch(BaseModel):
    """What one `record_entries` activity writes. The first batch opens the record."""

    tenant_id: str
    workflow_id: str
    opened_at: datetime
    opened_by: str
    contract: dict[str, Any] | None = None
    """The contract summary, sent until the record is opened (then left out)."""
    entries: list[AuditEntry]


class RecordedBatch(BaseModel):
    """What `record_entries` answers: the record's newest entry after the write."""

    written: int
    head_seq: int
    head_hash: str | None = None
    rejected: list[str] = Field(default_factory=list)
    """Entries the store refused, each `<key> (<kind>): <why>`; the rest were written."""


RECORD_REJECTED = "RecordRejected"
"""ApplicationError type: the records store refused an entry (not retried)."""
