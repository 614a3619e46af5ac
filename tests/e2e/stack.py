"""Run the real stack (dev server, sandbox, worker) and the real CLI for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from onboarding.steps import STEP_ORDER, EnablementItem
from starter.devstack import DevStack, Ports
from starter.ops import get_status
from tests.conftest import EXAMPLES
from worker.client import connect
from worker.config import TemporalSettings

PROBE_PASSWORD = "e2e-probe-password-" + uuid.uuid4().hex
ADMIN_KEY = "sandbox-admin-key"
STEPS = [key.value for key in STEP_ORDER]
"""The nine PHASE-33 steps, in order, as status and export name them."""
OWNER = "olivia@localizevideos.example"
APPROVER = "priya@localizevideos.example"
SUPPORT = "sven@localizevideos.example"


def admin_of(tenant: str) -> str:
    """Each test tenant has admins of its own: the platform refuses shared admin e-mails."""
    return f"ada.park@{tenant}.northwind.example"


@contextmanager
def running_stack(data_dir: Path, **worker_env: str) -> Iterator[DevStack]:
    """The embedded stack on free ports, with a short review delay for tests."""
    env = {
        "ONBOARDING_REVIEW_AFTER": "PT3S",
        "ONBOARDING_STEP_MAX_ATTEMPTS": "2",
        "ONBOARDING_GATE_DEADLINE": "PT6S",  # gates turn overdue within a test
        # Scaled to the 6 s deadline: a reminder every 36 s once overdue, so the stalled
        # onboardings that earlier tests leave behind do not load the shared stack.
        "ONBOARDING_REMIND_EVERY": "P30D",
        "ONBOARDING_PROBE_PASSWORD": PROBE_PASSWORD,
        **worker_env,
    }
    stack = DevStack(
        data_dir=data_dir, roster=EXAMPLES / "roster.yaml", ports=Ports.free(), worker_env=env
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def onboard(stack: DevStack, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `onboard` CLI as a subprocess against the stack."""
    done = subprocess.run(
        [sys.executable, "-m", "starter", *args],
        env={**os.environ, **stack.client_env()},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def ok(stack: DevStack, *args: str) -> str:
    done = onboard(stack, *args)
    assert done.returncode == 0, f"onboard {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def status_json(stack: DevStack, tenant: str) -> dict[str, Any]:
    """The status as `onboard status --json` prints it, read in-process for fast polling."""

    async def query() -> str:
        client = await connect(
            TemporalSettings(address=stack.temporal_address), stack.codec_settings()
        )
        return (await get_status(client, tenant)).model_dump_json()

    data: dict[str, Any] = json.loads(asyncio.run(query()))
    return data


def cli_status_json(stack: DevStack, tenant: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(stack, "status", tenant, "--json"))
    return data


def wait_for(
    stack: DevStack, tenant: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = status_json(stack, tenant)
        if predicate(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached for {tenant}: {json.dumps(status)}")
        time.sleep(0.25)


def step(status: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in status["steps"] if s["key"] == key)
    return found


def waiting_at(key: str) -> Callable[[dict[str, Any]], bool]:
    return lambda s: s["current_step"] == key and step(s, key)["status"] == "waiting"


def write_contract(directory: Path, tenant: str, **changes: Any) -> Path:
    data = yaml.safe_load((EXAMPLES / "contract.yaml").read_text())
    data["tenant"] = {"id": tenant, "name": f"Test {tenant}"}
    data["contacts"]["admins"] = [{"name": "Ada Park", "email": admin_of(tenant)}]
    data.update(changes)
    path = directory / f"{tenant}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def new_tenant(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def platform_get(stack: DevStack, path: str) -> Any:
    reply = httpx.get(
        stack.platform_url + path, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10
    )
    reply.raise_for_status()
    return reply.json()


def drive_to_live(stack: DevStack, tenant: str) -> dict[str, Any]:
    """Give every human input the onboarding needs, through the CLI, up to go-live."""
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    return drive_from_enablement(stack, tenant)


def drive_from_enablement(stack: DevStack, tenant: str) -> dict[str, Any]:
    """Enablement evidence and the three sign-offs, through the CLI, up to go-live."""
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    give_enablement_evidence(stack, tenant)
    wait_for(stack, tenant, waiting_at("go_live"))
    ok(stack, "sign-off", tenant, "customer", "--as", admin_of(tenant))
    ok(stack, "sign-off", tenant, "platform", "--as", APPROVER)
    ok(stack, "sign-off", tenant, "support", "--as", SUPPORT)
    return wait_for(stack, tenant, lambda s: s["state"] == "live")


def give_enablement_evidence(stack: DevStack, tenant: str) -> None:
    """Record the four Step 6 items, each with a link as evidence, as the owner."""
    for item in EnablementItem:
        evidence = f"https://e.example/{item.value}"
        ok(stack, "enablement", tenant, item.value, "--evidence", evidence, "--as", OWNER)
