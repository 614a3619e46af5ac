"""PHASE-33 Step 6: the enablement items published to the tenant's enablement library.

Each `EnablementItem` is published with the delivered documents that provide it (a
document's catalogue entry names its item; the support overview has two), so the platform
can show it to the customer's users and record who opened it. The post-onboarding review
then reports the items nobody opened (``gather_usage``'s ``enablement_opened``).
"""

from __future__ import annotations

from typing import Any

from activities.evidence import check, concurrently, guarded, retry_hint
from activities.platform import PlatformClient
from documents import document_spec
from onboarding.checks import CheckResult, StepRequest
from onboarding.steps import EnablementItem

CHECK = "enablement_items_published"

ITEM_TITLES: dict[EnablementItem, str] = {
    EnablementItem.WALKTHROUGH: "Product walkthrough",
    EnablementItem.ADMIN_GUIDE: "Admin guide",
    EnablementItem.SECURITY_BEST_PRACTICES: "Security best practices",
    EnablementItem.SUPPORT_OVERVIEW: "Support overview",
}
"""The title the customer's users see for each item."""

_DOCUMENT_FIELDS = ("key", "title", "version", "content_hash")


def publications(delivered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return the publish body of every enablement item, by item value.

    Args:
        delivered: The delivered documents as ``deliver_documents`` reports them.

    Returns:
        ``{"title", "documents": [{"key", "title", "version", "content_hash"}]}`` per item,
        in `EnablementItem` order; an item no delivered document provides has no documents.
    """
    bodies: dict[str, dict[str, Any]] = {
        item.value: {"title": ITEM_TITLES[item], "documents": []} for item in EnablementItem
    }
    for doc in delivered:
        item = document_spec(doc["key"]).enablement
        bodies[item.value]["documents"].append({k: doc[k] for k in _DOCUMENT_FIELDS})
    return bodies


def _as_stored(stored: dict[str, Any]) -> dict[str, Any]:
    """The part of a read-back item that the publish body set."""
    documents = stored.get("documents")
    if isinstance(documents, list):
        documents = [
            {k: d.get(k) for k in _DOCUMENT_FIELDS} if isinstance(d, dict) else d for d in documents
        ]
    return {"title": stored.get("title"), "documents": documents}


async def publish_enablement(
    platform: PlatformClient, req: StepRequest, delivered: list[dict[str, Any]]
) -> CheckResult:
    """Publish the four enablement items to the tenant (idempotent PUTs) and read them back."""
    expected = publications(delivered)

    async def publish_one(item: str, body: dict[str, Any]) -> dict[str, Any]:
        await platform.put_enablement_item(req.tenant_id, item, body, req.idempotency_key)
        return _as_stored(await platform.enablement_item(req.tenant_id, item))

    async def published() -> CheckResult:
        stored = await concurrently(*(publish_one(i, b) for i, b in expected.items()))
        observed = dict(zip(expected, stored, strict=True))
        differing = [item for item in expected if observed[item] != expected[item]]
        if differing:
            return check(
                CHECK,
                False,
                f"The enablement item(s) {', '.join(differing)} of tenant {req.tenant_id} read "
                "back different from what was published; check the platform's enablement "
                f"library, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        counts = ", ".join(f"{item} ({len(body['documents'])})" for item, body in expected.items())
        return check(
            CHECK,
            True,
            f"All {len(expected)} enablement items are published to tenant {req.tenant_id} "
            f"with their documents: {counts}.",
            expected=expected,
            observed=observed,
        )

    return await guarded(CHECK, req, expected, published)
