"""Step 6 enablement items published by `deliver_documents`, and opened items in usage."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from activities.documents import DocumentActivities
from activities.enablement import CHECK, ITEM_TITLES
from activities.evidence import NOT_RUN
from activities.golive import ENABLEMENT_OPENED, GoLiveActivities, enablement_opened
from activities.platform import PlatformClient, PlatformUnavailable, ProbeConfig
from onboarding.steps import EnablementItem
from sandbox.seed import ENABLEMENT_ITEMS
from tests.activities.support import (
    PROBE_PASSWORD,
    TENANT,
    by_name,
    northwind,
    operations,
    provision,
    request,
    run,
)

ADMIN = "ada.park@northwind.example"
DOCUMENTS_OF = {
    "walkthrough": ["product-overview"],
    "admin-guide": ["admin-guide"],
    "security-best-practices": ["security-posture"],
    "support-overview": ["sla-support", "incident-communication"],
}
"""The delivered documents each enablement item is published with."""


def documents_activities(
    platform: PlatformClient, probe: ProbeConfig, tmp_path: Path
) -> DocumentActivities:
    return DocumentActivities(platform, probe, tmp_path / "artifacts")


async def library(platform: PlatformClient) -> list[dict[str, Any]]:
    body = await platform.admin_ok("GET", f"/v1/tenants/{TENANT}/enablement")
    assert isinstance(body, list)
    return body


def test_platform_and_onboarding_name_the_same_items() -> None:
    assert list(ENABLEMENT_ITEMS) == [item.value for item in EnablementItem]
    assert set(ITEM_TITLES) == set(EnablementItem)


async def test_deliver_documents_publishes_every_item_once(
    acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    probe: ProbeConfig,
    tmp_path: Path,
) -> None:
    await provision(acts)
    documents = documents_activities(platform, probe, tmp_path)
    req = request("deliver_documents")

    first = await run(documents.deliver_documents, req)
    second = await run(documents.deliver_documents, req)

    assert first.passed and second.passed, (first.failed, second.failed)
    published = by_name(first)[CHECK]
    assert published.observed == published.expected
    assert "All 4 enablement items are published" in published.detail
    items = await library(platform)
    assert [i["item"] for i in items] == list(DOCUMENTS_OF)
    hashes = {d["key"]: d["content_hash"] for d in first.facts["documents"]}
    for stored in items:
        assert stored["title"] == ITEM_TITLES[EnablementItem(stored["item"])]
        assert [d["key"] for d in stored["documents"]] == DOCUMENTS_OF[stored["item"]]
        assert all(d["content_hash"] == hashes[d["key"]] for d in stored["documents"])
    ops = [o for o in await operations(platform) if "enablement" in o["operation"]]
    assert Counter(o["operation"] for o in ops) == {
        "publish_enablement_item": 4,
        "publish_enablement_item.noop": 4,
    }
    assert {o["idempotency_key"] for o in ops} == {req.idempotency_key}


async def test_amended_document_is_published_again(
    acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    probe: ProbeConfig,
    tmp_path: Path,
) -> None:
    await provision(acts)
    documents = documents_activities(platform, probe, tmp_path)
    await run(documents.deliver_documents, request("deliver_documents"))
    amended = northwind(contract={"seats": 150})

    result = await run(documents.deliver_documents, request("deliver_documents", amended))

    assert result.passed, result.failed
    overview = next(d for d in result.facts["documents"] if d["key"] == "product-overview")
    walkthrough = next(i for i in await library(platform) if i["item"] == "walkthrough")
    assert walkthrough["documents"][0]["content_hash"] == overview["content_hash"]
    assert datetime.fromisoformat(walkthrough["updated_at"]) > datetime.fromisoformat(
        walkthrough["published_at"]
    )


async def test_unprovisioned_tenant_fails_publication_with_a_hint(
    platform: PlatformClient, probe: ProbeConfig, tmp_path: Path
) -> None:
    documents = documents_activities(platform, probe, tmp_path)

    result = await run(documents.deliver_documents, request("deliver_documents"))

    checks = by_name(result)
    assert checks["documents_current"].passed and checks["documents_stored"].passed
    assert not checks[CHECK].passed
    assert "404" in checks[CHECK].detail
    assert "Step 2 (account provisioning)" in checks[CHECK].detail


async def test_nothing_is_published_when_documents_are_not_stored(
    acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    probe: ProbeConfig,
    tmp_path: Path,
) -> None:
    await provision(acts)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the artifacts folder should be\n")
    documents = DocumentActivities(platform, probe, blocker)

    result = await run(documents.deliver_documents, request("deliver_documents"))

    checks = by_name(result)
    assert not checks["documents_stored"].passed
    assert not checks[CHECK].passed and checks[CHECK].detail.startswith("Not run:")
    assert result.facts[NOT_RUN] == [CHECK]
    assert await library(platform) == []


def _mock_platform(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://platform")


async def test_item_reading_back_different_fails_the_check(
    probe: ProbeConfig, tmp_path: Path
) -> None:
    stored: dict[str, Any] = {}

    def handler(req: httpx.Request) -> httpx.Response:
        item = req.url.path.rsplit("/", 1)[-1]
        if req.method == "PUT":
            stored[item] = json.loads(req.content)
        body = dict(stored[item])
        if req.method == "GET" and item == "support-overview":
            body["documents"] = body["documents"][:1]  # the platform lost a document
        return httpx.Response(200, json={"item": item, **body})

    async with _mock_platform(handler) as http:
        client = PlatformClient(http, SecretStr("admin-key"))
        documents = documents_activities(client, probe, tmp_path)
        result = await run(documents.deliver_documents, request("deliver_documents"))

    check = by_name(result)[CHECK]
    assert not check.passed
    assert "enablement item(s) support-overview of tenant northwind-studios" in check.detail
    assert len(check.observed["support-overview"]["documents"]) == 1
    assert len(check.expected["support-overview"]["documents"]) == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_platform_is_retried_after_the_files_are_stored(
    probe: ProbeConfig, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        url = f"http://127.0.0.1:{_closed_port()}"
        client = PlatformClient(http, SecretStr("admin-key"), base_url=url)
        documents = documents_activities(client, probe, tmp_path)
        with pytest.raises(PlatformUnavailable, match="Temporal retries"):
            await run(documents.deliver_documents, request("deliver_documents"))
    assert len(list((tmp_path / "artifacts" / TENANT).iterdir())) == 5


async def test_gather_usage_reports_items_customer_users_opened(
    acts: dict[str, Callable[..., Any]],
    platform: PlatformClient,
    probe: ProbeConfig,
    tmp_path: Path,
) -> None:
    await provision(acts)
    documents = documents_activities(platform, probe, tmp_path)
    assert (await run(documents.deliver_documents, request("deliver_documents"))).passed
    password = SecretStr(PROBE_PASSWORD)
    await platform.put_user(
        TENANT, ADMIN, name="Ada", roles=["admin"], probe=False, password=password
    )
    prober = f"probe-viewer@{TENANT}.example"
    await platform.put_user(
        TENANT, prober, name="Probe", roles=["viewer"], probe=True, password=password
    )
    customer = await platform.login(TENANT, ADMIN, password)
    robot = await platform.login(TENANT, prober, password, probe_key="test")
    for session, item in ((customer, "support-overview"), (robot, "admin-guide")):
        reply = await platform.tenant("GET", TENANT, f"/enablement/{item}", session)
        assert reply.status == 200, reply.body

    result = await run(acts["gather_usage"], request("gather_usage"))

    assert result.passed, result.failed
    assert result.facts[ENABLEMENT_OPENED] == ["support-overview"]
    assert "1 of 4 enablement item(s) opened" in result.checks[0].detail


async def test_gather_usage_without_opens_reported_passes_with_none(probe: ProbeConfig) -> None:
    figures = {
        "active_users": 3,
        "minutes_localised": 12.0,
        "features_used": ["subtitles"],
        "admins_logged_in": [ADMIN],
        "api_latency_ms_p95": 120.0,
        "error_rate": 0.0,
    }

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=figures)

    async with _mock_platform(handler) as http:
        golive = GoLiveActivities(PlatformClient(http, SecretStr("admin-key")), probe)
        result = await run(golive.gather_usage, request("gather_usage"))

    assert result.passed, result.failed
    assert result.facts[ENABLEMENT_OPENED] is None
    assert "enablement item opens not reported" in result.checks[0].detail


@pytest.mark.parametrize(
    ("reported", "facts"),
    [
        (["support-overview", "walkthrough", "walkthrough"], ["walkthrough", "support-overview"]),
        (["walkthrough", "onboarding-video"], ["walkthrough"]),
        ([], []),
        (None, None),
        ("walkthrough", None),
        (["walkthrough", 3], None),
    ],
)
def test_reported_opens_become_known_items_in_order(reported: Any, facts: Any) -> None:
    assert enablement_opened(reported) == facts
