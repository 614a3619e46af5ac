"""Assemble an onboarding's evidence pack from its records alone (no Temporal needed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from onboarding.steps import STEP_ORDER, STEP_TITLES, StepKey
from records.kinds import EntryKind, InputName, StepOutcome
from records.models import Entry
from records.store import Snapshot
from records.times import display_utc, iso_utc

FORMAT = "localizevideos-onboarding-evidence/1"
"""Name and version of the export's JSON layout."""

_Doc = dict[str, Any]


def build_evidence(snapshot: Snapshot) -> _Doc:
    """Return the evidence pack of one onboarding as plain JSON-ready data."""
    onboarding, entries = snapshot.onboarding, snapshot.entries
    deviations = _deviations(entries)
    checklist = [_step(key, entries, deviations) for key in _steps_in(entries)]
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
        "state": _state(checklist),
        "owner": _owner(accepted),
        "go_live_at": _go_live_at(entries),
        "contract": contract,
        "checklist": checklist,
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
        "deviations": list(deviations.values()),
        "documents": [
            _item(e, "document", "template_version", "content_hash", "recipients")
            for e in _of(entries, EntryKind.DOCUMENT_DELIVERED)
        ],
        "artifacts": [
            _item(e, "name", "location", "sha256") for e in _of(entries, EntryKind.ARTIFACT)
        ],
        "notifications": [
            _item(e, "channel", "recipients", "subject")
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
        },
        "ledger": [_ledger_row(e) for e in entries],
    }


def _steps_in(entries: Sequence[Entry]) -> list[str]:
    """Every catalogue step in order, then any other step the records mention."""
    keys: list[str] = [k.value for k in STEP_ORDER]
    for entry in entries:
        if entry.step is not None and entry.step not in keys:
            keys.append(entry.step)
    return keys


def _step(key: str, entries: Sequence[Entry], deviations: dict[str, _Doc]) -> _Doc:
    mine = [e for e in entries if _step_of(e, deviations) == key]
    runs: list[_Doc] = []
    waits: list[_Doc] = []
    checks: list[_Doc] = []
    actors: list[str] = []
    for entry in mine:
        if entry.actor not in actors:
            actors.append(entry.actor)
        if entry.kind == EntryKind.STEP_STARTED:
            runs.append(_run(entry, len(runs) + 1))
        elif entry.kind == EntryKind.STEP_FINISHED:
            _finish_run(runs, entry)
        elif entry.kind == EntryKind.WAIT_STARTED:
            waits.append(
                {
                    "waiting_for": entry.payload.get("waiting_for"),
                    "started_at": _at(entry),
                    "finished_at": None,
                }
            )
        elif entry.kind == EntryKind.WAIT_FINISHED:
            _finish_wait(waits, entry)
        elif entry.kind == EntryKind.CHECK:
            checks.append(_check(key, entry, deviations))
    status = _status(runs, waits)
    last = runs[-1] if runs else None
    done = status in (StepOutcome.DONE, StepOutcome.WAIVED)
    return {
        "step": key,
        "title": _title(key),
        "status": status,
        "started_at": runs[0]["started_at"] if runs else None,
        "finished_at": last["finished_at"] if last and done else None,
        "deviation_id": last["deviation_id"] if last and status == StepOutcome.WAIVED else None,
        "actors": actors,
        "runs": runs,
        "waits": waits,
        "checks": checks,
    }


def _run(entry: Entry, number: int) -> _Doc:
    return {
        "run": entry.payload.get("run") or number,
        "started_at": _at(entry),
        "finished_at": None,
        "status": "running",
        "reason": None,
        "deviation_id": None,
    }


def _finish_run(runs: list[_Doc], entry: Entry) -> None:
    if not runs or runs[-1]["finished_at"] is not None:
        runs.append({**_run(entry, len(runs) + 1), "started_at": None})
    runs[-1].update(
        finished_at=_at(entry),
        status=entry.payload.get("status"),
        reason=entry.payload.get("reason"),
        deviation_id=entry.payload.get("deviation_id"),
    )


