"""What the document templates are rendered with: one tenant's contract and support model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activities.provisioning import MIN_PASSWORD_LENGTH, SESSION_CAP_MINUTES
from documents.features import FeatureDoc, feature_doc
from onboarding.contract import Contract
from onboarding.support import SupportModel


@dataclass(frozen=True)
class SecurityDefaults:
    """The security defaults provisioning enforces on the tenant (PHASE-33 Step 2)."""

    mfa_required: bool
    max_session_minutes: int
    password_min_length: int
    sso_enabled: bool


@dataclass(frozen=True)
class Role:
    """One platform role and what it may do."""

    name: str
    may: str


ROLES: tuple[Role, ...] = (
    Role("viewer", "view projects, videos and subtitles"),
    Role("editor", "everything a viewer may, plus upload videos, order and edit jobs"),
    Role("manager", "everything an editor may, plus publish videos"),
    Role("admin", "everything a manager may, plus manage users, billing and security settings"),
)
"""The platform's roles, lowest first; each may do everything the roles before it may."""


def security_defaults(contract: Contract) -> SecurityDefaults:
    """Return the security defaults the contract's tenant is provisioned with."""
    terms = contract.contract
    return SecurityDefaults(
        mfa_required=True,
        max_session_minutes=SESSION_CAP_MINUTES[terms.sla_tier],
        password_min_length=MIN_PASSWORD_LENGTH,
        sso_enabled="sso" in terms.features,
    )


def contracted_features(contract: Contract) -> list[FeatureDoc]:
    """Return the contracted features, in contract order, and no others."""
    return [feature_doc(key) for key in contract.contract.features]


def document_context(contract: Contract, support: SupportModel) -> dict[str, Any]:
    """Return the variables every document template is rendered with.

    Raises:
        ValueError: The support model belongs to another tenant.
    """
    if support.tenant_id != contract.tenant.id:
        raise ValueError(
            f"The support model is tenant {support.tenant_id}'s, not {contract.tenant.id}'s; "
            "render with the support model of the same contract."
        )
    return {
        "tenant": contract.tenant,
        "terms": contract.contract,
        "residency": contract.data_residency,
        "admins": contract.contacts.admins,
        "questionnaire": contract.security_questionnaire,
        "features": contracted_features(contract),
        "contracted": frozenset(contract.contract.features),
        "security": security_defaults(contract),
        "roles": ROLES,
        "support": support,
    }
