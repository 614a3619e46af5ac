"""The Notification model: what the workflow may build, normalised for every sender."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from onboarding.notifications import SUBJECT_MAX_LENGTH, Notification, NotificationKind
from tests.notify.builders import T0, make_notification


def test_values_are_normalised() -> None:
    n = make_notification(
        recipients=["Olivia@LocalizeVideos.example", "olivia@localizevideos.example", "b@x.io"],
        subject="  Reminder:\r\n  sign off\tnow ",
        created_at=datetime(2026, 11, 27, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        kind="escalation",
    )
    assert n.recipients == ["olivia@localizevideos.example", "b@x.io"]
    assert n.subject == "Reminder: sign off now"
    assert n.created_at == T0 and n.created_at.utcoffset() == timedelta(0)
    assert n.kind is NotificationKind.ESCALATION


def test_a_long_subject_is_cut_not_refused() -> None:
    n = make_notification(subject="x" * 1000)
    assert len(n.subject) == SUBJECT_MAX_LENGTH and n.subject.endswith("\u2026")


@pytest.mark.parametrize(
    "overrides",
    [
        {"recipients": []},
        {"recipients": ["not-an-address"]},
        {"kind": "nagging"},
        {"created_at": datetime(2026, 11, 27, 9, 0)},  # naive
        {"key": ""},
        {"key": "has space"},
        {"key": "k" * 256},
        {"tenant_id": "acme\nBcc: x@y.io"},
        {"gate": "owner\rassignment"},
        {"subject": " \n "},
    ],
)
def test_malformed_notifications_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make_notification(**overrides)


def test_round_trips_through_json_and_has_no_gate_for_info() -> None:
    n = make_notification(kind=NotificationKind.INFO, gate=None)
    assert Notification.model_validate_json(n.model_dump_json()) == n
    assert n.model_dump(mode="json")["created_at"] == "2026-11-27T09:00:00Z"
