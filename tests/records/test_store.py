"""Appending: idempotent on the key, contiguous under concurrency, strict about its input."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.errors import IdempotencyConflict, OnboardingConflict, UnknownTenant
from records.kinds import EntryKind
from records.models import Entry, Onboarding
from records.store import RecordsStore
from tests.records.builders import OPS, T0, WORKER, contract_summary

STEP = "pre_onboarding"


def _open(store: RecordsStore, tenant: str) -> None:
    store.ensure_onboarding(tenant, f"onboarding-{tenant}", contract_summary(), T0, OPS)


def _rows(store: RecordsStore, tenant: str) -> int:
    """Count the tenant's rows in SQL, not through the store under test."""
    query = (
        select(func.count())
        .select_from(Entry)
        .join(Onboarding, Onboarding.id == Entry.onboarding_id)
        .where(Onboarding.tenant_id == tenant)
    )
    with Session(store.engine) as session:
        return session.scalar(query) or 0


def test_the_same_key_twice_leaves_one_row(store: RecordsStore, tenant: str) -> None:
    _open(store, tenant)
    before = _rows(store, tenant)

    first = store.append(
        tenant, EntryKind.STEP_STARTED, STEP, WORKER, T0, {"run": 1}, "k-1" + tenant
    )
    # A retried activity: same key, its clock has moved on.
    again = store.append(
        tenant,
        EntryKind.STEP_STARTED,
        STEP,
        WORKER,
        T0 + timedelta(seconds=30),
        {"run": 1},
        "k-1" + tenant,
    )

    assert _rows(store, tenant) == before + 1
    assert (again.id, again.seq, again.hash, again.occurred_at) == (first.id, 2, first.hash, T0)
    assert store.verify(tenant).ok


def test_ensure_onboarding_twice_records_it_once(store: RecordsStore, tenant: str) -> None:
    _open(store, tenant)
    again = store.ensure_onboarding(tenant, f"onboarding-{tenant}", {"other": "contract"}, T0, OPS)

    assert again.contract == contract_summary()
    assert [e.kind for e in store.entries(tenant)] == ["onboarding_opened"]
    with pytest.raises(OnboardingConflict):
        store.ensure_onboarding(tenant, "onboarding-someone-else", contract_summary(), T0, OPS)
    assert tenant in store.tenants()


def test_a_key_reused_elsewhere_is_refused(store: RecordsStore, tenant: str) -> None:
    other = f"{tenant}-b"
    _open(store, tenant)
    _open(store, other)
    store.append(tenant, EntryKind.STEP_STARTED, STEP, WORKER, T0, {}, f"{tenant}:shared")

    with pytest.raises(IdempotencyConflict):
        store.append(other, EntryKind.STEP_STARTED, STEP, WORKER, T0, {}, f"{tenant}:shared")
    with pytest.raises(IdempotencyConflict):
        store.append(tenant, EntryKind.CHECK, STEP, WORKER, T0, _check(), f"{tenant}:shared")
    assert len(store.entries(other)) == 1


def test_concurrent_appends_keep_seq_contiguous(store: RecordsStore, tenant: str) -> None:
    _open(store, tenant)
    threads, per_thread = 8, 15
    barrier = threading.Barrier(threads)

    def writer(number: int) -> list[int]:
        barrier.wait()
        seqs = []
        for i in range(per_thread):
            at = T0 + timedelta(seconds=i)
            own = store.append(
                tenant, EntryKind.CHECK, STEP, WORKER, at, _check(), f"{tenant}:{number}:{i}"
            )
            # Every thread also writes the same shared entries: each must land once.
            shared = store.append(
                tenant, EntryKind.CHECK, STEP, WORKER, at, _check(), f"{tenant}:shared:{i}"
            )
            seqs += [own.seq, shared.seq]
        return seqs

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(writer, range(threads)))

    entries = store.entries(tenant)
    expected = 1 + threads * per_thread + per_thread
    assert [e.seq for e in entries] == list(range(1, expected + 1))
    assert len({e.idempotency_key for e in entries}) == expected
    assert {seq for seqs in results for seq in seqs} == set(range(2, expected + 1))
    assert store.verify(tenant).ok
    assert store.onboarding(tenant).head_seq == expected


def test_malformed_entries_are_refused(store: RecordsStore, tenant: str) -> None:
    _open(store, tenant)

    def append(**change: object) -> Entry:
        args: dict[str, object] = {
            "tenant_id": tenant,
            "kind": EntryKind.CHECK,
            "step": STEP,
            "actor": WORKER,
            "occurred_at": T0,
            "payload": _check(),
            "idempotency_key": f"{tenant}:bad",
        }
        return store.append(**{**args, **change})  # type: ignore[arg-type]

    with pytest.raises(ValueError, match="no timezone"):
        append(occurred_at=datetime(2026, 11, 23, 9, 0))
    with pytest.raises(ValueError, match="must name its step"):
        append(step=None)
    with pytest.raises(ValueError, match="passed"):
        append(payload={"name": "x", "detail": "no verdict"})
    with pytest.raises(ValueError):
        append(kind="made_up")
    with pytest.raises(ValueError, match="actor"):
        append(actor="")
    with pytest.raises(ValueError):
        append(payload={"name": "x", "passed": True, "detail": "", "observed": float("nan")})
    with pytest.raises(ValueError, match="deviation_id"):
        append(kind=EntryKind.STEP_FINISHED, payload={"status": "waived"})
    with pytest.raises(UnknownTenant):
        append(tenant_id="nobody-here")
    assert len(store.entries(tenant)) == 1


def test_entries_can_be_filtered(store: RecordsStore, tenant: str) -> None:
    _open(store, tenant)
    store.append(tenant, EntryKind.STEP_STARTED, STEP, WORKER, T0, {}, f"{tenant}:1")
    store.append(tenant, EntryKind.CHECK, "go_live", WORKER, T0, _check(), f"{tenant}:2")

    assert [e.seq for e in store.entries(tenant, kinds=[EntryKind.CHECK])] == [3]
    assert [e.seq for e in store.entries(tenant, step=STEP)] == [2]
    assert store.entry_by_key(f"{tenant}:2") is not None
    assert store.entry_by_key("never-written") is None


def test_times_come_back_in_utc(store: RecordsStore, tenant: str) -> None:
    _open(store, tenant)
    local = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Tokyo"))
    store.append(tenant, EntryKind.STEP_STARTED, STEP, WORKER, local, {}, f"{tenant}:tz")

    (entry,) = store.entries(tenant, kinds=[EntryKind.STEP_STARTED])
    assert entry.occurred_at == local
    assert entry.occurred_at.utcoffset() == timedelta(0)
    assert store.onboarding(tenant).created_at.tzinfo is not None
    assert isinstance(store.onboarding(tenant), Onboarding)


def _check() -> dict[str, object]:
    return {"name": "rate_limits", "passed": True, "detail": "600/min as contracted"}
