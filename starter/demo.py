"""`onboard demo`: one complete onboarding of the example contract, printed as it happens.

It reuses a running stack (`onboard dev`) when Temporal answers at TEMPORAL_ADDRESS, else
it brings up its own in `.onboarding/` with a short review delay, so the review completes too.
Every input goes through the same validated updates the CLI commands use.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console
from temporalio.client import Client

from notify.mailbox import personal_link
from onboarding.contract import Contract
from onboarding.gates import REVIEW_FEEDBACK, SIGN_OFF_PREFIX
from onboarding.inputs import AssignOwner, InputName, Receipt, RecordEnablement, SignOff
from onboarding.problems import load_contract
from onboarding.status import OnboardingStatus
from onboarding.steps import STEP_TITLES, EnablementItem, OnboardingState, SignOffGate, StepKey
from starter import ops
from starter.approvals_client import redeem_link
from starter.devstack import DevStack, StackError, port_open
from starter.errors import CliError, ExitCode
from starter.render import print_status, when
from starter.signing import sign_input, staff_signer
from worker.client import connect
from worker.config import EXAMPLES_DIR, Settings, load_settings

OWNER = "olivia@localizevideos.example"
PLATFORM_APPROVER = "priya@localizevideos.example"
SUPPORT_LEAD = "sven@localizevideos.example"
DEMO_TIMEOUT = 240.0


def demo_contract() -> Contract:
    """The example contract under a fresh tenant id: a tenant is onboarded only once."""
    contract = load_contract(EXAMPLES_DIR / "contract.yaml", today=date.today())
    suffix = secrets.token_hex(3)
    data = contract.model_dump(mode="json")
    data["contacts"]["admins"] = [
        {**admin, "email": admin["email"].replace("@", f"@demo-{suffix}.")}
        for admin in data["contacts"]["admins"]
    ]
    data["tenant"] = {
        "id": f"northwind-demo-{suffix}",
        "name": f"Northwind Studios (demo {suffix})",
    }
    return Contract.model_validate(data)


async def run_demo(out: Console) -> None:
    settings = load_settings(Settings)
    stack: DevStack | None = None
    host, _, port = (settings.temporal.address or "").rpartition(":")
    mailbox = settings.data_dir / "mailbox"
    if port.isdigit() and port_open(
        int(port), host.replace("localhost", "127.0.0.1") or "127.0.0.1"
    ):
        out.print(f"using the running stack at {settings.temporal.address}")
        settings.key_dir = settings.key_dir or settings.data_dir.resolve() / "demo-keys"
    else:
        stack = DevStack(
            data_dir=settings.data_dir.resolve(),
            roster=(EXAMPLES_DIR / "roster.yaml"),
            worker_env={"ONBOARDING_REVIEW_AFTER": "PT5S"},
            demo_keys=True,
        )
        out.print(f"starting the embedded stack in {settings.data_dir}/ ...")
        try:
            await asyncio.to_thread(stack.start)
        except StackError as exc:
            raise CliError(str(exc), ExitCode.UNAVAILABLE) from None
        settings.temporal = replace(settings.temporal, address=stack.temporal_address)
        settings.ui_url = stack.ui_url
        settings.portal_url = stack.portal_url
        settings.key_dir = stack.keys.staff_key_dir
        mailbox = stack.mailbox
    out.print(f"acting with the demo keys in {settings.key_dir} (example roster only)")
    try:
        client = await connect(settings.temporal, stack.codec_settings() if stack else None)
        await asyncio.wait_for(drive_onboarding(client, settings, out, mailbox), DEMO_TIMEOUT)
    except TimeoutError:
        raise CliError(
            f"the demo did not finish within {DEMO_TIMEOUT:.0f} s; see .onboarding/logs",
            ExitCode.UNAVAILABLE,
        ) from None
    finally:
        if stack is not None:
            await asyncio.to_thread(stack.stop)
            out.print("embedded stack stopped; `onboard dev` brings it back with this history")


async def drive_onboarding(client: Client, settings: Settings, out: Console, mailbox: Path) -> None:
    """Onboard a fresh demo tenant to go-live (and through the review when it is soon).

    Staff inputs are signed with the demo keys; the customer's are given through the
    personal links the stack delivered to its mailbox, as an admin would.
    """
    contract = demo_contract()
    tenant = contract.tenant.id
    admin = contract.contacts.admins[0].email
    owner = staff_signer(settings, OWNER)
    handle = await ops.start_onboarding(client, contract, owner, settings.task_queue)
    out.print(f"started {handle.id} ({contract.tenant.name})")
    printed: set[StepKey] = set()

    async def until(done: Callable[[OnboardingStatus], bool]) -> OnboardingStatus:
        while True:
            status = await ops.get_status(client, tenant)
            _print_finished_steps(out, status, printed)
            if status.state is OnboardingState.BLOCKED:
                print_status(out, status)
                raise CliError(f"the demo onboarding is blocked: {_blocked_reason(status)}")
            if done(status):
                return status
            await asyncio.sleep(0.3)

    async def send(name: InputName, payload: BaseModel) -> None:
        receipt = await send_signed(client, settings, tenant, name, payload)
        out.print(f"    -> {receipt.message} (by {receipt.recorded_by}, signed)")

    async def as_customer(gate: str, fields: dict[str, object]) -> None:
        message = await redeem_as_customer(settings, mailbox, tenant, admin, gate, fields)
        out.print(f"    -> {message} (by {admin}, through their personal link)")

    await until(lambda s: _waiting_at(s, StepKey.INTERNAL_READINESS))
    await send(InputName.ASSIGN_OWNER, AssignOwner(by=OWNER, owner=OWNER))
    await until(lambda s: _waiting_at(s, StepKey.CUSTOMER_ENABLEMENT))
    for item in EnablementItem:
        evidence = f"https://docs.localizevideos.example/enablement/{tenant}/{item.value}"
        await send(
            InputName.RECORD_ENABLEMENT, RecordEnablement(by=OWNER, item=item, evidence=evidence)
        )
    await until(lambda s: _waiting_at(s, StepKey.GO_LIVE))
    await as_customer(f"{SIGN_OFF_PREFIX}{SignOffGate.CUSTOMER.value}", {"note": None})
    await send(InputName.SIGN_OFF, SignOff(by=PLATFORM_APPROVER, gate=SignOffGate.PLATFORM))
    await send(InputName.SIGN_OFF, SignOff(by=SUPPORT_LEAD, gate=SignOffGate.SUPPORT))
    status = await until(
        lambda s: s.go_live_at is not None and s.state is not OnboardingState.RUNNING
    )
    out.print(f"LIVE at {when(status.go_live_at)}; review due {when(status.review_due_at)}")
    review_soon = (
        status.review_due_at is not None
        and status.go_live_at is not None
        and (status.review_due_at - status.go_live_at).total_seconds() <= 60
    )
    if review_soon:
        await until(lambda s: _waiting_at(s, StepKey.POST_ONBOARDING_REVIEW) and bool(s.usage))
        await as_customer(REVIEW_FEEDBACK, {"text": "Subtitles flow works; dubbing next."})
        status = await until(lambda s: s.state is OnboardingState.COMPLETED)
    print_status(out, status)
    link = f"{settings.ui_url}/namespaces/{settings.temporal.namespace}/workflows/{handle.id}"
    out.print(f"Web UI: {link}")
    out.print(f"final status: {status.state.value}")


LINK_WAIT_SECONDS = 60.0


async def send_signed(
    client: Client, settings: Settings, tenant: str, name: InputName, payload: BaseModel
) -> Receipt:
    """Send a staff input signed with its sender's key (from `settings.key_dir`)."""
    signer = staff_signer(settings, str(getattr(payload, "by", "")))
    return await ops.send_input(client, tenant, sign_input(signer, tenant, name, payload))


