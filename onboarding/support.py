"""The support and escalation model a contract buys (PHASE-33 "Support & Escalation Model").

Pure and deterministic (no I/O, no clock), so the workflow sandbox may import it. From the
contract's SLA tier it derives the one primary support channel, the escalation contacts,
the Sev1-Sev4 definitions and the response expectation of each severity. Only formal,
tracked channels appear here: PHASE-33 permits no informal or ad-hoc support channels.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from onboarding.contract import Contract, EscalationContact, SlaTier

SeverityLevel = Literal["Sev1", "Sev2", "Sev3", "Sev4"]
Coverage = Literal["24x7", "business hours"]

SEVERITY_LEVELS: tuple[SeverityLevel, ...] = ("Sev1", "Sev2", "Sev3", "Sev4")
"""Every severity, most urgent first."""

SUPPORT_PORTAL = "https://support.localizevideos.example"
STATUS_PAGE = "https://status.localizevideos.example"
ESCALATION_EMAIL = "support-escalations@localizevideos.example"

SUPPORT_EMAIL: dict[SlaTier, str] = {
    SlaTier.STANDARD: "support@localizevideos.example",
    SlaTier.PREMIUM: "premium-support@localizevideos.example",
    SlaTier.ENTERPRISE: "enterprise-support@localizevideos.example",
}
"""Tier mailbox; a mail to it opens a ticket in the tenant's portal queue."""

BUSINESS_HOURS: dict[SlaTier, str] = {
    SlaTier.STANDARD: "Monday to Friday, 09:00-17:00",
    SlaTier.PREMIUM: "Monday to Friday, 08:00-18:00",
    SlaTier.ENTERPRISE: "Monday to Friday, 07:00-20:00",
}

REGION_TIME_ZONES: dict[str, str] = {
    "eu-central": "Europe/Berlin",
    "eu-west": "Europe/Dublin",
    "us-east": "America/New_York",
    "us-west": "America/Los_Angeles",
    "ap-southeast": "Asia/Singapore",
}
"""Time zone whose business hours apply, by data residency region (UTC otherwise)."""

INCIDENT_REPORT_BUSINESS_DAYS: dict[SlaTier, int] = {
    SlaTier.STANDARD: 10,
    SlaTier.PREMIUM: 5,
    SlaTier.ENTERPRISE: 3,
}
"""Business days within which a written post-incident report follows a Sev1 or Sev2."""

DEFINITIONS: dict[SeverityLevel, str] = {
    "Sev1": (
        "Critical: LocalizeVideos is unavailable for the tenant, uploading, localising or "
        "publishing videos fails for all users, or data is at risk; no workaround exists."
    ),
    "Sev2": (
        "Major: a core feature or the API is seriously degraded or failing for many users; "
        "a workaround exists but cannot be sustained."
    ),
    "Sev3": (
        "Minor: a feature misbehaves for some users or some videos; production work "
        "continues with a reasonable workaround."
    ),
    "Sev4": (
        "Low: a question, a documentation request, a cosmetic defect or a feature request; "
        "no impact on production work."
    ),
}

# (first response, update interval, coverage) per severity, in minutes.
_TARGETS: dict[SlaTier, tuple[tuple[int, int, Coverage], ...]] = {
    SlaTier.ENTERPRISE: (
        (15, 30, "24x7"),
        (60, 120, "24x7"),
        (240, 480, "business hours"),
        (480, 2400, "business hours"),
    ),
    SlaTier.PREMIUM: (
        (30, 60, "24x7"),
        (120, 240, "24x7"),
        (480, 960, "business hours"),
        (960, 2400, "business hours"),
    ),
    SlaTier.STANDARD: (
        (60, 120, "24x7"),
        (240, 480, "business hours"),
        (960, 1920, "business hours"),
        (2400, 4800, "business hours"),
    ),
}


def duration(minutes: int, coverage: Coverage = "24x7") -> str:
    """Return a response target as words, such as "15 minutes" or "8 business hours".

    Args:
        minutes: The target in minutes (counted within business hours for that coverage).
        coverage: ``24x7`` (wall-clock time) or ``business hours``.
    """
    business = "business " if coverage == "business hours" else ""
    if minutes % 60:
        unit = "minute" if minutes == 1 else "minutes"
        return f"{minutes} {business}{unit}"
    hours = minutes // 60
    unit = "hour" if hours == 1 else "hours"
    return f"{hours} {business}{unit}"


