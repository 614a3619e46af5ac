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
from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile

from notify.mailbox import personal_link
from onboarding.steps import STEP_ORDER, EnablementItem
from starter.devstack import DevStack, Ports
from starter.errors import CliError, ExitCode
from starter.ops import get_status
from tests.conftest import EXAMPLES
from worker.client import connect

PROBE_PASSWORD = "e2e-probe-password-" + uuid.uuid4().hex
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
        # Short, but long enough for a busy machine: a customer's personal link is valid
        # until its gate's deadline. Tests of overdue gates ask for PT6S.
        "ONBOARDING_GATE_DEADLINE": "PT2M",
        # Scaled to the deadline: a reminder every 12 min once overdue, so the stalled
        # onboardings that earlier tests leave behind do not load the shared stack.
        "ONBOARDING_REMIND_EVERY": "P30D",
        "ONBOARDING_PROBE_PASSWORD": PROBE_PASSWORD,
        **worker_env,
    }
    stack = DevStack(
        data_dir=data_dir,
        roster=EXAMPLES / "roster.yaml",
        ports=Ports.free(),
        worker_env=env,
        demo_keys=True,  # the example roster's people act with labelled demo keys
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def onboard(
    stack: DevStack, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `onboard` CLI as a subprocess against the stack (`env` on top)."""
    done = subprocess.run(
        [sys.executable, "-m", "starter", *args],
        env={**os.environ, **stack.client_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def ok(stack: DevStack, *args: str, env: dict[str, str] | None = None) -> str:
    done = onboard(stack, *args, env=env)
    assert done.returncode == 0, f"onboard {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


async def client_of(stack: DevStack) -> Client:
    """A client of the stack's Temporal, with its payload keys."""
    return await connect(
        ClientConfigProfile(address=stack.temporal_address), stack.codec_settings()
    )


def status_json(stack: DevStack, tenant: str) -> dict[str, Any]:
    """The status as `onboard status --json` prints it, read in-process for fast polling."""

    async def query() -> str:
        client = await client_of(stack)
        return (await get_status(client, tenant)).model_dump_json()

    data: dict[str, Any] = json.loads(asyncio.run(query()))
    return data


def cli_status_json(stack: DevStack, tenant: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(stack, "status", tenant, "--json"))
    return data


def wait_for(
    stack: DevStack, tenant: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 90
) -> dict[str, Any]:
    """Poll the status until ``predicate`` holds; a worker not polling yet (just restarted,
    on a busy machine) is waited for like any other state, within the same timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = status_json(stack, tenant)
        except CliError as error:
            if error.code != ExitCode.UNAVAILABLE or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            continue
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
        stack.platform_url + path,
        headers={"Authorization": f"Bearer {stack.admin_key}"},  # generated per data dir
        timeout=10,
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
    customer_sign_off(stack, tenant)
    ok(stack, "sign-off", tenant, "platform", "--as", APPROVER)
    ok(stack, "sign-off", tenant, "support", "--as", SUPPORT)
    return wait_for(stack, tenant, lambda s: s["state"] == "live")


def link_for(stack: DevStack, tenant: str, gate: str, timeout: float = 60) -> str:
    """The personal link the stack delivered to the tenant's admin for a customer gate."""
    deadline = time.monotonic() + timeout
    while (link := personal_link(stack.mailbox, admin_of(tenant), gate)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no personal link for {admin_of(tenant)} at {gate}")
        time.sleep(0.2)
    return link


def customer_sign_off(stack: DevStack, tenant: str) -> str:
    """The admin signs off through the personal link they received, as they would."""
    link = link_for(stack, tenant, "sign-off:customer")
    return ok(stack, "sign-off", tenant, "customer", "--as", admin_of(tenant), "--token", link)


def customer_feedback(stack: DevStack, tenant: str, text: str) -> str:
    """The admin gives review feedback through their personal link."""
    link = link_for(stack, tenant, "review-feedback")
    args = ("feedback", tenant, "--as", admin_of(tenant), "--text", text, "--token", link)
    return ok(stack, *args)


def give_enablement_evidence(stack: DevStack, tenant: str) -> None:
    """Record the four Step 6 items, each with a link as evidence, as the owner."""
    for item in EnablementItem:
        evidence = f"https://e.example/{item.value}"
        ok(stack, "enablement", tenant, item.value, "--evidence", evidence, "--as", OWNER)
