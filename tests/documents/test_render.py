"""The five customer documents: rendered per tenant, versioned, hashed, current only."""

from __future__ import annotations

import hashlib
import re

import pytest

from documents import (
    CATALOGUE,
    OutdatedDocument,
    RenderedDocument,
    UnknownDocument,
    check_current,
    document_spec,
    render_all,
    render_document,
)
from documents.features import FEATURES
from onboarding.contract import Contract
from onboarding.steps import EnablementItem
from onboarding.support import support_model_for
from tests.activities.support import northwind
from tests.documents.support import contract

KEYS = [spec.key for spec in CATALOGUE]


def render(key: str, the_contract: Contract | None = None) -> RenderedDocument:
    the_contract = the_contract or northwind()
    return render_document(key, the_contract, support_model_for(the_contract))


def everything(the_contract: Contract) -> str:
    return "\n".join(d.content for d in render_all(the_contract, support_model_for(the_contract)))


def test_catalogue_holds_the_five_phase33_documents() -> None:
    assert KEYS == [
        "product-overview",
        "admin-guide",
        "security-posture",
        "sla-support",
        "incident-communication",
    ]
    assert all(re.fullmatch(r"\d{4}\.\d{2}\.\d+", spec.version) for spec in CATALOGUE)
    assert {spec.enablement for spec in CATALOGUE} == set(EnablementItem)


@pytest.mark.parametrize("key", KEYS)
def test_document_renders_with_its_version_and_hash(key: str) -> None:
    doc = render(key)
    spec = document_spec(key)

    assert (doc.key, doc.title, doc.version) == (spec.key, spec.title, spec.version)
    assert doc.content.startswith(f"# {spec.title}: Northwind Studios\n")
    assert f"Document version: {spec.version}" in doc.content
    assert f"{spec.title}, version {spec.version}" in doc.content
    assert doc.content_hash == hashlib.sha256(doc.content.encode("utf-8")).hexdigest()
    assert "{{" not in doc.content and "{%" not in doc.content
    assert "northwind-studios" in doc.content and "CTR-2026-0117" in doc.content


def test_rendering_is_deterministic() -> None:
    assert render_all(northwind(), support_model_for(northwind())) == render_all(
        northwind(), support_model_for(northwind())
    )


def test_hash_changes_when_the_content_changes() -> None:
    before = render("product-overview")
    after = render("product-overview", contract(seats=250))

    assert "250 named users" in after.content and "250" not in before.content
    assert after.version == before.version
    assert after.content_hash != before.content_hash


def test_documents_name_only_contracted_features() -> None:
    # Northwind's contract: subtitles, dubbing, glossary, sso, api_access.
    text = everything(northwind()).lower()

    for key in ("subtitles", "dubbing", "glossary", "sso", "api_access"):
        assert FEATURES[key].title.lower() in text
    for key in ("voice_over", "analytics", "translation_memory"):
        assert FEATURES[key].title.lower() not in text
    assert "voice-over" not in text and "voice_over" not in text
    assert "lip sync" not in text and "ai director" not in text


def test_a_smaller_contract_leaves_out_what_it_does_not_buy() -> None:
    small = contract(features=["subtitles"])

    text = everything(small)

    assert "Automatic subtitles" in text
    for gone in ("dubbing", "dubbed", "Terminology glossary", "Public API access", "## API access"):
        assert gone not in text
    assert "Single sign-on | Not part of your contract" in text
    assert "requests per minute" not in text


def test_product_overview_states_plan_region_seats_and_features() -> None:
    content = render("product-overview").content

    assert "| Seats | 120 named users |" in content
    assert "| Data residency region | eu-central |" in content
    assert "| API rate limit | 600 requests per minute |" in content
    assert "| SLA tier | Enterprise |" in content
    assert content.index("### Automatic subtitles") < content.index("### AI dubbing")


def test_security_posture_states_the_enforced_defaults() -> None:
    content = render("security-posture").content

    assert "| Multi-factor authentication | Required for every user |" in content
    assert "| Session lifetime | At most 8 hours;" in content
    assert "| Passwords | At least 12 characters |" in content
    assert "| Single sign-on | Enabled (contracted) |" in content
    assert "approved by dpo@localizevideos.example" in content
    assert "reviewed by secops@localizevideos.example" in content


def test_standard_tier_states_its_longer_session_cap() -> None:
    content = render("security-posture", contract(sla_tier="standard")).content

    assert "| Session lifetime | At most 12 hours;" in content


def test_admin_guide_without_sso_explains_passwords_and_mfa() -> None:
    content = render("admin-guide", contract(features=["subtitles", "dubbing"])).content

    assert "password of at least\n12 characters" in content
    assert "Multi-factor authentication is required" in content
    assert "Single sign-on is enabled" not in content
    assert "| Ada Park | ada.park@northwind.example |" in content


def test_sla_document_holds_the_support_model_table() -> None:
    the_contract = northwind()
    model = support_model_for(the_contract)
    content = render("sla-support", the_contract).content

    assert model.primary_channel in content
    assert model.portal_url in content and model.support_email in content
    assert model.support_hours in content
    assert "around the clock for\n  Sev1 and Sev2" in content
    assert "| Sev1 | Critical:" in content
    assert "| 15 minutes | 30 minutes | 24x7 |" in content
    assert "| 8 business hours | 40 business hours | business hours |" in content
    assert "| Sam Ortiz | sam.ortiz@northwind.example | - |" in content
    assert "not support requests" in content


def test_incident_communication_names_channels_recipients_and_timelines() -> None:
    content = render("incident-communication").content

    assert "- Sam Ortiz (sam.ortiz@northwind.example), escalation contact" in content
    assert "- Ada Park (ada.park@northwind.example), administrator" in content
    assert "https://status.localizevideos.example" in content
    assert "| Sev1 | 15 minutes | 30 minutes | within 3 business days |" in content
    assert "| Sev4 | 8 business hours | 40 business hours | on request |" in content


def test_customer_text_cannot_inject_markup() -> None:
    the_contract = northwind(tenant={"name": "Acme | <b>*Films*</b>"})

    content = render("product-overview", the_contract).content

    assert content.startswith("# Product overview: Acme \\| \\<b\\>\\*Films\\*\\</b\\>\n")
    assert "<b>" not in content


def test_support_model_of_another_tenant_is_refused() -> None:
    other = support_model_for(northwind(tenant={"id": "contoso-media"}))

    with pytest.raises(ValueError, match="contoso-media"):
        render_document("admin-guide", northwind(), other)


@pytest.mark.parametrize("key", KEYS)
def test_current_version_may_be_delivered(key: str) -> None:
    check_current(key, document_spec(key).version)


def test_outdated_version_is_refused() -> None:
    current = document_spec("admin-guide").version

    with pytest.raises(OutdatedDocument) as refused:
        check_current("admin-guide", "2025.01.1")

    assert refused.value.current == current
    assert str(refused.value) == (
        f"Refusing to deliver 'admin-guide' version 2025.01.1: the current version is "
        f"{current}. Render the document again from the current template and deliver that."
    )


def test_unknown_document_is_refused() -> None:
    with pytest.raises(UnknownDocument, match="no customer document 'pricing'"):
        check_current("pricing", "2026.11.1")
    with pytest.raises(UnknownDocument):
        render("pricing")
