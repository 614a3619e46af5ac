"""What the Temporal Web UI shows and takes, read through the UI server's own HTTP API."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from starter.devstack import DevStack
from tests.conftest import ROOT, require_service
from tests.e2e.stack import (
    OWNER,
    new_tenant,
    ok,
    running_stack,
    status_json,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """Gates due in 6 s, so the overdue view has something to find within a test."""
    with running_stack(
        tmp_path_factory.mktemp("ui-stack"), ONBOARDING_GATE_DEADLINE="PT6S"
    ) as running:
        yield running


def plain_json(payload: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(payload["data"]))


class UiApi:
    """The Web UI server's HTTP API, as the browser uses it (with its CSRF cookie), and the
    codec server the browser sends the encrypted payloads to for decoding."""

    def __init__(self, stack: DevStack) -> None:
        self.http = httpx.Client(base_url=stack.ui_url, timeout=15)
        self.http.get("/")  # sets the _csrf cookie the write endpoints ask for
        self.csrf = {"X-CSRF-TOKEN": self.http.cookies.get("_csrf") or ""}
        self.codec = httpx.Client(
            base_url=stack.codec_url,
            timeout=15,
            headers={"Origin": stack.ui_url, "X-Namespace": "default"},
        )

    def decode(self, payload: dict[str, Any]) -> Any:
        """One payload as the UI shows it: sealed in history, opened by the codec server."""
        assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted"
        reply = self.codec.post("/decode", json={"payloads": [payload]})
        reply.raise_for_status()
        return plain_json(reply.json()["payloads"][0])

    def describe(self, workflow_id: str) -> dict[str, Any]:
        reply = self.http.get(f"/api/v1/namespaces/default/workflows/{workflow_id}")
        reply.raise_for_status()
        data: dict[str, Any] = reply.json()
        return data

    def current_details(self, workflow_id: str) -> str:
        reply = self.http.post(
            f"/api/v1/namespaces/default/workflows/{workflow_id}/query/__temporal_workflow_metadata",
            json={"query": {"queryType": "__temporal_workflow_metadata"}},
            headers=self.csrf,
        )
        reply.raise_for_status()
        details: str = self.decode(reply.json()["queryResult"]["payloads"][0])["currentDetails"]
        return details

    def listed(self, query: str) -> list[str]:
        reply = self.http.get("/api/v1/namespaces/default/workflows", params={"query": query})
        reply.raise_for_status()
        return [e["execution"]["workflowId"] for e in reply.json().get("executions", [])]

    def signal(self, workflow_id: str, name: str, payload: Any) -> httpx.Response:
        data = base64.b64encode(json.dumps(payload).encode()).decode()
        encoding = base64.b64encode(b"json/plain").decode()
        plain = {"payloads": [{"metadata": {"encoding": encoding}, "data": data}]}
        # As the UI's signal dialog does with a codec endpoint: sealed before it is sent.
        sealed = self.codec.post("/encode", json=plain)
        sealed.raise_for_status()
        return self.http.post(
            f"/api/v1/namespaces/default/workflows/{workflow_id}/signal/{name}",
            json={"input": sealed.json()},
            headers=self.csrf,
        )

    def history_event_types(self, workflow_id: str) -> list[str]:
        reply = self.http.get(f"/api/v1/namespaces/default/workflows/{workflow_id}/history")
        reply.raise_for_status()
        return [e["eventType"] for e in reply.json()["history"]["events"]]


def test_the_ui_shows_the_business_state_and_filters_on_it(stack: DevStack, tmp_path: Path) -> None:
    tenant = new_tenant("ui")
    workflow_id = f"onboarding-{tenant}"
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ui = UiApi(stack)

    described = ui.describe(workflow_id)
    metadata = described["executionConfig"]["userMetadata"]
    summary = ui.decode(metadata["summary"])
    assert f"Test {tenant}" in summary and "eu-central" in summary and "enterprise" in summary
    assert "CTR-2026-0117" in ui.decode(metadata["details"])
    attributes = {  # never encrypted: they carry no customer data
        k: plain_json(v)
        for k, v in described["workflowExecutionInfo"]["searchAttributes"]["indexedFields"].items()
    }
    assert attributes["TenantId"] == tenant
    assert attributes["OnboardingStep"] == "internal_readiness"
    assert attributes["OnboardingState"] == "waiting"
    assert attributes["Blocked"] is False

    details = ui.current_details(workflow_id)
    assert "| Step 1 - Internal readiness check | **waiting** |" in details
    assert "**Awaiting:** an onboarding owner" in details

    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    mine = f"TenantId = '{tenant}'"
    for clause in (
        "Region = 'eu-central'",
        "SlaTier = 'enterprise'",
        "OnboardingState = 'waiting'",
        "OnboardingStep = 'customer_enablement'",
        f"OnboardingOwner = '{OWNER}'",
        "Blocked = false",
    ):
        found = ui.listed(f"WorkflowType = 'OnboardingWorkflow' AND {mine} AND {clause}")
        assert found == [workflow_id], clause
    assert ui.listed(f"{mine} AND Blocked = true") == []

    rows = json.loads(
        ok(
            stack,
            "list",
            "--json",
            "--owner",
            OWNER,
            "--step",
            "customer_enablement",
            "--region",
            "eu-central",
        )
    )
    assert tenant in [r["tenant_id"] for r in rows]
    assert tenant not in [
        r["tenant_id"] for r in json.loads(ok(stack, "list", "--json", "--blocked"))
    ]

    # A sign-off typed into the UI's signal dialog without a proof is refused and kept;
    # the workflow task never fails.
    reply = ui.signal(workflow_id, "sign_off", {"by": "priya@localizevideos.example"})
    assert reply.status_code == 200, reply.text
    status = wait_for(stack, tenant, lambda s: len(s["refused"]) >= 1)
    refusal = status["refused"][-1]
    assert refusal["input"] == "sign_off" and refusal["reason"].startswith("unsigned")
    assert refusal["by"] == "unverified (priya@localizevideos.example)"
    assert "WorkflowTaskFailed" not in " ".join(ui.history_event_types(workflow_id))
    assert status_json(stack, tenant)["state"] == "waiting"

    # What `--print-signal` prints, pasted into the dialog, is taken with its proof.
    printed = ok(
        stack,
        "enablement",
        tenant,
        "walkthrough",
        "--evidence",
        "https://e.example/walkthrough",
        "--as",
        OWNER,
        "--print-signal",
    )
    assert "signal name give_input" in printed
    reply = ui.signal(workflow_id, "give_input", json.loads(printed.strip().splitlines()[-1]))
    assert reply.status_code == 200, reply.text
    taken = wait_for(stack, tenant, lambda s: bool(s["enablement"]))
    assert taken["enablement"][0]["by"] == OWNER

    # The enablement gate (6 s in these tests) runs past its due time: the overdue view finds it.
    late = wait_for(stack, tenant, lambda s: bool(s["gates"]) and s["gates"][0]["overdue"])
    assert late["gates"][0]["gate"].startswith("enablement:")
    overdue = json.loads(ok(stack, "list", "--overdue", "--json"))
    assert tenant in [r["tenant_id"] for r in overdue]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert ui.listed(f"{mine} AND GateDueAt < '{now}'") == [workflow_id]


def test_status_watch_keeps_the_checklist_live_until_ctrl_c(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = new_tenant("watch")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    watcher = subprocess.Popen(
        [sys.executable, "-m", "starter", "status", tenant, "--watch"],
        env={**os.environ, **stack.client_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    time.sleep(2)  # the watch refreshes every second
    watcher.send_signal(signal.SIGINT)
    out, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 0, err
    assert "Traceback" not in out + err
    assert f"Test {tenant} ({tenant})" in out
    # Off a terminal Rich prints the last frame only: the watch began at the owner gate, so
    # showing the enablement gate proves it refreshed while it ran.
    assert "enablement evidence" in out and "Step 6 - Customer enablement" in out


def _frame_text(frame: Any) -> str:
    """A frame's text; empty for one the UI replaced while it was read (a re-render)."""
    from playwright.sync_api import Error

    try:
        return " ".join(frame.inner_text("body", timeout=2_000).split())
    except Error:
        return ""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


