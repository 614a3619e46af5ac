"""One onboarding driven to go-live the way ops would, while the drill breaks the stack.

Unlike `starter.scale.drive_one`, which expects a stack that stays up, this driver
treats every failure to reach Temporal, a worker or the approvals service as weather:
it looks at the status again a moment later and gives whatever input is still missing,
freshly signed as the CLI signs it. So the drill measures what the system does under
faults, not how the driver copes. A blocked step is retried (`RetryStep`, signed by the
owner) after a pause, as an operator would once the platform answers again.

The drivers run in one asyncio loop (a thread of the drill) and report what they see to
a `Board` the fault controller reads from the main thread.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel
from temporalio.client import Client, WorkflowQueryFailedError

from onboarding.contract import Contract
from onboarding.gates import SIGN_OFF_PREFIX
from onboarding.inputs import AssignOwner, InputName, RecordEnablement, RetryStep, SignOff
from onboarding.proof import Envelope
from onboarding.status import OnboardingStatus
from onboarding.steps import EnablementItem, OnboardingState, SignOffGate, StepKey, StepStatus
from starter import ops
from starter.demo import OWNER, PLATFORM_APPROVER, SUPPORT_LEAD, demo_contract, redeem_as_customer
from starter.drive import BATCH_RATE_LIMIT
from starter.errors import CliError
from starter.signing import sign_input, staff_signer
from worker.config import Settings

POLL_SECONDS = 1.0
"""Between two looks at the status: 20 onboardings polling share 2 cores with the stack."""
RETRY_PAUSE_SECONDS = 5.0
"""How long a step stays blocked before it is retried (the cause may still be there)."""
MAX_RETRIES = 12
"""Per onboarding; past it the onboarding is left blocked and the drill fails."""


def drill_contract() -> Contract:
    """The demo contract under a fresh tenant, with the light rate limit of the scale bench."""
    data = demo_contract().model_dump(mode="json")
    data["contract"]["api_rate_limit_per_minute"] = BATCH_RATE_LIMIT
    return Contract.model_validate(data)


@dataclass
class Seen:
    """The latest status an onboarding's driver saw (None until it was started)."""

    state: OnboardingState | None = None
    step: StepKey | None = None
    step_status: StepStatus | None = None


