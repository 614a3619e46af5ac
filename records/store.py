"""Append-only, idempotent writes to the records store, and the reads an export needs."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.chain import GENESIS_HASH, VerifyResult, canonical_json, entry_hash, verify_entries
from records.db import WRITE_OPTION
from records.errors import IdempotencyConflict, OnboardingConflict, UnknownTenant
from records.kinds import STEP_KINDS, EntryKind
from records.models import (
    ACTOR_LENGTH,
    IDEMPOTENCY_KEY_LENGTH,
    STEP_LENGTH,
    TENANT_ID_LENGTH,
    WORKFLOW_ID_LENGTH,
    Entry,
    Onboarding,
)
from records.payloads import validate_payload
from records.signing import RecordsSigner, RecordsVerifier, entry_message, head_message
from records.times import as_utc


class ReadOnlyStore(RuntimeError):
    """A write to a store opened without the records key."""


@dataclass(frozen=True)
class Snapshot:
    """One consistent read of an onboarding: its row, its entries and their verification."""

    onboarding: Onboarding
    entries: tuple[Entry, ...]
    verification: VerifyResult


class NewEntry(Protocol):
    """An entry to append (the workflow's `AuditEntry` is one)."""

    @property
    def kind(self) -> str: ...
    @property
    def step(self) -> str | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def key(self) -> str: ...


@dataclass(frozen=True)
class _Draft:
    """An entry checked and normalised, before it gets its place in the chain."""

    kind: EntryKind
    step: str | None
    actor: str
    occurred_at: datetime
    payload: dict[str, Any]
    idempotency_key: str


class RecordsStore:
    """The records of every onboarding, written only by appending.

    Every write is idempotent on its idempotency key and safe against concurrent writers
    of the same onboarding (PostgreSQL: the onboarding row is locked `FOR UPDATE`;
    SQLite: the write transaction begins `IMMEDIATE`). Every entry and every chain head
    is signed with the records key. Methods block: call them from a thread
    (`asyncio.to_thread`) in async code. Returned rows are detached copies.
    """

    def __init__(
        self,
        engine: Engine,
        signer: RecordsSigner | None = None,
        verifier: RecordsVerifier | None = None,
    ) -> None:
        """Use an engine made by `records.db.make_engine` on a migrated database.

        Args:
            engine: The engine.
            signer: The records key; without it the store only reads.
            verifier: The records keys whose signatures `verify` accepts (default: the
                signer's own).
        """
        self._signer = signer
        self._verifier = verifier or (signer.verifier() if signer else None)
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self._reader: Engine = engine
        if engine.dialect.name == "postgresql":
            self._reader = engine.execution_options(isolation_level="REPEATABLE READ")

    @property
    def engine(self) -> Engine:
        """The engine the store writes through."""
        return self._engine

    @property
    def verifier(self) -> RecordsVerifier | None:
        """The records keys signatures are checked against (None: not checked)."""
        return self._verifier

    def _signing(self) -> RecordsSigner:
        if self._signer is None:
            raise ReadOnlyStore(
                "this records store was opened without the records key, so it only reads "
                "(ONBOARDING_RECORDS_KEY_FILE names the key on the worker)"
            )
        return self._signer

    def ensure_onboarding(
        self,
        tenant_id: str,
        workflow_id: str,
        contract: Mapping[str, Any],
        created_at: datetime,
        actor: str,
    ) -> Onboarding:
        """Record an onboarding once, with entry 1 (`onboarding_opened`) holding the contract.

        Calling it again for the same tenant and workflow returns the recorded onboarding
        and writes nothing (the contract given the first time stays).

        Args:
            tenant_id: The tenant's id.
            workflow_id: The onboarding workflow's id.
            contract: The contract summary as JSON (`Contract.model_dump(mode="json")`).
            created_at: When the onboarding started (aware datetime).
            actor: Who started it.

        Raises:
            OnboardingConflict: The tenant is recorded under another workflow id.
        """
        _text("tenant_id", tenant_id, TENANT_ID_LENGTH)
        _text("workflow_id", workflow_id, WORKFLOW_ID_LENGTH)
        summary = json.loads(canonical_json(dict(contract)))
        draft = _draft(
            EntryKind.ONBOARDING_OPENED,
            None,
            actor,
            created_at,
            {"workflow_id": workflow_id, "contract": summary},
            f"{tenant_id}:onboarding_opened",
        )
        found = self._find_onboarding(tenant_id)
        if found is not None:
            return _same_workflow(found, workflow_id)
        signer = self._signing()
        try:
            with self._write() as session:
                onboarding = Onboarding(
                    tenant_id=tenant_id,
                    workflow_id=workflow_id,
                    contract=summary,
                    created_at=draft.occurred_at,
                    head_seq=0,
                    head_hash=None,
                )
                session.add(onboarding)
                session.flush()
                _chain_onto(session, onboarding, draft, signer)
                return onboarding
        except IntegrityError:
            found = self._find_onboarding(tenant_id)
            if found is None:
                raise
            return _same_workflow(found, workflow_id)

    def append(
        self,
        tenant_id: str,
        kind: EntryKind | str,
        step: str | None,
        actor: str,
        occurred_at: datetime,
        payload: Mapping[str, Any],
        idempotency_key: str,
    ) -> Entry:
        """Append one entry to a tenant's record, exactly once per idempotency key.

        Args:
            tenant_id: The tenant whose onboarding it belongs to.
            kind: What happened (an `EntryKind`).
            step: The step it happened in (a `StepKey` value); required for step kinds.
            actor: Who did it: an e-mail, or `system:<component>`.
            occurred_at: When it happened (aware datetime; stored in UTC).
            payload: JSON-serialisable details; see `records.payloads` for each kind.
            idempotency_key: Stable across retries of the activity that writes it.

        Returns:
            The new entry, or the entry already recorded under the key (nothing written).

        Raises:
            UnknownTenant: No onboarding is recorded for the tenant.
            IdempotencyConflict: The key belongs to another tenant, kind or step.
            ValueError: The entry is malformed (naive time, missing payload field, ...).
        """
        draft = _draft(EntryKind(kind), step, actor, occurred_at, payload, idempotency_key)
        _text("tenant_id", tenant_id, TENANT_ID_LENGTH)
        known = self._find_by_key(draft.idempotency_key)
        if known is not None:
            return _same_entry(known, tenant_id, draft)
        signer = self._signing()
        try:
            with self._write() as session:
                onboarding = _locked(session, tenant_id)
                known = _by_key(session, draft.idempotency_key)
                if known is not None:
                    return _same_entry(known, tenant_id, draft)
                return _chain_onto(session, onboarding, draft, signer)
        except IntegrityError:
            known = self._find_by_key(draft.idempotency_key)
            if known is None:
                raise
            return _same_entry(known, tenant_id, draft)

    def append_all(self, tenant_id: str, entries: Sequence[NewEntry]) -> list[str]:
        """Append a batch in one transaction, each entry exactly once per its key.

        What `append` does for each entry, with one lock and one commit for all of them
        (a workflow's batch is written by one activity; a commit per entry was most of
        its cost). An entry the store refuses does not hold the others up.

        Returns:
            One refusal per refused entry ("KEY (KIND): why"); empty when all are recorded.

        Raises:
            UnknownTenant: No onboarding is recorded for the tenant.
        """
        _text("tenant_id", tenant_id, TENANT_ID_LENGTH)
        invalid: list[str] = []
        drafts: list[_Draft] = []
        for e in entries:
            try:
                drafts.append(
                    _draft(EntryKind(e.kind), e.step, e.actor, e.occurred_at, e.payload, e.key)
                )
            except ValueError as err:
                invalid.append(_refusal(e.key, e.kind, err))
        if not drafts:
            return invalid
        try:
            return invalid + self._chain_all(tenant_id, drafts)
        except IntegrityError:
            # Another writer recorded one of these keys first: one at a time sorts it out.
            conflicts = []
            for d in drafts:
                try:
                    self.append(
                        tenant_id,
                        d.kind,
                        d.step,
                        d.actor,
                        d.occurred_at,
                        d.payload,
                        d.idempotency_key,
                    )
                except IdempotencyConflict as err:
                    conflicts.append(_refusal(d.idempotency_key, d.kind, err))
            return invalid + conflicts

    def _chain_all(self, tenant_id: str, drafts: Sequence[_Draft]) -> list[str]:
        """Chain every new draft under one lock; the conflicting ones are refused."""
        signer = self._signing()
        conflicts: list[str] = []
        with self._write() as session:
            onboarding = _locked(session, tenant_id)
            for draft in drafts:
                known = _by_key(session, draft.idempotency_key)
                if known is None:
                    _chain_onto(session, onboarding, draft, signer)
                    continue
                try:
                    _same_entry(known, tenant_id, draft)
                except IdempotencyConflict as err:
                    conflicts.append(_refusal(draft.idempotency_key, draft.kind, err))
        return conflicts

    def onboarding(self, tenant_id: str) -> Onboarding:
        """Return a tenant's onboarding row.

        Raises:
            UnknownTenant: No onboarding is recorded for the tenant.
        """
        found = self._find_onboarding(tenant_id)
        if found is None:
            raise UnknownTenant(tenant_id)
        return found

    def tenants(self) -> list[str]:
        """Return the id of every tenant with a recorded onboarding, sorted."""
        with self._read() as session:
            return list(
                session.scalars(select(Onboarding.tenant_id).order_by(Onboarding.tenant_id))
            )

    def entries(
        self,
        tenant_id: str,
        *,
        kinds: Collection[EntryKind | str] | None = None,
        step: str | None = None,
    ) -> list[Entry]:
        """Return a tenant's entries in order, optionally only some kinds or one step.

        Raises:
            UnknownTenant: No onboarding is recorded for the tenant.
        """
        with self._read() as session:
            onboarding = _onboarding(session, tenant_id)
            query = select(Entry).where(Entry.onboarding_id == onboarding.id)
            if kinds is not None:
                query = query.where(Entry.kind.in_([str(k) for k in kinds]))
            if step is not None:
                query = query.where(Entry.step == str(step))
            return list(session.scalars(query.order_by(Entry.seq)))

    def entry_by_key(self, idempotency_key: str) -> Entry | None:
        """Return the entry recorded under an idempotency key, if any."""
        found = self._find_by_key(idempotency_key)
        return None if found is None else found[0]

    def snapshot(self, tenant_id: str) -> Snapshot:
        """Read an onboarding, all its entries and their verification in one transaction.

        Raises:
            UnknownTenant: No onboarding is recorded for the tenant.
        """
        with self._read() as session:
            onboarding = _onboarding(session, tenant_id)
            entries = tuple(
                session.scalars(
                    select(Entry).where(Entry.onboarding_id == onboarding.id).order_by(Entry.seq)
                )
            )
            return Snapshot(
                onboarding, entries, verify_entries(onboarding, entries, self._verifier)
            )

    def verify(self, tenant_id: str) -> VerifyResult:
        """Re-compute a tenant's hash chain (see `records.chain.verify`).

        Raises:
            UnknownTenant: No onboarding is recorded for the tenant.
        """
        return self.snapshot(tenant_id).verification

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """One read transaction (a snapshot); rows stay readable after it ends."""
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            yield session

    def _find_onboarding(self, tenant_id: str) -> Onboarding | None:
        with self._read() as session:
            return session.scalars(
                select(Onboarding).where(Onboarding.tenant_id == tenant_id)
            ).one_or_none()

    def _find_by_key(self, idempotency_key: str) -> tuple[Entry, str] | None:
        with self._read() as session:
            return _by_key(session, idempotency_key)


def _onboarding(session: Session, tenant_id: str) -> Onboarding:
    found = session.scalars(
        select(Onboarding).where(Onboarding.tenant_id == tenant_id)
    ).one_or_none()
    if found is None:
        raise UnknownTenant(tenant_id)
    return found


def _locked(session: Session, tenant_id: str) -> Onboarding:
    """The tenant's onboarding row, locked for this transaction's appends."""
    onboarding = session.scalars(
        select(Onboarding).where(Onboarding.tenant_id == tenant_id).with_for_update()
    ).one_or_none()
    if onboarding is None:
        raise UnknownTenant(tenant_id)
    return onboarding


def _by_key(session: Session, idempotency_key: str) -> tuple[Entry, str] | None:
    row = session.execute(
        select(Entry, Onboarding.tenant_id)
        .join(Onboarding, Onboarding.id == Entry.onboarding_id)
        .where(Entry.idempotency_key == idempotency_key)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def _chain_onto(
    session: Session, onboarding: Onboarding, draft: _Draft, signer: RecordsSigner
) -> Entry:
    """Add a draft as the onboarding's next entry, sign it and move the signed head
    (the caller holds the lock)."""
    seq = onboarding.head_seq + 1
    prev_hash = onboarding.head_hash or GENESIS_HASH
    entry = Entry(
        onboarding_id=onboarding.id,
        seq=seq,
        kind=draft.kind.value,
        step=draft.step,
        actor=draft.actor,
        occurred_at=draft.occurred_at,
        payload=draft.payload,
        idempotency_key=draft.idempotency_key,
        prev_hash=prev_hash,
        hash=entry_hash(
            tenant_id=onboarding.tenant_id,
            seq=seq,
            kind=draft.kind.value,
            step=draft.step,
            actor=draft.actor,
            occurred_at=draft.occurred_at,
            payload=draft.payload,
            prev_hash=prev_hash,
        ),
    )
    entry.signature = signer.sign(entry_message(onboarding.tenant_id, seq, entry.hash))
    entry.key_id = signer.key_id
    session.add(entry)
    onboarding.head_seq = seq
    onboarding.head_hash = entry.hash
    onboarding.head_signature = signer.sign(head_message(onboarding.tenant_id, seq, entry.hash))
    onboarding.head_key_id = signer.key_id
    session.flush()
    return entry


def _draft(
    kind: EntryKind,
    step: str | None,
    actor: str,
    occurred_at: datetime,
    payload: Mapping[str, Any],
    idempotency_key: str,
) -> _Draft:
    if kind in STEP_KINDS and step is None:
        raise ValueError(f"a {kind.value!r} entry must name its step")
    step_text = None if step is None else _text("step", str(step), STEP_LENGTH)
    canonical = canonical_json(dict(payload))
    validate_payload(kind, canonical)
    return _Draft(
        kind=kind,
        step=step_text,
        actor=_text("actor", actor, ACTOR_LENGTH),
        occurred_at=as_utc(occurred_at),
        payload=json.loads(canonical),
        idempotency_key=_text("idempotency_key", idempotency_key, IDEMPOTENCY_KEY_LENGTH),
    )


def _refusal(key: str, kind: str, err: Exception) -> str:
    return f"{key} ({kind}): {str(err)[:300]}"


def _text(field: str, value: str, max_length: int) -> str:
    """Refuse what one database would store and the other would not."""
    plain = str(value)
    if not plain or len(plain) > max_length or "\x00" in plain:
        raise ValueError(
            f"{field} must be 1-{max_length} characters without NUL, got {plain[:80]!r}"
        )
    return plain


def _same_entry(known: tuple[Entry, str], tenant_id: str, draft: _Draft) -> Entry:
    entry, known_tenant = known
    if (known_tenant, entry.kind, entry.step) != (tenant_id, draft.kind.value, draft.step):
        raise IdempotencyConflict(
            f"idempotency key {draft.idempotency_key!r} already recorded entry {entry.seq} "
            f"({entry.kind}, step {entry.step}) of tenant {known_tenant!r}; derive keys from "
            "the workflow id, the step and what is recorded so they never collide"
        )
    return entry


def _same_workflow(onboarding: Onboarding, workflow_id: str) -> Onboarding:
    if onboarding.workflow_id != workflow_id:
        raise OnboardingConflict(
            f"tenant {onboarding.tenant_id!r} is already recorded under workflow "
            f"{onboarding.workflow_id!r}, not {workflow_id!r}: one onboarding per tenant"
        )
    return onboarding