def test_a_browser_opens_the_workflow_page_and_sees_tenant_and_step(
    stack: DevStack, tmp_path: Path
) -> None:
    browser = chromium()
    if browser is None:
        require_service("Debian's chromium is not installed (.ci/run installs it)")
        return
    from playwright.sync_api import sync_playwright

    tenant = new_tenant("browser")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    # What the UI server hands the browser is ciphertext; only the codec server opens it.
    described = UiApi(stack).describe(f"onboarding-{tenant}")
    sealed_details = described["executionConfig"]["userMetadata"]["details"]
    assert b"CTR-2026-0117" not in base64.b64decode(sealed_details["data"])
    url = f"{stack.ui_url}/namespaces/default/workflows/onboarding-{tenant}"
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as driver:
        # Debian's Chromium, never a downloaded one; flags keep it off the closed network.
        launched = driver.chromium.launch(
            executable_path=browser,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = launched.new_page(viewport={"width": 1400, "height": 1600})
            decoded_by_codec: list[int] = []
            page.on(
                "response",
                lambda r: (
                    decoded_by_codec.append(r.status)
                    if r.url.startswith(f"{stack.codec_url}/decode")
                    else None
                ),
            )
            page.goto(url)
            page.get_by_text(f"onboarding-{tenant}").first.wait_for(timeout=30_000)
            page.get_by_text("User Metadata").first.click()
            text = ""
            for _ in range(60):  # the UI renders each Markdown panel in a frame of its own
                text = " ".join(_frame_text(frame) for frame in page.frames)
                if "Awaiting:" in text:
                    break
                page.wait_for_timeout(500)
            page.screenshot(path=str(artifacts / f"workflow-page-{tenant}.png"), full_page=True)
            # A page of another origin (the sandbox's) cannot use the codec server.
            elsewhere = launched.new_page()
            elsewhere.goto(f"{stack.platform_url}/openapi.json")
            cross_origin = elsewhere.evaluate(
                """async ([codec, payload]) => {
                    try {
                        const r = await fetch(codec + '/decode', {method: 'POST',
                            headers: {'Content-Type': 'application/json', 'X-Namespace': 'default'},
                            body: JSON.stringify({payloads: [payload]})});
                        return 'answered ' + r.status;
                    } catch (e) { return 'blocked'; }
                }""",
                [stack.codec_url, sealed_details],
            )
        finally:
            launched.close()
    assert f"Test {tenant} ({tenant}): eu-central, enterprise SLA" in text
    assert "Step 1 - Internal readiness check waiting" in text
    assert "Awaiting: an onboarding owner" in text
    assert decoded_by_codec and set(decoded_by_codec) == {200}  # decoded through the codec
    assert cross_origin == "blocked"
    assert (artifacts / f"workflow-page-{tenant}.png").stat().st_size > 10_000
