"""The records key: what someone with write access to the database cannot do unnoticed.

Each test plays an attacker who can run any SQL but does not hold the records key (it
lives outside the database), the way the issue's trial did.
"""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from onboarding.steps import StepKey
from records.chain import verify_entries
from records.signing import RecordsSigner, RecordsVerifier
from records.store import RecordsStore
from tests.records.builders import T0, Recorder, rewrite_actor_from
from tests.records.conftest import RECORDS_KEY


def _recorded(store: RecordsStore, tenant: str) -> None:
    rec = Recorder(store, tenant)
    rec.open()
    rec.run_step(StepKey.PRE_ONBOARDING, T0 + timedelta(seconds=1), ["a", "b", "c"])


def test_a_chain_recomputed_after_changing_an_actor_fails(store: RecordsStore, tenant: str) -> None:
    _recorded(store, tenant)
    rewrite_actor_from(store, tenant, 3, "mallory@evil.example")

    plain = verify_entries(store.onboarding(tenant), store.entries(tenant))
    assert plain.ok  # the hashes alone are consistent again: the old trial's "intact"

    result = store.verify(tenant)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert result.reason is not None and "not signed by the records key" in result.reason


def test_deleting_the_last_entry_and_moving_the_head_back_fails(
    store: RecordsStore, tenant: str
) -> None:
    _recorded(store, tenant)
    entries = store.entries(tenant)
    last, before = entries[-1], entries[-2]
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM entries WHERE id = :i"), {"i": last.id})
        conn.execute(
            text("UPDATE onboardings SET head_seq = :s, head_hash = :h WHERE tenant_id = :t"),
            {"s": before.seq, "h": before.hash, "t": tenant},
        )

    result = store.verify(tenant)

    assert not result.ok
    assert result.reason is not None and "head is not signed" in result.reason


def test_entries_signed_with_another_key_fail(store: RecordsStore, tenant: str) -> None:
    intruder = RecordsStore(store.engine, RecordsSigner(Ed25519PrivateKey.generate()))
    Recorder(intruder, tenant).open()

    result = store.verify(tenant)

    assert (result.ok, result.first_bad_seq) == (False, 1)


def test_a_rotated_in_key_and_the_old_one_both_verify(store: RecordsStore, tenant: str) -> None:
    _recorded(store, tenant)
    newer = RecordsSigner(Ed25519PrivateKey.generate())
    both = RecordsVerifier.of([RECORDS_KEY.public_key, newer.public_key])
    rotated = RecordsStore(store.engine, newer, both)
    Recorder(rotated, tenant).run_step(StepKey.INTERNAL_READINESS, T0 + timedelta(minutes=1), ["x"])

    assert rotated.verify(tenant).ok
    only_new = RecordsStore(store.engine, newer, RecordsVerifier.of([newer.public_key]))
    assert not only_new.verify(tenant).ok  # the old key's entries need the old public key
