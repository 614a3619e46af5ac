"""The audit trail end to end: export and verify from the records store, tampering detected,
and a four-eyes deviation through the CLI. Real stack, real CLI."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from starter.devstack import DevStack
from tests.e2e.stack import (
    APPROVER,
    OWNER,
    STEPS,
    admin_of,
    customer_feedback,
    drive_from_enablement,
    drive_to_live,
    new_tenant,
    ok,
    onboard,
    step,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e


def test_export_and_verify_a_finished_onboarding_then_detect_tampering(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = new_tenant("audit")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    drive_to_live(stack, tenant)
    wait_for(stack, tenant, lambda s: step(s, "post_onboarding_review")["checks"] != [])
    customer_feedback(stack, tenant, "All good")
    done = wait_for(stack, tenant, lambda s: s["state"] == "completed")

    # The review's findings are documented: a Markdown report with the feedback, on record.
    report = done["review"]["report"]
    written = Path(report["path"]).read_text(encoding="utf-8")
    assert hashlib.sha256(written.encode()).hexdigest() == report["sha256"]
    assert "All good" in written and done["review"]["findings"]

    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    assert pack["tenant_id"] == tenant and pack["state"] == "completed"
    assert pack["owner"]["email"] == OWNER
    assert [s["step"] for s in pack["checklist"]] == STEPS
    for item in pack["checklist"]:
        assert item["status"] == "done", item
        assert len(item["runs"]) == 1, item
        assert item["started_at"] and item["finished_at"] and item["actors"], item
    assert {s["gate"] for s in pack["sign_offs"]} == {"customer", "platform", "support"}
    assert pack["go_live_at"] and pack["chain"]["ok"] is True
    assert {"name": "post-onboarding-review.md", "sha256": report["sha256"]}.items() <= next(
        a for a in pack["artifacts"] if a["name"] == "post-onboarding-review.md"
    ).items()
    # Step 6 delivered the five versioned documents to the named admin; go-live registered
    # the support model before the support sign-off.
    documents = {d["document"]: d for d in pack["documents"]}
    assert len(documents) == 5
    for doc in documents.values():
        assert doc["template_version"] and len(doc["content_hash"]) == 64
        assert doc["recipients"] == [admin_of(tenant)]
    support = pack["support_model"]
    assert support["primary_channel"] and len(support["severities"]) == 4
    assert support["escalation_contacts"][0]["email"] == "sam.ortiz@northwind.example"
    rate = [c for s in pack["checklist"] for c in s["checks"] if c["name"] == "rate_limit"]
    assert rate and rate[-1]["passed"] is True and rate[-1]["expected"] == 600

    out_file = tmp_path / "pack.md"
    ok(stack, "export", tenant, "--format", "md", "-o", str(out_file))
    markdown = out_file.read_text()
    # The pack opens with a Gantt chart of the onboarding: one run per step here.
    assert markdown.startswith("# Onboarding evidence")
    assert markdown.split("\n")[2:4] == ["```mermaid", "gantt"]
    assert "Run 2" not in markdown

    assert "intact" in ok(stack, "verify", tenant)

    # The pack comes from the records store alone: it needs no Temporal at all.
    without_temporal = subprocess.run(
        [sys.executable, "-m", "starter", "export", tenant, "--format", "json"],
        env={**os.environ, **stack.client_env(), "TEMPORAL_ADDRESS": "127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert without_temporal.returncode == 0, without_temporal.stderr
    assert json.loads(without_temporal.stdout)["checklist"] == pack["checklist"]

    # Someone edits the record behind the system's back: verify names the entry.
    db = stack.data_dir / "records.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE entries SET actor = 'mallory@evil.example' WHERE seq = 5 AND onboarding_id = "
            "(SELECT id FROM onboardings WHERE tenant_id = ?)",
            (tenant,),
        )
    tampered = onboard(stack, "verify", tenant)
    assert tampered.returncode == 5
    assert "entry 5" in tampered.stderr

    missing = onboard(stack, "export", "no-such-tenant")
    assert missing.returncode == 4


def test_a_deviation_through_the_cli_needs_a_second_person(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant("dev")
    ok(stack, "sandbox", "fault", "logging_dropped", "--tenant", tenant)
    try:
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, waiting_at("internal_readiness"))
        ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
        wait_for(stack, tenant, lambda s: s["state"] == "blocked")

        requested = ok(
            stack,
            "deviation",
            "request",
            tenant,
            "--step",
            "environment_validation",
            "--check",
            "logging_visibility",
            "--reason",
            "log pipeline migration this week; alerts cover the gap",
            "--as",
            OWNER,
        )
        assert "DEV-1" in requested
        self_approval = onboard(stack, "deviation", "approve", tenant, "DEV-1", "--as", OWNER)
        assert self_approval.returncode == 1 and "second person" in self_approval.stderr
        ok(stack, "deviation", "approve", tenant, "DEV-1", "--as", APPROVER, "--note", "ok")
        status = drive_from_enablement(stack, tenant)
    finally:
        ok(stack, "sandbox", "fault", "--clear")

    env = step(status, "environment_validation")
    assert env["status"] == "waived"
    assert status["deviations"][0]["state"] == "approved"
    assert any(r["input"] == "approve_deviation" and r["by"] == OWNER for r in status["refused"])

    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    item = next(s for s in pack["checklist"] if s["step"] == "environment_validation")
    assert item["status"] == "waived" and item["deviation_id"] == "DEV-1"
    deviation = pack["deviations"][0]
    assert deviation["requested_by"] == OWNER and deviation["decided_by"] == APPROVER
    assert any(r["input"] == "approve_deviation" for r in pack["refused_inputs"])


def test_evidence_is_pushed_to_a_ticketing_webhook_and_a_git_folder(
    stack: DevStack, tmp_path: Path
) -> None:
    received: list[dict[str, object]] = []

    class Tickets(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            reply = json.dumps({"url": "https://tickets.example/T-42"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Tickets)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    repo = tmp_path / "evidence-repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    tenant = new_tenant("push")
    try:
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, waiting_at("internal_readiness"))
        url = f"http://127.0.0.1:{server.server_port}/tickets"
        out = ok(
            stack,
            "export",
            tenant,
            "--webhook",
            url,
            "--git-dir",
            str(repo),
            "--as",
            OWNER,
            env={"ONBOARDING_OUTBOUND_HOSTS": "tickets.example"},  # the reply's url may stay
        )
    finally:
        server.shutdown()
    assert "https://tickets.example/T-42" in out
    assert received and received[0]["tenant_id"] == tenant
    assert str(received[0]["content"]).startswith("# Onboarding evidence")
    committed = repo / "onboarding-evidence" / tenant / "evidence.md"
    assert committed.read_text() == received[0]["content"]
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--oneline"], capture_output=True, text=True, check=True
    ).stdout
    assert tenant in log

    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    locations = {a["location"] for a in pack["artifacts"]}
    assert "https://tickets.example/T-42" in locations
    assert any(loc.startswith("git:") for loc in locations)
    assert "intact" in ok(stack, "verify", tenant)

    refused = onboard(stack, "export", tenant, "--git-dir", str(tmp_path / "not-a-repo"))
    assert refused.returncode == 1 and "not a git repository" in refused.stderr