@dataclass
class Board:
    """What the drivers saw, shared with the fault controller (another thread)."""

    seen: dict[str, Seen] = field(default_factory=dict)
    released: threading.Event = field(default_factory=threading.Event)
    """Set once the faults are over: until then the drivers hold at the go-live sign-offs,
    so every fault finds the onboardings started so far still in flight."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, tenant: str, status: OnboardingStatus | None) -> None:
        with self._lock:
            seen = self.seen.setdefault(tenant, Seen())
            if status is not None:
                seen.state = status.state
                seen.step = status.current_step
                seen.step_status = (
                    status.step(status.current_step).status if status.current_step else None
                )

    def in_flight(self) -> list[str]:
        """Tenants started and not live yet."""
        with self._lock:
            return [t for t, s in self.seen.items() if s.state is not OnboardingState.LIVE]

    def running_steps(self) -> dict[str, StepKey]:
        """Tenant -> the step it was last seen running."""
        with self._lock:
            return {
                t: s.step
                for t, s in self.seen.items()
                if s.step is not None and s.step_status is StepStatus.RUNNING
            }


@dataclass
class Driver:
    """Drives one onboarding; `last_sent` is the last signed input it sent (for re-sends)."""

    client: Client
    settings: Settings
    mailbox: Path
    board: Board
    contract: Contract = field(default_factory=drill_contract)
    last_sent: Envelope | None = None
    retries: list[str] = field(default_factory=list)
    hiccups: list[str] = field(default_factory=list)
    """Failures the driver rode out (Temporal down, no worker, a link not redeemed)."""
    query_failures: list[str] = field(default_factory=list)
    """Status queries the workflow itself failed (not the stack being down)."""
    live: bool = False

    @property
    def tenant(self) -> str:
        return self.contract.tenant.id

    @property
    def admin(self) -> str:
        return self.contract.contacts.admins[0].email

    async def run(self) -> None:
        """Start the onboarding and give its inputs until it is live."""
        self.board.note(self.tenant, None)
        await self._start()
        blocked_since: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            status = await self.status()
            self.board.note(self.tenant, status)
            if status is None:
                await asyncio.sleep(POLL_SECONDS)
                continue
            if status.state is OnboardingState.LIVE:
                self.live = True
                return
            if status.state is OnboardingState.BLOCKED:
                blocked_since = blocked_since or loop.time()
                if loop.time() - blocked_since >= RETRY_PAUSE_SECONDS:
                    await self._retry(status)
                    blocked_since = None
            else:
                blocked_since = None
                await self._give_missing(status)
            await asyncio.sleep(POLL_SECONDS)

    async def status(self) -> OnboardingStatus | None:
        """The status, or None while Temporal or the worker does not answer."""
        try:
            return await ops.get_status(self.client, self.tenant)
        except CliError as err:
            self._hiccup(f"status: {err}")
        except WorkflowQueryFailedError as err:  # e.g. a worker that cannot replay the run
            self.query_failures.append(str(err)[:300])
        return None

    async def send(self, payload: BaseModel, name: InputName) -> bool:
        """Sign and send one staff input as the CLI does; whether it was accepted."""
        signer = staff_signer(self.settings, str(getattr(payload, "by", "")))
        envelope = sign_input(signer, self.tenant, name, payload)
        try:
            await ops.send_input(self.client, self.tenant, envelope)
        except CliError as err:
            self._hiccup(f"{name.value}: {err}")
            return False
        self.last_sent = envelope
        return True

    async def _start(self) -> None:
        signer = staff_signer(self.settings, OWNER)
        while True:
            try:
                await ops.start_onboarding(
                    self.client, self.contract, signer, self.settings.task_queue
                )
                return
            except CliError as err:
                if "already has an onboarding" in str(err):
                    return  # an earlier attempt reached the server before it went away
                self._hiccup(f"start: {err}")
                await asyncio.sleep(POLL_SECONDS)

    async def _retry(self, status: OnboardingStatus) -> None:
        step = status.current_step
        if step is None or len(self.retries) >= MAX_RETRIES:
            return
        reason = status.step(step).blocked_reason or "?"
        self.retries.append(f"{step.value}: {reason[:100]}")
        await self.send(RetryStep(by=OWNER, step=step), InputName.RETRY_STEP)

    async def _give_missing(self, status: OnboardingStatus) -> None:
        step = status.current_step
        if step is None or status.step(step).waiting_for is None:
            return
        if step is StepKey.INTERNAL_READINESS and status.owner is None:
            await self.send(AssignOwner(by=OWNER, owner=OWNER), InputName.ASSIGN_OWNER)
        elif step is StepKey.CUSTOMER_ENABLEMENT:
            for item in EnablementItem:
                if status.enablement_item(item.value) is None:
                    evidence = f"https://docs.localizevideos.example/enablement/{item.value}"
                    record = RecordEnablement(by=OWNER, item=item, evidence=evidence)
                    await self.send(record, InputName.RECORD_ENABLEMENT)
        elif step is StepKey.GO_LIVE and self.board.released.is_set():
            await self._sign_off(status)

    async def _sign_off(self, status: OnboardingStatus) -> None:
        if status.sign_off(SignOffGate.CUSTOMER.value) is None:
            gate = f"{SIGN_OFF_PREFIX}{SignOffGate.CUSTOMER.value}"
            try:
                await redeem_as_customer(
                    self.settings, self.mailbox, self.tenant, self.admin, gate, {"note": None}
                )
            except Exception as err:  # the approvals service may be down
                self._hiccup(f"customer sign-off: {type(err).__name__}: {err}")
                return
        for staff, gate in (
            (PLATFORM_APPROVER, SignOffGate.PLATFORM),
            (SUPPORT_LEAD, SignOffGate.SUPPORT),
        ):
            if status.sign_off(gate.value) is None:
                await self.send(SignOff(by=staff, gate=gate), InputName.SIGN_OFF)

    def _hiccup(self, what: str) -> None:
        self.hiccups.append(what[:200])
