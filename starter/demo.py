"""`onboard demo`: one complete onboarding of the example contract, printed as it happens.

It reuses a running stack (`onboard dev`) when Temporal answers at TEMPORAL_ADDRESS, else
it brings up its own in `.onboarding/` with a short review delay, so the review completes too.
Every input goes through the same validated updates the CLI commands use.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import date

from pydantic import BaseModel
from rich.console import Console
from temporalio.client import Client

from onboarding.contract import Contract
from onboarding.inputs import AssignOwner, Feedback, RecordEnablement, SignOff
from onboarding.problems import load_contract
from onboarding.status import OnboardingStatus
from onboarding.steps import STEP_TITLES, EnablementItem, OnboardingState, SignOffGate, StepKey
from starter import ops
from starter.devstack import DevStack, StackError, port_open
from starter.errors import CliError, ExitCode
from starter.render import print_status, when
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
    host, _, port = settings.temporal.address.rpartition(":")
    if port.isdigit() and port_open(
        int(port), host.replace("localhost", "127.0.0.1") or "127.0.0.1"
    ):
        out.print(f"using the running stack at {settings.temporal.address}")
    else:
        stack = DevStack(
            data_dir=settings.data_dir.resolve(),
            roster=(EXAMPLES_DIR / "roster.yaml"),
            worker_env={"ONBOARDING_REVIEW_AFTER": "PT5S"},
        )
        out.print(f"starting the embedded stack in {settings.data_dir}/ ...")
        try:
            await asyncio.to_thread(stack.start)
        except StackError as exc:
            raise CliError(str(exc), ExitCode.UNAVAILABLE) from None
        settings.temporal.address = stack.temporal_address
        settings.ui_url = stack.ui_url
    try:
        client = await connect(settings.temporal, stack.codec_settings() if stack else None)
        await asyncio.wait_for(drive_onboarding(client, settings, out), DEMO_TIMEOUT)
    except TimeoutError:
        raise CliError(
            f"the demo did not finish within {DEMO_TIMEOUT:.0f} s; see .onboarding/logs",
            ExitCode.UNAVAILABLE,
        ) from None
    finally:
        if stack is not None:
            await asyncio.to_thread(stack.stop)
            out.print("embedded stack stopped; `onboard dev` brings it back with this history")


async def drive_onboarding(client: Client, settings: Settings, out: Console) -> None:
    """Onboard a fresh demo tenant to go-live (and through the review when it is soon)."""
    contract = demo_contract()
    tenant = contract.tenant.id
    admin = contract.contacts.admins[0].email
    handle = await ops.start_onboarding(client, contract, OWNER, settings.task_queue)
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

    async def send(update: str, payload: BaseModel) -> None:
        receipt = await ops.send_input(client, tenant, update, payload)
        out.print(f"    -> {receipt.message} (by {receipt.recorded_by})")

    await until(lambda s: _waiting_at(s, StepKey.INTERNAL_READINESS))
    await send("assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    await until(lambda s: _waiting_at(s, StepKey.CUSTOMER_ENABLEMENT))
    for item in EnablementItem:
        evidence = f"https://docs.localizevideos.example/enablement/{tenant}/{item.value}"
        await send("record_enablement", RecordEnablement(by=OWNER, item=item, evidence=evidence))
    await until(lambda s: _waiting_at(s, StepKey.GO_LIVE))
    signers = {
        SignOffGate.CUSTOMER: admin,
        SignOffGate.PLATFORM: PLATFORM_APPROVER,
        SignOffGate.SUPPORT: SUPPORT_LEAD,
    }
    for gate, signer in signers.items():
        await send("sign_off", SignOff(by=signer, gate=gate))
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
        await send("give_feedback", Feedback(by=admin, text="Subtitles flow works; dubbing next."))
        status = await until(lambda s: s.state is OnboardingState.COMPLETED)
    print_status(out, status)
    link = f"{settings.ui_url}/namespaces/{settings.temporal.namespace}/workflows/{handle.id}"
    out.print(f"Web UI: {link}")
    out.print(f"final status: {status.state.value}")


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
