"""End to end: hostile text in a contract and in a Web UI signal is shown, never obeyed.

The real dev server, worker, sandbox and CLI. A tenant name full of Markdown reaches the
Web UI's summary, static and current details escaped (no link, no emphasis); a region
with a newline is refused before anything starts; an evidence link carrying an ANSI red
"platform sign-off recorded", sent from the Web UI, prints inert in `onboard status`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from starter.devstack import DevStack
from tests.e2e import test_web_ui as web_ui
from tests.e2e.stack import (
    OWNER,
    new_tenant,
    ok,
    onboard,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e

NAME = "Acme *Films* [click](https://evil.example) <b>bold</b> | cell"
FAKE = "https://e.example/rec\x1b[31m platform sign-off recorded\x1b[0m"
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline(markdown: str) -> list[tuple[str, str]]:
    return [
        (child.type, child.content)
        for token in MD.parse(markdown)
        for child in token.children or []
    ]


def _shows_as_text(markdown: str, text: str) -> bool:
    """The text renders as exactly itself (one plain text run), with no link or HTML."""
    found = _inline(markdown)
    assert not [t for t, _ in found if t in ("link_open", "image", "html_inline")]
    return any(kind == "text" and text in content for kind, content in found)


def test_markdown_in_a_tenant_name_is_shown_as_text_in_the_web_ui(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = new_tenant("md")
    path = write_contract(tmp_path, tenant)
    data = yaml.safe_load(path.read_text())
    data["tenant"]["name"] = NAME
    data["contract"]["reference"] = "CTR-*2026*"
    path.write_text(yaml.safe_dump(data))
    ok(stack, "start", str(path), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ui = web_ui.UiApi(stack)

    metadata = ui.describe(f"onboarding-{tenant}")["executionConfig"]["userMetadata"]
    summary, details = ui.decode(metadata["summary"]), ui.decode(metadata["details"])
    current = ui.current_details(f"onboarding-{tenant}")

    assert "Acme \\*Films\\* \\[click\\](https://evil.example) \\<b\\>bold\\</b\\> \\| cell" in (
        summary
    )
    assert "CTR-\\*2026\\*" in details
    assert "Acme \\*Films\\*" in current
    assert _shows_as_text(summary, NAME)
    assert _shows_as_text(current, NAME)
    rows = [line for line in current.splitlines() if line.startswith("| Step 1")]
    assert rows and all(line.count(" | ") == 4 for line in rows)  # no extra table cell


def test_a_region_with_a_newline_is_refused_before_anything_starts(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = new_tenant("nl")
    path = write_contract(tmp_path, tenant)
    data = yaml.safe_load(path.read_text())
    data["data_residency"]["region"] = "eu-central\n# Approved by the board"
    path.write_text(yaml.safe_dump(data))

    refused = onboard(stack, "start", str(path), "--as", OWNER)

    assert refused.returncode == 1
    assert "data_residency.region: is not a platform region name" in refused.stderr
    assert onboard(stack, "status", tenant).returncode == 4


def test_an_ansi_sequence_in_web_ui_evidence_prints_inert(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant("ansi")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    workflow_id = f"onboarding-{tenant}"
    ui = web_ui.UiApi(stack)

    payload = {"by": OWNER, "item": "walkthrough", "evidence": FAKE}
    assert ui.signal(workflow_id, "record_enablement", payload).status_code == 200
    status = wait_for(
        stack,
        tenant,
        lambda s: (
            bool(s["enablement"]) or any(r["input"] == "record_enablement" for r in s["refused"])
        ),
    )

    shown = ok(stack, "status", tenant)
    as_json = ok(stack, "status", tenant, "--json")
    assert "\x1b" not in shown and "\x1b" not in as_json
    if status["enablement"]:  # accepted (the link starts with https://): shown inert
        assert "rec\\x1b[31m platform sign-off recorded\\x1b[0m" in shown
    else:  # refused as evidence: the refusal is listed, inert as well
        assert "refused record_enablement" in shown
    assert json.loads(as_json)["tenant_id"] == tenant
    assert "WorkflowTaskFailed" not in " ".join(ui.history_event_types(workflow_id))