async def redeem_as_customer(
    settings: Settings,
    mailbox: Path,
    tenant: str,
    admin: str,
    gate: str,
    fields: dict[str, object],
) -> str:
    """Act as a customer admin: take their personal link from the mailbox and redeem it."""
    link = await _link_in(mailbox, admin, gate)
    answer = await redeem_link(settings.portal_url, tenant, link, admin, fields)
    return answer.message


async def _link_in(mailbox: Path, admin: str, gate: str) -> str:
    """Wait for the admin's personal link for a gate to arrive in the mailbox."""
    deadline = asyncio.get_running_loop().time() + LINK_WAIT_SECONDS
    while (link := await asyncio.to_thread(personal_link, mailbox, admin, gate)) is None:
        if asyncio.get_running_loop().time() > deadline:
            raise CliError(
                f"no personal link for {admin} ({gate}) arrived in {mailbox}; see the worker log",
                ExitCode.UNAVAILABLE,
            )
        await asyncio.sleep(0.3)
    return link


def _waiting_at(status: OnboardingStatus, key: StepKey) -> bool:
    return status.current_step is key and status.step(key).waiting_for is not None


def _blocked_reason(status: OnboardingStatus) -> str:
    step = status.step(status.current_step) if status.current_step else None
    return step.blocked_reason or "unknown" if step else "unknown"


def _print_finished_steps(out: Console, status: OnboardingStatus, printed: set[StepKey]) -> None:
    for step in status.steps:
        if step.completed_at is not None and step.key not in printed:
            printed.add(step.key)
            checks = f", {sum(c.passed for c in step.checks)} checks passed" if step.checks else ""
            out.print(
                f"  done {STEP_TITLES[step.key]}: {when(step.started_at)} -> "
                f"{when(step.completed_at)} by {', '.join(step.actors)}{checks}"
            )
