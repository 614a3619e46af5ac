"""What `onboard verify` holds a record against besides its own chain: the head the
workflow (or an export) knows, and each accepted input's own signature."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from onboarding.keys import fingerprint
from onboarding.problems import InputFileError, load_roster
from onboarding.proof import reverify
from records.kinds import EntryKind
from records.models import Entry
from starter.errors import CliError
from worker.config import Settings


@dataclass(frozen=True)
class Anchor:
    """A point of the chain someone outside the database saw: entry `seq` had `hash`."""

    seq: int
    hash: str
    source: str

    @classmethod
    def parse(cls, text: str, source: str) -> Anchor:
        seq, _, digest = text.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise CliError(f"refused: --head {text!r} is not SEQ:HASH as an export prints it")
        return cls(int(seq), digest.lower(), source)

    def problem(self, head_seq: int, entries: Mapping[int, Entry]) -> str | None:
        """Why the store does not hold this point (None: it does)."""
        if head_seq < self.seq:
            return (
                f"{self.source} has {self.seq} entries, the store only {head_seq}: entries "
                "were removed from the end"
            )
        entry = entries.get(self.seq)
        if entry is None or entry.hash != self.hash:
            return f"entry {self.seq} is not the one {self.source} saw written (rewritten)"
        return None

    def describe(self) -> str:
        return f"entry {self.seq} is the one {self.source} saw written"


@dataclass(frozen=True)
class WorkflowView:
    """What Temporal says of the onboarding (nothing if it is gone or unreachable)."""

    exists: bool
    anchor: Anchor | None
    note: str


async def workflow_anchor(settings: Settings, tenant_id: str) -> WorkflowView:
    """The head the onboarding's workflow saw written, if Temporal still has it."""
    from starter import ops
    from worker.client import connect

    try:
        client = await connect(settings.temporal)
    except RuntimeError:
        return WorkflowView(False, None, f"Temporal at {settings.temporal.address} not reachable")
    try:
        status = await ops.get_status(client, tenant_id)
    except CliError as err:
        return WorkflowView(False, None, err.message)
    note = f"the onboarding's workflow ({status.state.value})"
    if status.records is None or status.records.hash is None:
        return WorkflowView(True, None, f"{note} has written nothing yet")
    return WorkflowView(True, Anchor(status.records.seq, status.records.hash, note), note)


@dataclass(frozen=True)
class InputCheck:
    """One accepted input's signature, re-verified."""

    seq: int
    input: str
    signer: str
    fingerprint: str
    signed_at: str
    channel: str
    valid: bool
    key_known: bool
    """Whether the key is still in force (on the roster, or the approvals service's)."""


def check_inputs(entries: Sequence[Entry], settings: Settings) -> list[InputCheck]:
    """Re-verify every stored input signature with the public key it names."""
    known = _known_keys(settings)
    checks = []
    for entry in entries:
        signed = entry.payload.get("signed") if entry.kind == EntryKind.INPUT_ACCEPTED else None
        if not isinstance(signed, dict):
            continue
        key = str(signed.get("key", ""))
        try:
            shown = fingerprint(key)
        except ValueError:
            shown = "unreadable key"
        checks.append(
            InputCheck(
                seq=entry.seq,
                input=str(signed.get("input", "?")),
                signer=str(signed.get("signer", "?")),
                fingerprint=shown,
                signed_at=str(signed.get("signed_at", "?")),
                channel=str(entry.payload.get("channel", "staff")),
                valid=reverify(signed),
                key_known=key in known,
            )
        )
    return checks


def _known_keys(settings: Settings) -> set[str]:
    keys: set[str] = set(settings.approvals_keys())
    try:
        roster = load_roster(settings.roster_file)
    except InputFileError:
        return keys
    for person in roster.people:
        keys.update(person.public_keys)
    return keys
