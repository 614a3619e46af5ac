"""Assemble an onboarding's evidence pack from its records alone (no Temporal needed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from onboarding.steps import StepKey
from records.checklist import checklist, deviations
from records.kinds import EntryKind, InputName, StepOutcome
from records.models import Entry
from records.store import Snapshot
from records.times import display_iso, display_utc, iso_utc

FORMAT = "localizevideos-onboarding-evidence/1"
"""Name and version of the export's JSON layout."""

_Doc = dict[str, Any]


def build_evidence(snapshot: Snapshot) -> _Doc:
    """Return the evidence pack of one onboarding as plain JSON-ready data."""
    onboarding, entries = snapshot.onboarding, snapshot.entries
    found = deviations(entries)
    steps = checklist(entries, found)
    accepted = _of(entries, EntryKind.INPUT_ACCEPTED)
    opened = next((e for e in entries if e.kind == EntryKind.ONBOARDING_OPENED), None)
    contract = onboarding.contract
    return {
        "format": FORMAT,
        "tenant_id": onboarding.tenant_id,
        "tenant_name": _dig(contract, "tenant", "name"),
        "workflow_id": onboarding.workflow_id,
        "created_at": display_utc(onboarding.created_at),
        "started_by": opened.actor if opened else None,
        "as_of": display_utc(max(e.occurred_at for e in entries)) if entries else None,
        "state": _state(steps),
        "owner": _owner(accepted),
        "go_live_at": _go_live_at(entries),
        "contract": contract,
        "checklist": steps,
        "sign_offs": [
            {
                "gate": e.payload.get("gate"),
                "by": e.actor,
                "at": _at(e),
                "note": e.payload.get("note"),
            }
            for e in _inputs(accepted, InputName.SIGN_OFF)
        ],
        "enablement": [
            {
                "item": e.payload.get("item"),
                "evidence": e.payload.get("evidence"),
                "by": e.actor,
                "at": _at(e),
            }
            for e in _inputs(accepted, InputName.ENABLEMENT)
        ],
        "feedback": [
            {"by": e.actor, "at": _at(e), "text": e.payload.get("text")}
            for e in _inputs(accepted, InputName.FEEDBACK)
        ],
        "inputs": [_input(e, "input") for e in accepted],
        "refused_inputs": [
            _input(e, "input", "reason") for e in _of(entries, EntryKind.INPUT_REFUSED)
        ],
        "deviations": list(found.values()),
        "documents": [
            _item(e, "document", "template_version", "content_hash", "recipients")
            for e in _of(entries, EntryKind.DOCUMENT_DELIVERED)
        ],
        "artifacts": [
            _item(e, "name", "location", "sha256") for e in _of(entries, EntryKind.ARTIFACT)
        ],
        "notifications": [
            _item(e, "notification", "gate", "channel", "recipients", "subject")
            for e in _of(entries, EntryKind.NOTIFICATION)
        ],
        "support_model": _support(entries),
        "chain": {
            "ok": snapshot.verification.ok,
            "entries": snapshot.verification.entries,
            "first_bad_seq": snapshot.verification.first_bad_seq,
            "reason": snapshot.verification.reason,
            "head_seq": onboarding.head_seq,
            "head_hash": onboarding.head_hash,
            "signatures_checked": snapshot.verification.signatures_checked,
        },
        "ledger": [_ledger_row(e) for e in entries],
    }


def _state(checklist: list[_Doc]) -> str:
    status = {s["step"]: s["status"] for s in checklist}
    finished = (StepOutcome.DONE, StepOutcome.WAIVED)
    if status.get(StepKey.POST_ONBOARDING_REVIEW) in finished:
        return "completed"
    if status.get(StepKey.GO_LIVE) in finished:
        return "live"
    if any(s in (StepOutcome.BLOCKED, StepOutcome.FAILED) for s in status.values()):
        return "blocked"
    if all(s == "pending" for s in status.values()):
        return "not_started"
    return "in_progress"


def _owner(accepted: list[Entry]) -> _Doc | None:
    assigned = _inputs(accepted, InputName.ASSIGN_OWNER)
    if not assigned:
        return None
    last = assigned[-1]
    return {"email": last.payload.get("owner"), "assigned_by": last.actor, "assigned_at": _at(last)}


def _go_live_at(entries: Sequence[Entry]) -> str | None:
    finished = [
        e
        for e in entries
        if e.kind == EntryKind.STEP_FINISHED
        and e.step == StepKey.GO_LIVE
        and e.payload.get("status") in (StepOutcome.DONE, StepOutcome.WAIVED)
    ]
    if not finished:
        return None
    recorded = finished[-1].payload.get("go_live_at")
    return display_iso(recorded) if recorded else _at(finished[-1])


def _support(entries: Sequence[Entry]) -> _Doc | None:
    registered = _of(entries, EntryKind.SUPPORT_REGISTERED)
    if not registered:
        return None
    last = registered[-1]
    return {**last.payload, "registered_by": last.actor, "registered_at": _at(last)}


def _input(entry: Entry, *named: str) -> _Doc:
    details = {k: v for k, v in entry.payload.items() if k not in named}
    return {
        **{name: entry.payload.get(name) for name in named},
        "step": entry.step,
        "by": entry.actor,
        "at": _at(entry),
        "details": details,
    }


def _item(entry: Entry, *named: str) -> _Doc:
    return {
        **{name: entry.payload.get(name) for name in named},
        "step": entry.step,
        "by": entry.actor,
        "at": _at(entry),
    }


def _ledger_row(entry: Entry) -> _Doc:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "step": entry.step,
        "actor": entry.actor,
        "occurred_at": iso_utc(entry.occurred_at),
        "payload": entry.payload,
        "idempotency_key": entry.idempotency_key,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _of(entries: Iterable[Entry], kind: EntryKind) -> list[Entry]:
    return [e for e in entries if e.kind == kind]


def _inputs(accepted: list[Entry], name: InputName) -> list[Entry]:
    return [e for e in accepted if e.payload.get("input") == name]


def _at(entry: Entry) -> str:
    return display_utc(entry.occurred_at)


def _dig(document: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document
