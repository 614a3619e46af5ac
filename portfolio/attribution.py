"""Each wait of an onboarding attributed to whoever it waited on, from its own records.

The rules (docs/report.md, "Attribution"):

1. A wait for people lasts from its `wait_started` to its `wait_finished` (or the report's
   time while open). At every moment it is shared equally by the parties whose gates are
   still open then: the customer's gates (customer sign-off, review feedback) and staff's
   (owner assignment, enablement evidence, platform and support sign-offs). A gate closes
   with the accepted input that gives it.
2. A wait without gates (the review's date) is the schedule's.
3. A block lasts from the `step_finished` with status `blocked` to the next
   `step_started` of that step (the retry or the waiver). While a deviation for that step
   is pending (requested, not yet approved or rejected) it is the approvals'; otherwise
   the platform's.

Each interval is cut into pieces that cover it exactly, in integer microseconds, so the
attributed waits of an onboarding add up to its total wait to the microsecond.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from portfolio.parties import PARTY_ORDER, Party
from portfolio.timeline import Block, Timeline, Wait

_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class Piece:
    """Part of a wait, attributed to one party."""

    step: str
    party: Party
    start: datetime
    end: datetime
    micros: int
    """The party's share of [start, end) (less than its length when it is shared)."""


def micros(delta: timedelta) -> int:
    """Return a duration in whole microseconds (never negative)."""
    return max(delta // _US, 0)


def attribute(timeline: Timeline) -> list[Piece]:
    """Return every wait and block of the onboarding, cut into attributed pieces."""
    pieces: list[Piece] = []
    for wait in timeline.waits:
        pieces += _wait_pieces(timeline, wait)
    for block in timeline.blocks:
        pieces += _block_pieces(timeline, block)
    return pieces


def total_wait(timeline: Timeline) -> int:
    """Return the onboarding's total wait in microseconds: every wait and every block."""
    spans = [(w.started_at, w.finished_at) for w in timeline.waits]
    spans += [(b.started_at, b.ended_at) for b in timeline.blocks]
    return sum(micros((end or timeline.as_of) - start) for start, end in spans)


def by_party(pieces: list[Piece]) -> dict[Party, int]:
    """Sum pieces per party, every party present (0 when it was never waited on)."""
    sums: dict[Party, int] = dict.fromkeys(PARTY_ORDER, 0)
    for piece in pieces:
        sums[piece.party] += piece.micros
    return sums


def by_step_and_party(pieces: list[Piece]) -> dict[str, dict[Party, int]]:
    """Sum pieces per step, then per party."""
    sums: dict[str, dict[Party, int]] = defaultdict(lambda: dict.fromkeys(PARTY_ORDER, 0))
    for piece in pieces:
        sums[piece.step][piece.party] += piece.micros
    return dict(sums)


def _wait_pieces(timeline: Timeline, wait: Wait) -> list[Piece]:
    end = wait.finished_at or timeline.as_of
    if end <= wait.started_at:
        return []
    gates = [timeline.gates[g] for g in wait.gates if g in timeline.gates]
    if not gates:
        return [_piece(wait.step, Party.SCHEDULE, wait.started_at, end)]
    cuts = sorted(
        {wait.started_at, end}
        | {g.closed_at for g in gates if g.closed_at and wait.started_at < g.closed_at < end}
    )
    last_party = max(gates, key=lambda g: g.closed_at or end).party
    pieces: list[Piece] = []
    for start, stop in pairwise(cuts):
        open_now = [g for g in gates if g.closed_at is None or g.closed_at > start]
        parties = [p for p in PARTY_ORDER if any(g.party is p for g in open_now)]
        pieces += _shared(wait.step, parties or [last_party], start, stop)
    return pieces


def _block_pieces(timeline: Timeline, block: Block) -> list[Piece]:
    end = block.ended_at or timeline.as_of
    if end <= block.started_at:
        return []
    pending = sorted(
        (max(d.requested_at, block.started_at), min(d.decided_at or end, end))
        for d in timeline.deviations.values()
        if d.step == block.step and d.requested_at is not None
    )
    pieces: list[Piece] = []
    cursor = block.started_at
    for start, stop in pending:
        if stop <= cursor:
            continue
        if start > cursor:
            pieces.append(_piece(block.step, Party.PLATFORM, cursor, start))
            cursor = start
        pieces.append(_piece(block.step, Party.APPROVALS, cursor, stop))
        cursor = stop
    if cursor < end:
        pieces.append(_piece(block.step, Party.PLATFORM, cursor, end))
    return pieces


def _piece(step: str, party: Party, start: datetime, end: datetime) -> Piece:
    return Piece(step, party, start, end, micros(end - start))


def _shared(step: str, parties: list[Party], start: datetime, end: datetime) -> list[Piece]:
    """Split [start, end) equally; the first party takes the microseconds left over."""
    length = micros(end - start)
    share, rest = divmod(length, len(parties))
    return [
        Piece(step, party, start, end, share + (rest if i == 0 else 0))
        for i, party in enumerate(parties)
    ]
