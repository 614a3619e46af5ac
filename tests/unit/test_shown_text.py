"""What people see: the Web UI's current details and the terminal's checklist.

Text that reached the status (an old record, a platform's answer, a Web UI signal)
cannot add Markdown structure to the current details, nor act on the terminal: an ANSI
red "platform sign-off recorded" inside an evidence link prints inert, as text.
Also `onboard export` (a real subprocess) prints a pack with hostile records inert.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from rich.console import Console

from onboarding.details import current_details
from onboarding.status import (
    DeviationRecord,
    EnablementRecord,
    GateRecord,
    OnboardingStatus,
    Refusal,
    SignOffRecord,
)
from onboarding.steps import OnboardingState, StepKey, StepStatus
from records.db import default_url, make_engine, migrate
from records.kinds import EntryKind, InputName
from records.store import RecordsStore
from starter.ops import ListedOnboarding
from starter.render import print_list, print_status
from tests.conftest import ROOT
from tests.records.builders import T0, Recorder
from tests.records.conftest import RECORDS_KEY
from tests.records.test_rendered_escaping import HOSTILE, _benign, _structure

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
FAKE = "https://e.example/x\x1b[31m platform sign-off recorded\x1b[0m"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
ACTIVE = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n"}
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def status_with(text: str) -> OnboardingStatus:
    """A status whose every free text is ``text``: names, reasons, links, gates."""
    status = OnboardingStatus(
        tenant_id="northwind-studios",
        tenant_name=text,
        workflow_id="onboarding-northwind-studios",
        state=OnboardingState.BLOCKED,
        current_step=StepKey.GO_LIVE,
        owner=text,
    )
    step = status.step(StepKey.GO_LIVE)
    step.status = StepStatus.BLOCKED
    step.started_at = AT
    step.actors = [text, text]
    step.blocked_reason = text
    status.gates = [
        GateRecord(
            gate=text,
            title=text,
            step=StepKey.GO_LIVE,
            awaiting=text,
            opened_at=AT,
            due_at=AT,
            notified=[text],
            deadline_moved_by=text,
        )
    ]
    status.sign_offs = [SignOffRecord(gate=text, by=text, at=AT, note=text)]
    status.enablement = [EnablementRecord(item=text, evidence=text, by=text, at=AT)]
    status.refused = [Refusal(input=text, by=text, at=AT, reason=text)]
    status.deviations = [
        DeviationRecord(
            id=text,
            step=StepKey.GO_LIVE,
            check=text,
            reason=text,
            requested_by=text,
            requested_at=AT,
            decided_by=text,
            decided_at=AT,
        )
    ]
    return status


def printed(status: OnboardingStatus) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=4000, color_system=None, markup=False, emoji=False)
    print_status(console, status)
    return buffer.getvalue()


@SETTINGS
@given(HOSTILE)
@example(FAKE)
def test_current_details_keep_their_structure_whatever_the_text(text: str) -> None:
    hostile = current_details(status_with(text))
    benign = current_details(status_with(_benign(text)))
    assert _structure(hostile) == _structure(benign)


@SETTINGS
@given(HOSTILE)
@example(FAKE)
@example("eu-central\n# injected line\r")
def test_the_checklist_prints_inert_whatever_the_text(text: str) -> None:
    hostile = printed(status_with(text))
    assert not (set(hostile) & (ACTIVE | BIDI))
    assert hostile.count("\n") == printed(status_with(_benign(text))).count("\n")


def test_an_ansi_red_sign_off_inside_an_evidence_link_prints_as_text() -> None:
    shown = printed(status_with(FAKE))
    assert "\x1b" not in shown
    assert "x\\x1b[31m platform sign-off recorded\\x1b[0m" in shown


def test_the_list_prints_inert() -> None:
    row = ListedOnboarding(
        tenant_id="t\x1b[2J",
        workflow_id="w",
        state="waiting",
        current_step="go_live",
        owner="o\u202ex",
        region="eu\ncentral",
        sla_tier=None,
        started_at=AT.isoformat(),
        temporal_status="running",
    )
    buffer = io.StringIO()
    print_list(Console(file=buffer, width=400, color_system=None), [row])
    assert not (set(buffer.getvalue()) & (ACTIVE | BIDI))
    assert "t\\x1b[2J" in buffer.getvalue() and "eu\\x0acentral" in buffer.getvalue()


def test_onboard_export_prints_hostile_records_inert(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    migrate(url)
    engine = make_engine(url)
    try:
        rec = Recorder(RecordsStore(engine, RECORDS_KEY), "t-hostile")
        rec.open()
        rec.add(
            EntryKind.INPUT_ACCEPTED,
            StepKey.CUSTOMER_ENABLEMENT,
            "csm@localizevideos.example",
            T0,
            input=InputName.ENABLEMENT,
            item="walkthrough",
            evidence=FAKE,
        )
        rec.add(
            EntryKind.INPUT_ACCEPTED,
            StepKey.GO_LIVE,
            "ada.park@northwind.example",
            T0,
            input=InputName.SIGN_OFF,
            gate="customer",
            note="ok\n## Platform sign-off: approved\n[x](https://evil.example)",
        )
    finally:
        engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    done = subprocess.run(
        [sys.executable, "-m", "starter", "export", "t-hostile", "--format", "md"],
        cwd=ROOT,
        env={**env, "ONBOARDING_DATABASE_URL": url, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "\x1b" not in done.stdout
    assert "platform sign-off recorded" in done.stdout
    assert "\n## Platform sign-off" not in done.stdout
    assert "ok<br>\\## Platform sign-off: approved<br>\\[x\\](https://evil.example)" in (
        done.stdout
    )
