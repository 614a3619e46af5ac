"""Helpers for the review tests: a contract, healthy usage figures and times."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from onboarding.contract import Contract
from onboarding.review import ReviewReportRequest
from onboarding.steps import EnablementItem
from tests.activities.support import northwind

ADMIN = "ada.park@northwind.example"
GO_LIVE = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
REVIEWED = GO_LIVE + timedelta(days=28)
ALL_ITEMS = [item.value for item in EnablementItem]


def contract(tier: str = "enterprise", **terms: Any) -> Contract:
    """Return the example contract (120 seats, five features, one admin) at a tier."""
    return northwind(contract={"sla_tier": tier, **terms})


def healthy_usage(**changes: Any) -> dict[str, Any]:
    """Return usage figures, as `gather_usage` reports them, of a tenant doing well."""
    usage: dict[str, Any] = {
        "active_users": 60,
        "minutes_localised": 240.0,
        "features_used": ["subtitles", "dubbing", "glossary", "sso", "api_access"],
        "admins_logged_in": [ADMIN],
        "api_latency_ms_p95": 420.0,
        "error_rate": 0.002,
        "enablement_opened": ALL_ITEMS,
    }
    usage.update(changes)
    return usage


def report_request(**changes: Any) -> ReviewReportRequest:
    """Return a `write_review_report` request for the example tenant."""
    fields: dict[str, Any] = {
        "contract": contract(),
        "usage": healthy_usage(),
        "feedback_text": "Subtitles flow works; dubbing next.",
        "feedback_by": ADMIN,
        "feedback_at": REVIEWED - timedelta(hours=2),
        "go_live_at": GO_LIVE,
        "reviewed_at": REVIEWED,
    }
    fields.update(changes)
    return ReviewReportRequest(**fields)


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a stored file, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_text(path: Path) -> str:
    """Return a stored report's text."""
    return path.read_text(encoding="utf-8")


def modified_ns(path: Path) -> int:
    """Return when a file was last written, in nanoseconds."""
    return path.stat().st_mtime_ns


def names_in(folder: Path) -> list[str]:
    """Return the names of a folder's entries, sorted."""
    return sorted(p.name for p in folder.iterdir())
