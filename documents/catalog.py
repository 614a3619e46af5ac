"""The customer documents, each with its template and the template's current version.

Bump a document's ``version`` whenever its template changes: a delivered document names
the version it was rendered from, and only the current version may be delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

from onboarding.steps import EnablementItem


class UnknownDocument(LookupError):
    """A document key the catalogue does not know."""

    def __init__(self, key: str) -> None:
        known = ", ".join(spec.key for spec in CATALOGUE)
        super().__init__(f"There is no customer document '{key}'; the documents are: {known}.")
        self.key = key


@dataclass(frozen=True)
class DocumentSpec:
    """One customer document.

    Attributes:
        key: Stable identifier, used in file names and records.
        title: Title shown to the customer.
        template: Template file in ``documents/templates``.
        version: Current template version, ``YYYY.MM.N``.
        enablement: The PHASE-33 Step 6 enablement item this document provides.
    """

    key: str
    title: str
    template: str
    version: str
    enablement: EnablementItem


CATALOGUE: tuple[DocumentSpec, ...] = (
    DocumentSpec(
        key="product-overview",
        title="Product overview",
        template="product_overview.md.j2",
        version="2026.11.1",
        enablement=EnablementItem.WALKTHROUGH,
    ),
    DocumentSpec(
        key="admin-guide",
        title="Admin guide",
        template="admin_guide.md.j2",
        version="2026.11.1",
        enablement=EnablementItem.ADMIN_GUIDE,
    ),
    DocumentSpec(
        key="security-posture",
        title="Security posture summary",
        template="security_posture.md.j2",
        version="2026.11.1",
        enablement=EnablementItem.SECURITY_BEST_PRACTICES,
    ),
    DocumentSpec(
        key="sla-support",
        title="SLA and support expectations",
        template="sla_support.md.j2",
        version="2026.11.1",
        enablement=EnablementItem.SUPPORT_OVERVIEW,
    ),
    DocumentSpec(
        key="incident-communication",
        title="Incident communication process",
        template="incident_communication.md.j2",
        version="2026.11.1",
        enablement=EnablementItem.SUPPORT_OVERVIEW,
    ),
)
"""Every customer document, in delivery order."""


def document_spec(key: str) -> DocumentSpec:
    """Return the catalogue entry of a document.

    Raises:
        UnknownDocument: No document has this key.
    """
    for spec in CATALOGUE:
        if spec.key == key:
            return spec
    raise UnknownDocument(key)