def _finish_wait(waits: list[_Doc], entry: Entry) -> None:
    open_waits = [w for w in waits if w["finished_at"] is None]
    what = entry.payload.get("waiting_for")
    match = next((w for w in reversed(open_waits) if w["waiting_for"] == what), None)
    match = match or (open_waits[-1] if open_waits else None)
    if match is None:
        match = {"waiting_for": what, "started_at": None, "finished_at": None}
        waits.append(match)
    match["finished_at"] = _at(entry)


def _status(runs: list[_Doc], waits: list[_Doc]) -> str:
    if not runs:
        return "waiting" if any(w["finished_at"] is None for w in waits) else "pending"
    last = runs[-1]
    if last["finished_at"] is None:
        return "waiting" if any(w["finished_at"] is None for w in waits) else "running"
    return str(last["status"])


def _check(step: str, entry: Entry, deviations: dict[str, _Doc]) -> _Doc:
    payload = entry.payload
    passed = bool(payload.get("passed"))
    waiver = None if passed else _approved_waiver(step, str(payload.get("name")), deviations)
    return {
        "name": payload.get("name"),
        "passed": passed,
        "result": "passed" if passed else ("waived" if waiver else "failed"),
        "deviation_id": waiver,
        "detail": payload.get("detail"),
        "expected": payload.get("expected"),
        "observed": payload.get("observed"),
        "checked_at": payload.get("checked_at"),
        "recorded_at": _at(entry),
        "actor": entry.actor,
    }


def _approved_waiver(step: str, check: str, deviations: dict[str, _Doc]) -> str | None:
    for deviation in deviations.values():
        if (deviation["step"], deviation["check"], deviation["status"]) == (
            step,
            check,
            "approved",
        ):
            return str(deviation["id"])
    return None


def _deviations(entries: Sequence[Entry]) -> dict[str, _Doc]:
    found: dict[str, _Doc] = {}
    for entry in entries:
        deviation_id = str(entry.payload.get("deviation_id"))
        if entry.kind == EntryKind.DEVIATION_REQUESTED:
            found[deviation_id] = {
                "id": deviation_id,
                "step": entry.step,
                "check": entry.payload.get("check"),
                "reason": entry.payload.get("reason"),
                "requested_by": entry.actor,
                "requested_at": _at(entry),
                "status": "requested",
                "decided_by": None,
                "decided_at": None,
                "note": None,
                "four_eyes": None,
            }
        elif entry.kind in (EntryKind.DEVIATION_APPROVED, EntryKind.DEVIATION_REJECTED):
            deviation = found.setdefault(
                deviation_id,
                {
                    "id": deviation_id,
                    "step": entry.step,
                    "check": None,
                    "reason": None,
                    "requested_by": None,
                    "requested_at": None,
                },
            )
            deviation.update(
                status="approved" if entry.kind == EntryKind.DEVIATION_APPROVED else "rejected",
                decided_by=entry.actor,
                decided_at=_at(entry),
                note=entry.payload.get("note"),
                four_eyes=deviation["requested_by"] not in (None, entry.actor),
            )
    return found


def _step_of(entry: Entry, deviations: dict[str, _Doc]) -> str | None:
    """The entry's step; a deviation decision belongs to the step of its request."""
    if entry.step is not None:
        return entry.step
    if entry.kind in (EntryKind.DEVIATION_APPROVED, EntryKind.DEVIATION_REJECTED):
        deviation = deviations.get(str(entry.payload.get("deviation_id")))
        return None if deviation is None else deviation["step"]
    return None


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
    return str(recorded) if recorded else _at(finished[-1])


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


def _title(key: str) -> str:
    try:
        return STEP_TITLES[StepKey(key)]
    except ValueError:
        return key


def _dig(document: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document