class Severity(BaseModel):
    """One severity level and what the customer may expect when raising it."""

    model_config = ConfigDict(frozen=True)

    level: SeverityLevel
    definition: str = Field(min_length=1)
    first_response_minutes: int = Field(gt=0)
    """Time to the first response of an engineer, counted within ``coverage``."""
    update_interval_minutes: int = Field(gt=0)
    """Longest time between two updates until the ticket is resolved."""
    coverage: Coverage
    """When the clock runs: around the clock, or within the support hours only."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def response(self) -> str:
        """The response expectation in one line, such as "15 minutes, 24x7; ..."."""
        first = duration(self.first_response_minutes, self.coverage)
        every = duration(self.update_interval_minutes, self.coverage)
        when = ", 24x7" if self.coverage == "24x7" else ""
        return f"First response within {first}{when}; updates at least every {every}"


class SupportModel(BaseModel):
    """The support and escalation model of one tenant."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    tier: SlaTier
    primary_channel: str = Field(min_length=1, max_length=200)
    """The one formal support channel: the tenant's queue in the support portal."""
    queue: str = Field(min_length=1)
    """The tenant's queue in the support portal, ``<tier>/<tenant id>``."""
    portal_url: str
    """Where the customer opens and follows tickets in that queue."""
    support_email: str
    """Tier mailbox; mail to it opens a ticket in the same queue (never a person's inbox)."""
    escalation_email: str
    """Where a ticket is escalated to the support duty manager, quoting its number."""
    status_page: str
    support_hours: str
    """Business hours, with their time zone; 24x7 severities are answered at any time."""
    escalation_contacts: list[EscalationContact] = Field(min_length=1)
    """The customer's escalation contacts, from the contract."""
    severities: list[Severity]
    incident_report_business_days: int = Field(gt=0)
    """A Sev1 or Sev2 is followed by a written post-incident report within this time."""

    @model_validator(mode="after")
    def _four_ordered_severities(self) -> SupportModel:
        levels = tuple(s.level for s in self.severities)
        if levels != SEVERITY_LEVELS:
            raise ValueError(f"severities must be {', '.join(SEVERITY_LEVELS)} in that order")
        firsts = [s.first_response_minutes for s in self.severities]
        if firsts != sorted(firsts):
            raise ValueError("a more urgent severity may not have a slower first response")
        return self

    def severity(self, level: SeverityLevel) -> Severity:
        """Return one severity by its level."""
        return next(s for s in self.severities if s.level == level)


def support_model_for(contract: Contract) -> SupportModel:
    """Return the support and escalation model the contract's SLA tier buys.

    Args:
        contract: The validated contract.

    Returns:
        The model: the tenant's portal queue as primary channel, the contract's escalation
        contacts, and Sev1-Sev4 with the tier's response expectations.
    """
    tier = contract.contract.sla_tier
    tenant_id = contract.tenant.id
    queue = f"{tier.value}/{tenant_id}"
    zone = REGION_TIME_ZONES.get(contract.data_residency.region, "UTC")
    severities = [
        Severity(
            level=level,
            definition=DEFINITIONS[level],
            first_response_minutes=first,
            update_interval_minutes=every,
            coverage=coverage,
        )
        for level, (first, every, coverage) in zip(SEVERITY_LEVELS, _TARGETS[tier], strict=True)
    ]
    return SupportModel(
        tenant_id=tenant_id,
        tier=tier,
        primary_channel=f"LocalizeVideos support portal, queue {queue}",
        queue=queue,
        portal_url=f"{SUPPORT_PORTAL}/queues/{queue}",
        support_email=SUPPORT_EMAIL[tier],
        escalation_email=ESCALATION_EMAIL,
        status_page=STATUS_PAGE,
        support_hours=f"{BUSINESS_HOURS[tier]} {zone} time, except public holidays",
        escalation_contacts=list(contract.contacts.escalation),
        severities=severities,
        incident_report_business_days=INCIDENT_REPORT_BUSINESS_DAYS[tier],
    )


def registration(model: SupportModel) -> dict[str, Any]:
    """Return the body registering the model with the platform's support system.

    The body is what ``PUT /v1/tenants/{id}/support`` takes: ``channel``, ``tier``,
    ``escalation`` and ``severities`` keyed by level.
    """
    return {
        "channel": model.primary_channel,
        "tier": model.tier.value,
        "escalation": [c.model_dump(mode="json") for c in model.escalation_contacts],
        "severities": {
            s.level: {
                "definition": s.definition,
                "first_response_minutes": s.first_response_minutes,
                "update_interval_minutes": s.update_interval_minutes,
                "coverage": s.coverage,
            }
            for s in model.severities
        },
    }


def registration_differences(expected: dict[str, Any], stored: Any) -> list[str]:
    """Return the fields of a registration the platform stored differently (none: match).

    Args:
        expected: The body sent (`registration`).
        stored: The registration read back from the platform.
    """
    if not isinstance(stored, dict):
        return sorted(expected)
    return [name for name, value in expected.items() if stored.get(name) != value]
