"""The evidence export, read from the records alone, identical on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from onboarding.steps import STEP_ORDER, STEP_TITLES, StepKey
from records.chain import GENESIS_HASH, entry_hash
from records.errors import UnknownTenant
from records.export import export_json, export_markdown
from records.kinds import EntryKind
from records.store import RecordsStore
from records.times import display_utc
from tests.records.builders import (
    APPROVER,
    CSM,
    CUSTOMER,
    DOCUMENTS,
    OWNER,
    STRANGER,
    SUPPORT_LEAD,
    T0,
    WORKER,
    Recorder,
    finished_onboarding,
)


def _gantt_time(moment: datetime) -> str:
    return display_utc(moment).replace("T", " ").removesuffix("Z")


def test_the_json_export_has_every_step_with_its_times_and_actors(
    sqlite_store: RecordsStore, tenant: str
) -> None:
    rec = finished_onboarding(sqlite_store, tenant)

    pack = export_json(sqlite_store, tenant)

    assert [s["step"] for s in pack["checklist"]] == [k.value for k in STEP_ORDER]
    for step in pack["checklist"]:
        seen = rec.steps[step["step"]]
        assert seen.started_at is not None and seen.finished_at is not None
        assert step["started_at"] == display_utc(seen.started_at), step["step"]
        assert step["finished_at"] == display_utc(seen.finished_at), step["step"]
        assert step["actors"] == seen.actors, step["step"]
        assert step["status"] in ("done", "waived")
    assert pack["state"] == "completed"
    assert pack["owner"]["email"] == OWNER
    assert pack["contract"]["contract"]["reference"] == "CTR-2026-0117"
    assert pack["chain"]["ok"] and pack["chain"]["entries"] == rec.count + 1


def test_the_json_export_has_the_governance_evidence(
    sqlite_store: RecordsStore, tenant: str
) -> None:
    finished_onboarding(sqlite_store, tenant)

    pack = export_json(sqlite_store, tenant)

    (deviation,) = pack["deviations"]
    assert deviation["id"] == "DEV-1"
    assert (deviation["requested_by"], deviation["decided_by"]) == (CSM, APPROVER)
    assert deviation["status"] == "approved" and deviation["four_eyes"] is True
    assert deviation["requested_at"] < deviation["decided_at"]
    features = next(s for s in pack["checklist"] if s["step"] == StepKey.FEATURE_ENABLEMENT)
    assert (features["status"], features["deviation_id"]) == ("waived", "DEV-1")
    (check,) = features["checks"]
    assert (check["passed"], check["result"], check["deviation_id"]) == (False, "waived", "DEV-1")
    assert [(s["gate"], s["by"]) for s in pack["sign_offs"]] == [
        ("customer", CUSTOMER),
        ("platform", APPROVER),
        ("support", SUPPORT_LEAD),
    ]
    assert [(r["input"], r["by"]) for r in pack["refused_inputs"]] == [
        ("deviation_approve", CSM),
        ("sign_off", STRANGER),
    ]
    assert [d["document"] for d in pack["documents"]] == list(DOCUMENTS)
    assert all(d["template_version"] and d["content_hash"] for d in pack["documents"])
    assert [s["level"] for s in pack["support_model"]["severities"]] == [
        "Sev1",
        "Sev2",
        "Sev3",
        "Sev4",
    ]
    assert len(pack["enablement"]) == 4 and len(pack["artifacts"]) == 1
    env = next(s for s in pack["checklist"] if s["step"] == StepKey.ENVIRONMENT_VALIDATION)
    assert [r["status"] for r in env["runs"]] == ["blocked", "done"]
    assert pack["go_live_at"] is not None


def test_the_markdown_opens_with_a_gantt_chart_of_every_step(
    sqlite_store: RecordsStore, tenant: str
) -> None:
    rec = finished_onboarding(sqlite_store, tenant)

    markdown = export_markdown(sqlite_store, tenant)

    head, chart, rest = markdown.split("```", 2)
    assert head.startswith("# Onboarding evidence: Northwind Studios")
    assert chart.startswith("mermaid\ngantt\n")
    assert "dateFormat YYYY-MM-DD HH:mm:ss" in chart
    for key in STEP_ORDER:
        seen = rec.steps[key.value]
        assert seen.started_at and seen.finished_at
        assert f"section {STEP_TITLES[key]}" in chart
        run = f"{key.value}_run1, {_gantt_time(seen.started_at)}, "
        assert run in chart, key
        assert f", {_gantt_time(seen.finished_at)}\n" in chart, key
        row = next(line for line in rest.splitlines() if line.startswith(f"| {_cell_title(key)} |"))
        assert display_utc(seen.started_at) in row and display_utc(seen.finished_at) in row
        assert all(actor in row for actor in seen.actors), row
    assert "Waiting for onboarding owner :internal_readiness_wait1" in chart
    assert "Run 1 (blocked) :crit, environment_validation_run1" in chart
    for section in ("## Deviations", "## Sign-offs", "## Refused inputs", "## Documents delivered"):
        assert section in rest
    assert "Record integrity: verified" in markdown
    assert "Minor issue \\| workaround" in rest  # a pipe in a cell does not break the table


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_export(
    sqlite_store: RecordsStore, pg_store: RecordsStore, tenant: str
) -> None:
    finished_onboarding(sqlite_store, tenant)
    finished_onboarding(pg_store, tenant)

    from_sqlite = export_json(sqlite_store, tenant)
    from_postgres = export_json(pg_store, tenant)

    assert json.dumps(from_sqlite) == json.dumps(from_postgres)
    assert export_markdown(sqlite_store, tenant) == export_markdown(pg_store, tenant)


def test_an_auditor_can_recompute_the_chain_from_the_json(
    sqlite_store: RecordsStore, tenant: str
) -> None:
    finished_onboarding(sqlite_store, tenant)
    pack = json.loads(json.dumps(export_json(sqlite_store, tenant)))

    prev = GENESIS_HASH
    for row in pack["ledger"]:
        recomputed = entry_hash(
            tenant_id=pack["tenant_id"],
            seq=row["seq"],
            kind=row["kind"],
            step=row["step"],
            actor=row["actor"],
            occurred_at=datetime.fromisoformat(row["occurred_at"]),
            payload=row["payload"],
            prev_hash=prev,
        )
        assert (row["prev_hash"], row["hash"]) == (prev, recomputed)
        prev = recomputed
    assert prev == pack["chain"]["head_hash"]


def test_a_tampered_record_shows_in_the_export(sqlite_store: RecordsStore, tenant: str) -> None:
    finished_onboarding(sqlite_store, tenant)
    with sqlite_store.engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM entries WHERE seq = 10 AND onboarding_id = "
                "(SELECT id FROM onboardings WHERE tenant_id = :tenant)"
            ),
            {"tenant": tenant},
        )

    pack = export_json(sqlite_store, tenant)

    assert (pack["chain"]["ok"], pack["chain"]["first_bad_seq"]) == (False, 10)
    assert "Record integrity: FAILED" in export_markdown(sqlite_store, tenant)


def test_an_onboarding_in_progress_has_open_bars(sqlite_store: RecordsStore, tenant: str) -> None:
    rec = Recorder(sqlite_store, tenant)
    rec.open()
    rec.run_step(StepKey.PRE_ONBOARDING, T0, ["contract_signed"])
    start = T0 + timedelta(minutes=1)
    rec.add(EntryKind.STEP_STARTED, StepKey.INTERNAL_READINESS, WORKER, start, run=1)
    rec.add(EntryKind.WAIT_STARTED, StepKey.INTERNAL_READINESS, WORKER, start, waiting_for="owner")
    last = start + timedelta(hours=5)
    rec.add(
        EntryKind.CHECK, StepKey.INTERNAL_READINESS, WORKER, last, name="x", passed=True, detail=""
    )

    pack = export_json(sqlite_store, tenant)
    markdown = export_markdown(sqlite_store, tenant)

    readiness = pack["checklist"][1]
    assert (pack["state"], readiness["status"], readiness["finished_at"]) == (
        "in_progress",
        "waiting",
        None,
    )
    assert pack["checklist"][2]["status"] == "pending"
    assert (
        f":active, internal_readiness_run1, {_gantt_time(start)}, {_gantt_time(last)}" in markdown
    )
    assert pack["owner"] is None and pack["go_live_at"] is None


def test_exporting_an_unknown_tenant_fails(sqlite_store: RecordsStore) -> None:
    with pytest.raises(UnknownTenant):
        export_json(sqlite_store, "nobody-here")


def _cell_title(key: StepKey) -> str:
    return STEP_TITLES[key]
