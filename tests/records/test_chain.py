"""The hash chain: untouched records verify; an edited, replaced or removed row is named."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from onboarding.steps import StepKey
from records import chain
from records.chain import GENESIS_HASH, entry_hash
from records.errors import UnknownTenant
from records.kinds import EntryKind
from records.store import RecordsStore
from tests.records.builders import T0, WORKER, Recorder

_ENTRY = "onboarding_id = (SELECT id FROM onboardings WHERE tenant_id = :tenant) AND seq = :seq"


def _five_entries(store: RecordsStore, tenant: str) -> None:
    """Entry 1 opens the onboarding; entries 2-6 record a step with three checks."""
    rec = Recorder(store, tenant)
    rec.open()
    rec.run_step(StepKey.PRE_ONBOARDING, T0 + timedelta(seconds=1), ["a", "b", "c"])


def _sql(store: RecordsStore, statement: str, **params: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def _json_param(store: RecordsStore) -> str:
    return "CAST(:payload AS JSON)" if store.engine.dialect.name == "postgresql" else ":payload"


def test_untouched_records_verify(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)

    result = store.verify(tenant)

    assert result == chain.VerifyResult(
        ok=True, entries=6, first_bad_seq=None, reason=None, signatures_checked=True
    )
    first = store.entries(tenant)[0]
    assert (first.seq, first.kind, first.prev_hash) == (1, "onboarding_opened", GENESIS_HASH)


def test_verify_reads_through_a_session(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)

    with Session(store.engine) as session:
        assert chain.verify(session, tenant).ok
        with pytest.raises(UnknownTenant):
            chain.verify(session, "nobody-here")


def test_an_edited_row_is_named(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)
    _sql(
        store,
        f"UPDATE entries SET actor = 'mallory@evil.example' WHERE {_ENTRY}",
        tenant=tenant,
        seq=4,
    )

    result = store.verify(tenant)

    assert not result.ok
    assert result.first_bad_seq == 4
    assert result.reason is not None and "entry 4 was changed" in result.reason


def test_an_edited_payload_is_named(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)
    forged = json.dumps({"name": "b", "passed": True, "detail": "fine, honestly"})
    _sql(
        store,
        f"UPDATE entries SET payload = {_json_param(store)} WHERE {_ENTRY}",
        payload=forged,
        tenant=tenant,
        seq=3,
    )

    result = store.verify(tenant)

    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_an_edited_and_rehashed_row_breaks_the_next_link(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)
    original = store.entries(tenant)[2]
    forged = {**original.payload, "detail": "rewritten"}
    new_hash = entry_hash(
        tenant_id=tenant,
        seq=original.seq,
        kind=original.kind,
        step=original.step,
        actor=original.actor,
        occurred_at=original.occurred_at,
        payload=forged,
        prev_hash=original.prev_hash,
    )
    _sql(
        store,
        f"UPDATE entries SET payload = {_json_param(store)}, hash = :hash WHERE {_ENTRY}",
        payload=json.dumps(forged),
        hash=new_hash,
        tenant=tenant,
        seq=original.seq,
    )

    result = store.verify(tenant)

    # The records key's signature over the entry no longer matches its new hash.
    assert (result.ok, result.first_bad_seq) == (False, original.seq)
    assert result.reason is not None and "not signed by the records key" in result.reason
    # Without the signatures, the hash chain alone still catches the broken link.
    unsigned = chain.verify_entries(store.onboarding(tenant), store.entries(tenant))
    assert (unsigned.ok, unsigned.first_bad_seq) == (False, original.seq + 1)
    assert unsigned.reason is not None and "does not follow" in unsigned.reason


def test_a_deleted_row_is_named(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)
    _sql(store, f"DELETE FROM entries WHERE {_ENTRY}", tenant=tenant, seq=3)

    result = store.verify(tenant)

    assert not result.ok
    assert (result.entries, result.first_bad_seq) == (5, 3)
    assert result.reason is not None and "entry 3 is missing" in result.reason


def test_a_deleted_row_with_renumbering_is_named(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)
    _sql(store, f"DELETE FROM entries WHERE {_ENTRY}", tenant=tenant, seq=3)
    for seq in (4, 5, 6):
        _sql(
            store,
            f"UPDATE entries SET seq = :new WHERE {_ENTRY}",
            new=seq - 1,
            tenant=tenant,
            seq=seq,
        )

    result = store.verify(tenant)

    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_a_deleted_last_row_is_named(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)
    _sql(store, f"DELETE FROM entries WHERE {_ENTRY}", tenant=tenant, seq=6)

    result = store.verify(tenant)

    assert (result.ok, result.entries, result.first_bad_seq) == (False, 5, 6)
    assert result.reason is not None and "missing" in result.reason


def test_an_edited_contract_is_noticed(store: RecordsStore, tenant: str) -> None:
    _five_entries(store, tenant)
    _sql(
        store,
        f"UPDATE onboardings SET contract = {_json_param(store)} WHERE tenant_id = :tenant",
        payload=json.dumps({"tenant": {"id": tenant, "name": "Someone Else"}}),
        tenant=tenant,
    )

    result = store.verify(tenant)

    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert result.reason is not None and "onboarding row was changed" in result.reason


def test_the_canonical_serialisation_is_stable() -> None:
    """Pins the hashed text: changing it would orphan every chain already recorded."""
    at = datetime(2026, 11, 23, 10, 0, 0, 5, tzinfo=UTC)
    expected_text = (
        '{"actor":"system:worker","kind":"check","occurred_at":"2026-11-23T10:00:00.000005Z",'
        '"payload":{"name":"caf\\u00e9","passed":true},"prev_hash":"' + "0" * 64 + '",'
        '"seq":2,"step":"go_live","tenant":"northwind-studios"}'
    )

    digest = entry_hash(
        tenant_id="northwind-studios",
        seq=2,
        kind=EntryKind.CHECK,
        step="go_live",
        actor=WORKER,
        occurred_at=at.astimezone(ZoneInfo("Europe/Berlin")),
        payload={"passed": True, "name": "café"},
        prev_hash=GENESIS_HASH,
    )

    assert digest == hashlib.sha256(expected_text.encode("ascii")).hexdigest()
