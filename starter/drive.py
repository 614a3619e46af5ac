"""Drive onboardings from contract to go-live with signed inputs, exactly as the CLI sends
them: one path shared by `make bench-scale` and `make bench`, so both measure the same work.

A batch's contracts are the demo's with a 60/min API rate limit (the rate-limit check bursts
the contracted number of requests, and 600 per onboarding would measure the sandbox, not
Temporal or the workers), 20 seats, and regions taken in turn: one stack serves several
batches in a run, and all of them in one region would run it out of seats.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from temporalio.client import Client

from onboarding.contract import Contract
from onboarding.inputs import AssignOwner, InputName, RecordEnablement, RetryStep, SignOff
from onboarding.status import OnboardingStatus
from onboarding.steps import EnablementItem, OnboardingState, SignOffGate, StepKey
from starter import ops
from starter.demo import (
    OWNER,
    PLATFORM_APPROVER,
    SUPPORT_LEAD,
    demo_contract,
    redeem_as_customer,
    send_signed,
)
from starter.devstack import DevStack
from starter.errors import CliError
from starter.signing import staff_signer
from worker.client import connect
from worker.config import Settings, load_settings

BATCH_RATE_LIMIT = 60
BATCH_SEATS = 20
REGIONS = ("eu-central", "eu-west", "us-east", "us-west", "ap-southeast")
"""The sandbox's regions (`sandbox/seed.py`); the batch's onboardings take them in turn."""
MAX_RETRIES = 3
POLL_SECONDS = 0.3
VISIBLE_POLL_SECONDS = 0.01


@dataclass
class DriveRecord:
    """What driving a batch observed, beside its time: shared by its onboardings."""

    retries: list[str] = field(default_factory=list)
    """Each blocked step that was retried, with its reason: a step blocked under load."""
    round_trips: list[float] = field(default_factory=list)
    """Seconds from sending a staff input (enablement record, sign-off) to seeing it in a
    status query."""
    workflow_ids: list[str] = field(default_factory=list)
    """The onboardings that went live."""
    failures: list[str] = field(default_factory=list)
    """Why each onboarding that did not go live stopped."""


def batch_contract(index: int) -> Contract:
    """The demo contract, light for a batch, in the ``index``-th region in turn."""
    data = demo_contract().model_dump(mode="json")
    data["contract"]["api_rate_limit_per_minute"] = BATCH_RATE_LIMIT
    data["contract"]["seats"] = BATCH_SEATS
    data["data_residency"]["region"] = REGIONS[index % len(REGIONS)]
    return Contract.model_validate(data)


def stack_settings(stack: DevStack) -> Settings:
    """The CLI's settings, pointed at ``stack`` and acting with its demo keys."""
    settings = load_settings(Settings)
    settings.temporal = replace(settings.temporal, address=stack.temporal_address)
    settings.ui_url = stack.ui_url
    settings.portal_url = stack.portal_url
    settings.key_dir = stack.keys.staff_key_dir
    return settings


async def stack_client(stack: DevStack, settings: Settings) -> Client:
    """A client of ``stack`` that encrypts with the stack's payload keys, as the CLI does."""
    return await connect(settings.temporal, stack.codec_settings())


async def drive_one(
    client: Client, settings: Settings, mailbox: Path, record: DriveRecord, index: int = 0
) -> None:
    """One onboarding from contract to go-live; every input signed, as the CLI sends it.

    A blocked step is retried (at most `MAX_RETRIES` per batch); each retry goes in
    ``record.retries``. Each staff input's round trip goes in ``record.round_trips``.
    """
    contract = batch_contract(index)
    tenant, admin = contract.tenant.id, contract.contacts.admins[0].email
    handle = await ops.start_onboarding(
        client, contract, staff_signer(settings, OWNER), settings.task_queue
    )
    retries = record.retries

    async def until(key: StepKey) -> None:
        while True:
            status = await ops.get_status(client, tenant)
            if status.state is OnboardingState.BLOCKED and status.current_step is not None:
                # As an operator would: retry the step (a check that misjudges under load
                # passes the next time); counted, and reported with the figures.
                reason = status.step(status.current_step).blocked_reason
                if len(retries) >= MAX_RETRIES:
                    raise CliError(f"{tenant} stays blocked: {reason}")
                retries.append(f"{status.current_step.value}: {(reason or '?')[:80]}")
                retry = RetryStep(by=OWNER, step=status.current_step)
                try:
                    await send_signed(client, settings, tenant, InputName.RETRY_STEP, retry)
                except CliError:  # already retried: the status had not caught up yet
                    retries.pop()
            if status.state is OnboardingState.LIVE or (
                status.current_step is key and status.step(key).waiting_for is not None
            ):
                return
            await asyncio.sleep(POLL_SECONDS)

    async def timed(
        name: InputName,
        payload: SignOff | RecordEnablement,
        seen: Callable[[OnboardingStatus], bool],
    ) -> None:
        """Send a staff input, then query until its effect shows: the round trip."""
        sent = time.perf_counter()
        await send_signed(client, settings, tenant, name, payload)
        while True:
            if seen(await handle.query("status", result_type=OnboardingStatus)):
                break
            await asyncio.sleep(VISIBLE_POLL_SECONDS)
        record.round_trips.append(time.perf_counter() - sent)

    await until(StepKey.INTERNAL_READINESS)
    owner = AssignOwner(by=OWNER, owner=OWNER)
    await send_signed(client, settings, tenant, InputName.ASSIGN_OWNER, owner)
    await until(StepKey.CUSTOMER_ENABLEMENT)
    for item in EnablementItem:
        evidence = f"https://docs.localizevideos.example/enablement/{tenant}/{item.value}"
        enablement = RecordEnablement(by=OWNER, item=item, evidence=evidence)
        await timed(
            InputName.RECORD_ENABLEMENT,
            enablement,
            _has_enablement(item.value),
        )
    await until(StepKey.GO_LIVE)
    gate = f"sign-off:{SignOffGate.CUSTOMER.value}"
    await redeem_as_customer(settings, mailbox, tenant, admin, gate, {"note": None})
    for staff, which in (
        (PLATFORM_APPROVER, SignOffGate.PLATFORM),
        (SUPPORT_LEAD, SignOffGate.SUPPORT),
    ):
        sign_off = SignOff(by=staff, gate=which)
        await timed(
            InputName.SIGN_OFF,
            sign_off,
            _has_sign_off(which.value),
        )
    await until(StepKey.POST_ONBOARDING_REVIEW)  # returns once live
    record.workflow_ids.append(handle.id)


def _has_enablement(item: str) -> Callable[[OnboardingStatus], bool]:
    return lambda status: status.enablement_item(item) is not None


def _has_sign_off(gate: str) -> Callable[[OnboardingStatus], bool]:
    return lambda status: status.sign_off(gate) is not None


async def drive_batch(client: Client, settings: Settings, mailbox: Path, count: int) -> DriveRecord:
    """Start ``count`` onboardings at once and drive each to go-live; one that fails is
    kept in ``failures`` rather than abandoning the others."""
    record = DriveRecord()
    outcomes = await asyncio.gather(
        *(drive_one(client, settings, mailbox, record, index) for index in range(count)),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            record.failures.append(f"{type(outcome).__name__}: {outcome}")
        elif isinstance(outcome, BaseException):
            raise outcome
    return record
