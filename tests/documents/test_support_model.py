"""The support and escalation model each SLA tier buys."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from onboarding.contract import SlaTier
from onboarding.support import (
    SEVERITY_LEVELS,
    SUPPORT_EMAIL,
    Severity,
    SupportModel,
    duration,
    registration,
    registration_differences,
    support_model_for,
)
from tests.activities.support import northwind
from tests.documents.support import contract


def model_for(tier: SlaTier) -> SupportModel:
    return support_model_for(contract(sla_tier=tier.value))


@pytest.mark.parametrize("tier", list(SlaTier))
def test_every_tier_defines_sev1_to_sev4_with_response_expectations(tier: SlaTier) -> None:
    model = model_for(tier)

    assert model.tier == tier
    assert [s.level for s in model.severities] == ["Sev1", "Sev2", "Sev3", "Sev4"]
    assert list(SEVERITY_LEVELS) == ["Sev1", "Sev2", "Sev3", "Sev4"]
    for severity in model.severities:
        assert severity.definition
        assert severity.first_response_minutes > 0
        assert severity.update_interval_minutes > 0
        assert severity.response.startswith("First response within ")
    assert model.severity("Sev1").coverage == "24x7"


def test_enterprise_sev1_is_answered_fastest() -> None:
    sev1 = {tier: model_for(tier).severity("Sev1").first_response_minutes for tier in SlaTier}

    assert sev1[SlaTier.ENTERPRISE] < sev1[SlaTier.PREMIUM] < sev1[SlaTier.STANDARD]
    assert sev1[SlaTier.ENTERPRISE] == 15
    assert model_for(SlaTier.ENTERPRISE).severity("Sev1").response == (
        "First response within 15 minutes, 24x7; updates at least every 30 minutes"
    )


@pytest.mark.parametrize("tier", list(SlaTier))
def test_primary_channel_is_the_tenant_queue_of_the_tier(tier: SlaTier) -> None:
    model = model_for(tier)

    assert model.queue == f"{tier.value}/northwind-studios"
    assert model.primary_channel == f"LocalizeVideos support portal, queue {model.queue}"
    assert model.portal_url.endswith(f"/queues/{model.queue}")
    assert model.support_email == SUPPORT_EMAIL[tier]
    assert model.support_email.endswith("@localizevideos.example")


def test_escalation_contacts_come_from_the_contract() -> None:
    escalation = [
        {"name": "Sam Ortiz", "email": "sam.ortiz@northwind.example", "phone": "+1 555 0100"},
        {"name": "Lee Chen", "email": "lee.chen@northwind.example"},
    ]
    the_contract = northwind(contacts={"escalation": escalation})

    model = support_model_for(the_contract)

    assert model.escalation_contacts == the_contract.contacts.escalation
    assert [c.email for c in model.escalation_contacts] == [
        "sam.ortiz@northwind.example",
        "lee.chen@northwind.example",
    ]


def test_support_hours_follow_the_residency_region() -> None:
    berlin = support_model_for(northwind())
    new_york = support_model_for(northwind(data_residency={"region": "us-east"}))

    assert "Europe/Berlin" in berlin.support_hours
    assert "America/New_York" in new_york.support_hours


def test_model_refuses_missing_or_unordered_severities() -> None:
    model = support_model_for(northwind())
    data = model.model_dump()

    with pytest.raises(ValidationError, match="Sev1, Sev2, Sev3, Sev4"):
        SupportModel.model_validate({**data, "severities": data["severities"][:3]})
    swapped = [data["severities"][1], data["severities"][0], *data["severities"][2:]]
    with pytest.raises(ValidationError, match="Sev1, Sev2, Sev3, Sev4"):
        SupportModel.model_validate({**data, "severities": swapped})
    slower_sev1 = {**data["severities"][0], "first_response_minutes": 600}
    with pytest.raises(ValidationError, match="slower first response"):
        SupportModel.model_validate({**data, "severities": [slower_sev1, *data["severities"][1:]]})


def test_model_json_round_trips() -> None:
    model = support_model_for(northwind())

    again = SupportModel.model_validate_json(model.model_dump_json())

    assert again == model
    dumped = model.model_dump(mode="json")
    assert dumped["severities"][0]["response"] == model.severities[0].response


def test_registration_body_and_read_back_comparison() -> None:
    model = support_model_for(northwind())
    body = registration(model)

    assert body["channel"] == model.primary_channel
    assert body["tier"] == "enterprise"
    assert body["escalation"] == [
        {"name": "Sam Ortiz", "email": "sam.ortiz@northwind.example", "phone": None}
    ]
    assert set(body["severities"]) == set(SEVERITY_LEVELS)
    stored = {**body, "tenant_id": "northwind-studios", "registered_at": "2026-11-27T10:00:00Z"}
    assert registration_differences(body, stored) == []
    assert registration_differences(body, {**stored, "channel": "slack #support"}) == ["channel"]
    assert registration_differences(body, None) == sorted(body)


@pytest.mark.parametrize(
    ("minutes", "coverage", "words"),
    [
        (15, "24x7", "15 minutes"),
        (60, "24x7", "1 hour"),
        (120, "24x7", "2 hours"),
        (90, "24x7", "90 minutes"),
        (480, "business hours", "8 business hours"),
    ],
)
def test_duration_in_words(minutes: int, coverage: str, words: str) -> None:
    assert duration(minutes, coverage) == words  # type: ignore[arg-type]


def test_severity_response_counts_business_hours() -> None:
    severity = Severity(
        level="Sev3",
        definition="Minor.",
        first_response_minutes=240,
        update_interval_minutes=480,
        coverage="business hours",
    )

    assert severity.response == (
        "First response within 4 business hours; updates at least every 8 business hours"
    )
