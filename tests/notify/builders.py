"""Notifications for the tests, each with a key of its own unless told."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from onboarding.notifications import Notification, NotificationKind

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def make_notification(tenant: str = "acme", **overrides: Any) -> Notification:
    fields: dict[str, Any] = {
        "key": f"onboarding-{tenant}:owner_assignment:reminder:{uuid4().hex[:8]}",
        "tenant_id": tenant,
        "kind": NotificationKind.REMINDER,
        "gate": "owner_assignment",
        "recipients": ["olivia@localizevideos.example", "csm@localizevideos.example"],
        "subject": f"Reminder: assign an onboarding owner for {tenant}",
        "body": "The owner-assignment gate is open.\nDue 2026-12-04T09:00:00Z.\n",
        "created_at": T0,
    }
    fields.update(overrides)
    return Notification(**fields)
