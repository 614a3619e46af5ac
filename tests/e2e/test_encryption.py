"""Encrypted histories, end to end: what someone without the key sees, and who may decode.

A real onboarding is driven to go-live (and its review feedback) on the embedded stack
through the CLI; then its history is fetched with a client that has no codec, the way
anyone who reaches the frontend (or a copy of the server's database) gets it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import Client

from codec.keys import new_key_entry
from onboarding.steps import EnablementItem
from starter.devstack import DevStack, temporal_binary
from tests.e2e.payloads import decoded, iter_payloads, payload_bytes, raw_history
from tests.e2e.stack import (
    APPROVER,
    OWNER,
    SUPPORT,
    admin_of,
    customer_feedback,
    link_for,
    ok,
    step,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e

ESCALATION_EMAIL = "sam.ortiz@northwind.example"
PHONE = "+1 555 0100"
CONTRACT_REFERENCE = "CTR-2026-0117"


@pytest.fixture(scope="module")
def onboarded(stack: DevStack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One onboarding driven through go-live and its review feedback, with what it holds."""
    tenant = f"enc-{uuid.uuid4().hex[:8]}"
    marker = uuid.uuid4().hex[:10]
    evidence = {
        item.value: f"https://evidence.example/{marker}/{item.value}" for item in EnablementItem
    }
    notes = {
        "customer": f"customer note {marker}: glossary reviewed",
        "platform": f"platform note {marker}: capacity fine",
        "support": f"support note {marker}: queue ready",
    }
    feedback = f"feedback {marker}: dubbing saved us a week"
    contract = write_contract(tmp_path_factory.mktemp("enc"), tenant)
    ok(stack, "start", str(contract), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    for item, link in evidence.items():
        ok(stack, "enablement", tenant, item, "--evidence", link, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("go_live"))
    link = link_for(stack, tenant, "sign-off:customer")
    customer = ("--as", admin_of(tenant), "--token", link, "--note", notes["customer"])
    ok(stack, "sign-off", tenant, "customer", *customer)
    for gate, who in {"platform": APPROVER, "support": SUPPORT}.items():
        ok(stack, "sign-off", tenant, gate, "--as", who, "--note", notes[gate])
    wait_for(stack, tenant, lambda s: step(s, "post_onboarding_review")["checks"] != [])
    customer_feedback(stack, tenant, feedback)
    wait_for(stack, tenant, lambda s: s["state"] == "completed")
    return {
        "tenant": tenant,
        "workflow_id": f"onboarding-{tenant}",
        "customer_data": {
            "admin e-mail": admin_of(tenant),
            "escalation e-mail": ESCALATION_EMAIL,
            "phone": PHONE,
            "contract reference": CONTRACT_REFERENCE,
            **{f"evidence {k}": v for k, v in evidence.items()},
            **{f"{k} sign-off note": v for k, v in notes.items()},
            "feedback": feedback,
        },
    }


def occurrences(blob: bytes, values: dict[str, str]) -> dict[str, int]:
    return {name: blob.count(value.encode()) for name, value in values.items()}


def raw(stack: DevStack, workflow_id: str) -> History:
    return asyncio.run(raw_history(stack, workflow_id))


def test_without_the_key_the_history_holds_no_customer_data(
    stack: DevStack, onboarded: dict[str, Any]
) -> None:
    history = raw(stack, onboarded["workflow_id"])
    values = onboarded["customer_data"]
    # Every byte of the history, payloads or not, base64 undone where the UI would undo it.
    everything = history.SerializeToString() + payload_bytes(history)
    everything += json_format.MessageToJson(history).encode()

    assert occurrences(everything, values) == dict.fromkeys(values, 0)
    # Every payload is sealed but the search attributes (never encrypted, by Temporal's
    # design: they carry no customer data, see docs/security.md).
    # Patch markers are written by the SDK's core, past the codec: they hold a patch id only.
    markers = {
        p.SerializeToString()
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
        for payloads in e.marker_recorded_event_attributes.details.values()
        for p in payloads.payloads
    }
    unsealed = [
        p
        for p in iter_payloads(history)
        if p.metadata.get("encoding") != b"binary/encrypted"
        and "type" not in p.metadata
        and p.SerializeToString() not in markers
    ]
    assert unsealed == []
    for marker in markers:
        assert set(json.loads(Payload.FromString(marker).data)) == {"id", "deprecated"}
    attributes = {p.data.decode() for p in iter_payloads(history) if "type" in p.metadata}
    assert attributes and occurrences("".join(attributes).encode(), values) == dict.fromkeys(
        values, 0
    )

    # The same history opened with the key ring holds every one of them: they were there.
    opened = payload_bytes(decoded(history, stack))
    assert all(count > 0 for count in occurrences(opened, values).values()), occurrences(
        opened, values
    )


def _decode_request(stack: DevStack, payloads: Payloads, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{stack.codec_url}/decode",
        content=json_format.MessageToJson(payloads),
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )


def test_the_codec_server_decodes_for_its_token_and_the_ui_origin_only(
    stack: DevStack, onboarded: dict[str, Any]
) -> None:
    history = raw(stack, onboarded["workflow_id"])
    payloads = Payloads(payloads=list(iter_payloads(history)))
    values = onboarded["customer_data"]
    token = stack.secrets.token()
    namespace = {"X-Namespace": "default"}

    with_token = _decode_request(stack, payloads, {"Authorization": f"Bearer {token}", **namespace})
    assert with_token.status_code == 200, with_token.text
    readable = b"\n".join(
        base64.b64decode(p.get("data", "")) for p in with_token.json()["payloads"]
    )
    assert all(n > 0 for n in occurrences(readable, values).values())
    assert "Access-Control-Allow-Origin" not in with_token.headers

    refused = {
        "no token": {**namespace},
        "wrong token": {"Authorization": "Bearer " + "x" * 43, **namespace},
        "another origin": {"Origin": "http://evil.example", **namespace},
        "another origin with the token": {
            "Origin": "http://localhost:1",
            "Authorization": f"Bearer {token}",
            **namespace,
        },
        "wrong namespace": {"Authorization": f"Bearer {token}", "X-Namespace": "other"},
        "no namespace": {"Authorization": f"Bearer {token}"},
    }
    for case, headers in refused.items():
        reply = _decode_request(stack, payloads, headers)
        assert reply.status_code in (401, 403), (case, reply.status_code)
        assert "Access-Control-Allow-Origin" not in reply.headers, case
        assert occurrences(reply.content, values) == dict.fromkeys(values, 0), case

    # The Web UI's own origin, as its browser sends it: no token (the dev UI has none).
    for origin in (stack.ui_url, f"http://127.0.0.1:{stack.ports.ui}"):
        from_ui = _decode_request(stack, payloads, {"Origin": origin, **namespace})
        assert from_ui.status_code == 200, from_ui.text
        assert from_ui.headers["Access-Control-Allow-Origin"] == origin
    preflight = httpx.options(
        f"{stack.codec_url}/decode",
        headers={"Origin": stack.ui_url, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert "X-Namespace" in preflight.headers["Access-Control-Allow-Headers"]
    evil_preflight = httpx.options(
        f"{stack.codec_url}/decode",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert evil_preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in evil_preflight.headers


def _temporal(stack: DevStack, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [temporal_binary(), *args, "--address", stack.temporal_address],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_the_temporal_cli_shows_the_history_decoded_with_the_codec_and_its_token(
    stack: DevStack, onboarded: dict[str, Any]
) -> None:
    workflow_id = onboarded["workflow_id"]
    token = stack.secrets.token()
    show = ["workflow", "show", "--workflow-id", workflow_id, "--output", "json"]

    plain = _temporal(stack, *show)
    assert plain.returncode == 0, plain.stderr
    decoded_show = _temporal(
        stack, *show, "--codec-endpoint", stack.codec_url, "--codec-auth", f"Bearer {token}"
    )
    assert decoded_show.returncode == 0, decoded_show.stderr

    def data_of(output: str) -> bytes:
        events = json.loads(output)["events"]
        return b"\n".join(
            base64.b64decode(p["data"])
            for p in iter_json_payloads(events)
            if isinstance(p.get("data"), str)
        )

    values = onboarded["customer_data"]
    assert occurrences(data_of(plain.stdout), values) == dict.fromkeys(values, 0)
    assert all(n > 0 for n in occurrences(data_of(decoded_show.stdout), values).values())

    no_token = _temporal(
        stack, *show, "--codec-endpoint", stack.codec_url, "--command-timeout", "5s", timeout=60
    )
    assert no_token.returncode != 0
    assert occurrences(no_token.stdout.encode(), values) == dict.fromkeys(values, 0)


def iter_json_payloads(node: Any) -> list[dict[str, Any]]:
    """Every {"metadata": ..., "data": ...} object in the CLI's JSON output."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "data" in node and "metadata" in node:
            found.append(node)
        for value in node.values():
            found += iter_json_payloads(value)
    elif isinstance(node, list):
        for value in node:
            found += iter_json_payloads(value)
    return found


def test_the_dev_secrets_are_owner_only(stack: DevStack) -> None:
    for path in (stack.secrets.key_file, stack.secrets.token_file):
        assert Path(path).stat().st_mode & 0o777 == 0o600


def test_a_forged_encrypted_signal_is_refused_on_record_and_wedges_nothing(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = f"forged-{uuid.uuid4().hex[:8]}"
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))

    async def forge() -> None:
        client = await Client.connect(stack.temporal_address)  # someone without the key
        garbage = Payload(
            metadata={"encoding": b"binary/encrypted", "encryption-key-id": b"stolen"},
            data=os.urandom(64),
        )
        await client.workflow_service.signal_workflow_execution(
            SignalWorkflowExecutionRequest(
                namespace="default",
                workflow_execution=WorkflowExecution(workflow_id=f"onboarding-{tenant}"),
                signal_name="assign_owner",
                input=Payloads(payloads=[garbage]),
                identity="forger",
            )
        )

    asyncio.run(forge())
    status = wait_for(stack, tenant, lambda s: len(s["refused"]) >= 1)
    assert status["refused"][-1]["input"] == "assign_owner"
    assert status["refused"][-1]["reason"].startswith("unsigned")
    # The onboarding goes on taking inputs; no workflow task failed.
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, lambda s: s["owner"] == OWNER)
    events = raw(stack, f"onboarding-{tenant}").events
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in [e.event_type for e in events]


def test_a_cli_without_the_stacks_key_is_refused_naming_the_key(
    stack: DevStack, onboarded: dict[str, Any]
) -> None:
    env = {
        **os.environ,
        **stack.client_env(),
        "ONBOARDING_CODEC_KEYS": new_key_entry("someone-elses"),
    }
    del env["ONBOARDING_CODEC_KEY_FILE"]
    done = subprocess.run(
        [sys.executable, "-m", "starter", "status", onboarded["tenant"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    key_id = stack.codec_settings().key_ring().active
    assert f"encrypted with key {key_id!r}, which is not in the key ring" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert onboarded["customer_data"]["admin e-mail"] not in done.stdout + done.stderr
