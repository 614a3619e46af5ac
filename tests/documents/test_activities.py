"""`register_support` and `deliver_documents` against the real sandbox platform."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
from pydantic import SecretStr
from temporalio import activity

from activities.catalog import platform_activities
from activities.documents import DocumentActivities
from activities.platform import PlatformClient, ProbeConfig
from documents import CATALOGUE
from onboarding.support import support_model_for
from tests.activities.support import PROBE_PASSWORD, by_name, northwind, operations, run
from tests.documents.support import enablement_request, file_sha256, file_text


async def test_register_support_writes_once_and_reads_back(
    documents: DocumentActivities, platform: PlatformClient, provisioned: None
) -> None:
    req = enablement_request()

    first = await run(documents.register_support, req)
    second = await run(documents.register_support, req)

    assert first.passed and second.passed, (first.failed, second.failed)
    check = by_name(first)["support_registered"]
    assert "enterprise tier" in check.detail
    model = support_model_for(req.contract)
    assert first.facts["support"] == model.model_dump(mode="json")
    assert first.facts["support_registered_at"] == second.facts["support_registered_at"]
    stored = await platform.admin_ok("GET", "/v1/tenants/northwind-studios/support")
    assert stored["channel"] == model.primary_channel
    assert stored["escalation"][0]["email"] == "sam.ortiz@northwind.example"
    assert stored["severities"]["Sev1"]["first_response_minutes"] == 15
    support_ops = [o for o in await operations(platform) if o["operation"].startswith("register")]
    assert Counter(o["operation"] for o in support_ops) == {
        "register_support": 1,
        "register_support.noop": 1,
    }
    assert {o["idempotency_key"] for o in support_ops} == {req.idempotency_key}


async def test_register_support_for_unknown_tenant_fails_with_a_hint(
    documents: DocumentActivities,
) -> None:
    result = await run(documents.register_support, enablement_request())

    check = by_name(result)["support_registered"]
    assert not check.passed
    assert "404" in check.detail and "Step 2 (account provisioning)" in check.detail
    assert "`onboard retry northwind-studios customer_enablement --as" in check.detail


async def test_deliver_documents_stores_each_with_its_stated_hash(
    documents: DocumentActivities, artifacts: Path, provisioned: None
) -> None:
    req = enablement_request()

    result = await run(documents.deliver_documents, req)

    assert result.passed, result.failed
    assert set(by_name(result)) == {
        "documents_current",
        "documents_stored",
        "enablement_items_published",
    }
    delivered = result.facts["documents"]
    assert [d["key"] for d in delivered] == [spec.key for spec in CATALOGUE]
    for doc, spec in zip(delivered, CATALOGUE, strict=True):
        path = Path(doc["path"])
        assert path == (artifacts / "northwind-studios" / f"{spec.key}-{spec.version}.md").resolve()
        assert (doc["title"], doc["version"]) == (spec.title, spec.version)
        assert file_sha256(path) == doc["content_hash"]
        assert f"Document version: {spec.version}" in file_text(path)
        assert doc["recipients"] == ["ada.park@northwind.example"]
    assert sorted(p.name for p in (artifacts / "northwind-studios").iterdir()) == sorted(
        f"{spec.key}-{spec.version}.md" for spec in CATALOGUE
    )


async def test_delivering_again_leaves_the_files_untouched(
    documents: DocumentActivities, artifacts: Path, provisioned: None
) -> None:
    req = enablement_request()
    first = await run(documents.deliver_documents, req)
    times = {p.name: p.stat().st_mtime_ns for p in (artifacts / "northwind-studios").iterdir()}

    second = await run(documents.deliver_documents, req)

    assert second.passed and second.facts == first.facts
    again = {p.name: p.stat().st_mtime_ns for p in (artifacts / "northwind-studios").iterdir()}
    assert again == times


async def test_changed_contract_rewrites_the_document_with_a_new_hash(
    documents: DocumentActivities,
) -> None:
    first = await run(documents.deliver_documents, enablement_request())
    amended = northwind(contract={"seats": 150})

    second = await run(documents.deliver_documents, enablement_request(amended))

    before = {d["key"]: d for d in first.facts["documents"]}
    after = {d["key"]: d for d in second.facts["documents"]}
    assert after["product-overview"]["path"] == before["product-overview"]["path"]
    assert after["product-overview"]["content_hash"] != before["product-overview"]["content_hash"]
    path = Path(after["product-overview"]["path"])
    assert file_sha256(path) == after["product-overview"]["content_hash"]


async def test_unwritable_artifacts_folder_fails_documents_stored(
    platform: PlatformClient, probe: ProbeConfig, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the artifacts folder should be\n")
    documents = DocumentActivities(platform, probe, blocker)

    result = await run(documents.deliver_documents, enablement_request())

    checks = by_name(result)
    assert checks["documents_current"].passed
    assert not checks["documents_stored"].passed
    assert "make the artifacts folder writable" in checks["documents_stored"].detail


async def test_catalog_registers_the_document_activities(tmp_path: Path) -> None:
    async with httpx.AsyncClient(base_url="http://unused") as http:
        client = PlatformClient(http, SecretStr("k"))
        probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD))
        found = platform_activities(client, probe, tmp_path)
    names = [activity._Definition.must_from_callable(fn).name for fn in found]
    assert names[-2:] == ["register_support", "deliver_documents"]
    deliver = found[-1]
    assert deliver.__self__.artifacts_dir == tmp_path  # type: ignore[attr-defined]
