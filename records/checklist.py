"""The checklist of an onboarding, rebuilt from its entries: runs, waits, checks, actors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onboarding.steps import STEP_ORDER, STEP_TITLES, StepKey
from records.kinds import EntryKind, StepOutcome
from records.models import Entry
from records.times import display_iso, display_utc

_Doc = dict[str, Any]


def checklist(entries: Sequence[Entry], deviations: dict[str, _Doc]) -> list[_Doc]:
    """Return one line per step (catalogue order, then any other step recorded).

    Each line has the step's status, first start, final finish, actors in order of
    appearance, every run and wait with its times, and every check with its evidence.
    """
    return [_step(key, entries, deviations) for key in _steps_in(entries)]


def deviations(entries: Sequence[Entry]) -> dict[str, _Doc]:
    """Return every deviation by id: request, requester, decision, approver, times."""
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


def _steps_in(entries: Sequence[Entry]) -> list[str]:
    """Every catalogue step in order, then any other step the records mention."""
    keys: list[str] = [k.value for k in STEP_ORDER]
    for entry in entries:
        if entry.step is not None and entry.step not in keys:
            keys.append(entry.step)
    return keys


def _step(key: str, entries: Sequence[Entry], deviations: dict[str, _Doc]) -> _Doc:
    mine = [e for e in entries if step_of(e, deviations) == key]
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
        "checked_at": display_iso(payload.get("checked_at")),
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


def step_of(entry: Entry, deviations: dict[str, _Doc]) -> str | None:
    """The entry's step; a deviation decision belongs to the step of its request."""
    if entry.step is not None:
        return entry.step
    if entry.kind in (EntryKind.DEVIATION_APPROVED, EntryKind.DEVIATION_REJECTED):
        deviation = deviations.get(str(entry.payload.get("deviation_id")))
        return None if deviation is None else deviation["step"]
    return None


def _at(entry: Entry) -> str:
    return display_utc(entry.occurred_at)


def _title(key: str) -> str:
    try:
        return STEP_TITLES[StepKey(key)]
    except ValueError:
        return key
