"""The sandbox's fixed world: regions, the feature catalogue, enablement items, incidents."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sandbox.models import Feature, Incident, Region

# name, capacity_seats, seats already used by customers outside the sandbox
REGIONS: tuple[tuple[str, int, int], ...] = (
    ("eu-central", 10_000, 2_400),
    ("eu-west", 8_000, 3_100),
    ("us-east", 12_000, 5_800),
    ("us-west", 6_000, 1_900),
    ("ap-southeast", 4_000, 900),
)

GA_FEATURES: tuple[tuple[str, str], ...] = (
    ("subtitles", "Automatic subtitles"),
    ("dubbing", "AI dubbing"),
    ("glossary", "Terminology glossary"),
    ("sso", "Single sign-on"),
    ("api_access", "Public API access"),
    ("voice_over", "Voice-over"),
    ("analytics", "Localisation analytics"),
    ("translation_memory", "Translation memory"),
)

EXPERIMENTAL_FEATURES: tuple[tuple[str, str], ...] = (
    ("lip_sync_beta", "Lip sync (beta)"),
    ("ai_director", "AI director"),
)

ENABLEMENT_ITEMS: tuple[str, ...] = (
    "walkthrough",
    "admin-guide",
    "security-best-practices",
    "support-overview",
)
"""The items of a tenant's enablement library (PHASE-33 Step 6), in the order listed."""

# id, severity, title, open, opened_at: one closed incident so the history is not empty
INCIDENTS: tuple[tuple[str, int, str, bool, datetime], ...] = (
    (
        "inc-0001",
        3,
        "Delayed subtitle exports in ap-southeast",
        False,
        datetime(2024, 11, 4, 9, 30, tzinfo=UTC),
    ),
)


def seed(session: Session) -> None:
    """Insert whatever part of the fixed world is missing (idempotent)."""
    for name, capacity, used in REGIONS:
        if session.get(Region, name) is None:
            session.add(Region(name=name, capacity_seats=capacity, baseline_used_seats=used))
    catalogue = [(key, "ga", title) for key, title in GA_FEATURES] + [
        (key, "experimental", title) for key, title in EXPERIMENTAL_FEATURES
    ]
    for position, (key, stage, title) in enumerate(catalogue):
        if session.get(Feature, key) is None:
            session.add(Feature(key=key, stage=stage, title=title, position=position))
    for incident_id, severity, title, is_open, opened_at in INCIDENTS:
        if session.get(Incident, incident_id) is None:
            session.add(
                Incident(
                    id=incident_id,
                    severity=severity,
                    title=title,
                    open=is_open,
                    opened_at=opened_at,
                )
            )
