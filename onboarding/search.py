"""Search attributes that make onboardings filterable in the Web UI and `onboard list`."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey

STEP = SearchAttributeKey.for_keyword("OnboardingStep")
STATE = SearchAttributeKey.for_keyword("OnboardingState")
TENANT = SearchAttributeKey.for_keyword("TenantId")
REGION = SearchAttributeKey.for_keyword("Region")
SLA_TIER = SearchAttributeKey.for_keyword("SlaTier")
OWNER = SearchAttributeKey.for_keyword("OnboardingOwner")
BLOCKED = SearchAttributeKey.for_bool("Blocked")
GATE_DUE_AT = SearchAttributeKey.for_datetime("GateDueAt")
GO_LIVE_AT = SearchAttributeKey.for_datetime("GoLiveAt")

ALL: tuple[SearchAttributeKey, ...] = (  # type: ignore[type-arg]
    STEP,
    STATE,
    TENANT,
    REGION,
    SLA_TIER,
    OWNER,
    BLOCKED,
    GATE_DUE_AT,
    GO_LIVE_AT,
)

# The names the Temporal CLI takes in `--search-attribute NAME=TYPE`.
CLI_TYPES: dict[SearchAttributeKey[Any], str] = {
    STEP: "Keyword",
    STATE: "Keyword",
    TENANT: "Keyword",
    REGION: "Keyword",
    SLA_TIER: "Keyword",
    OWNER: "Keyword",
    BLOCKED: "Bool",
    GATE_DUE_AT: "Datetime",
    GO_LIVE_AT: "Datetime",
}
