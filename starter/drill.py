"""Fault drill: N onboardings driven to go-live through crashes and outages, then counted.

On a fresh embedded stack in a temporary directory, onboardings start in waves, one wave
before each fault, and are driven with signed inputs as the CLI sends them
(`starter.drill_driver`). The faults come one after the other while they are in flight:
the worker SIGKILLed during steps (several times), one of two workers SIGKILLed, the dev
server restarted on its SQLite file, the platform down for a while, the whole stack
SIGKILLed and started again on its data directory, and duplicate and early inputs. The
drivers hold at the go-live sign-offs until the faults are over, so every fault finds
every onboarding started so far in flight. Then the drill counts each side effect where
it lives (`starter.drill_checks`) and exits 0 only when every count is what it must be.

Run with `make drill` (`python -m starter.drill [--n 20] [--quick]`).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError

from onboarding.inputs import Feedback, InputName, SignOff
from onboarding.steps import STEP_ORDER, SignOffGate, StepKey
from starter import drill_faults as faults
from starter import ops
from starter.demo import OWNER, SUPPORT_LEAD
from starter.devstack import DevStack, Ports
from starter.drill_checks import (
    deliveries,
    duplicate_entries,
    platform_counts,
    task_failures,
    verified_chains,
)
from starter.drill_driver import Board, Driver
from starter.drill_report import Fault, InputTally, Report
from starter.errors import CliError
from starter.signing import envelope_json, sign_input, staff_signer
from worker.client import connect
from worker.config import EXAMPLES_DIR, Settings, load_settings
from workflows.inputs import INPUT_SIGNAL

T = TypeVar("T")

PHASES = (
    "worker_kill",
    "worker_kill",
    "worker_kill",
    "two_workers",
    "server_restart",
    "sandbox_down",
    "stack_kill",
    "inputs",
)
"""The faults in order; each after a wave of new onboardings, so the three worker kills
find different steps running."""
QUICK_PHASES = ("worker_kill", "server_restart", "inputs")
FINISH_SECONDS = 240.0
"""After the last fault, how long the onboardings have to reach go-live (plus 6 s each)."""


class Drill:
    """One run: the stack, the drivers' loop (a thread) and the faults (this thread)."""

    def __init__(self, n: int, phases: tuple[str, ...], scratch: Path) -> None:
        self.n, self.phases = n, phases
        self.data_dir = scratch / "stack"
        self.ports = Ports.free()
        self.worker_env = {
            "ONBOARDING_REVIEW_AFTER": "P30D",  # the drill ends at go-live
            "ONBOARDING_STEP_MAX_ATTEMPTS": "2",  # a platform outage blocks within seconds
            "ONBOARDING_PROBE_PASSWORD": secrets.token_urlsafe(24),
        }
        self.stack = self._new_stack()
        self.board = Board()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.drivers: list[Driver] = []
        self.futures: list[Future[None]] = []
        self.faults: list[Fault] = []
        self.inputs = InputTally()
        self.client: Client | None = None
        self.settings = load_settings(Settings)

    def _new_stack(self) -> DevStack:
        return DevStack(
            data_dir=self.data_dir,
            roster=EXAMPLES_DIR / "roster.yaml",
            ports=self.ports,
            worker_env=self.worker_env,
            demo_keys=True,
        )

    def on_loop(self, coro: Coroutine[Any, Any, T], timeout: float = 300) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    # ------------------------------------------------------------------ the run

    def run(self) -> Report:
        self.stack.start()
        self.thread.start()
        try:
            self.settings.portal_url = self.stack.portal_url
            self.settings.key_dir = self.stack.keys.staff_key_dir
            profile = ClientConfigProfile(address=self.stack.temporal_address)
            codec = self.stack.codec_settings()
            self.client = self.on_loop(connect(profile, codec, runtime=quiet_runtime()))
            waves = _waves(self.n, len(self.phases))
            hit: set[StepKey] = set()
            for phase, size in zip(self.phases, waves, strict=True):
                self._start_wave(size)
                self._fault(phase, hit)
            self.board.released.set()
            self._finish()
            return self._count()
        finally:
            self.stack.stop()
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)

    def _start_wave(self, size: int) -> None:
        assert self.client is not None
        for _ in range(size):
            driver = Driver(self.client, self.settings, self.stack.mailbox, self.board)
            self.drivers.append(driver)
            self.futures.append(asyncio.run_coroutine_threadsafe(driver.run(), self.loop))
        time.sleep(2.0)  # let the wave start its first steps

    def _fault(self, phase: str, hit: set[StepKey]) -> None:
        actions: dict[str, Callable[[], str]] = {
            "two_workers": lambda: faults.kill_one_of_two(self.stack, self.board),
            "server_restart": lambda: faults.restart_server(self.stack, self.board),
            "sandbox_down": lambda: faults.sandbox_down(self.stack, self.board),
            "stack_kill": self._stack_kill,
            "inputs": lambda: self.on_loop(self._send_inputs()),
        }
        in_flight = len(self.board.in_flight())
        started = time.monotonic()
        name = phase
        if phase == "worker_kill":
            name = f"worker_kill_{sum(f.name.startswith(phase) for f in self.faults) + 1}"
            detail = faults.kill_worker(self.stack, self.board, hit)
        else:
            detail = actions[phase]()
        self.faults.append(Fault(name, in_flight, time.monotonic() - started, detail))

    def _stack_kill(self) -> str:
        running = self.board.running_steps()
        self.stack = faults.kill_everything(self.stack, self._new_stack)
        steps = sorted({s.value for s in running.values()})
        return f"every part SIGKILLed at once, restarted on {self.data_dir.name}/; running: " + (
            ", ".join(steps) or "no step"
        )

    async def _send_inputs(self) -> str:
        """For every onboarding in flight: its last signed input again, as the same update
        and as a signal, and an input for a later gate than the one it is at."""
        assert self.client is not None
        tally = self.inputs
        for driver in self.drivers:
            if driver.live:
                continue
            tenant = driver.tenant
            if (envelope := driver.last_sent) is not None:
                tally.resent += 1
                try:
                    await ops.send_input(self.client, tenant, envelope)
                    tally.same_answer += 1
                except CliError as err:
                    tally.resent_refused += "replay" in str(err)
                    if "replay" not in str(err):
                        tally.other.append(f"{tenant} resend: {err}")
                handle = self.client.get_workflow_handle(f"onboarding-{tenant}")
                try:
                    await handle.signal(INPUT_SIGNAL, envelope_json(envelope))
                    tally.signalled += 1
                except RPCError as err:
                    tally.other.append(f"{tenant} signal not delivered: {err.message}")
            status = await driver.status()
            at = status.current_step if status is not None else None
            early = STEP_ORDER.index(at) < STEP_ORDER.index(StepKey.GO_LIVE) if at else True
            by, name, payload = (
                (
                    SUPPORT_LEAD,
                    InputName.SIGN_OFF,
                    SignOff(by=SUPPORT_LEAD, gate=SignOffGate.SUPPORT),
                )
                if early
                else (OWNER, InputName.GIVE_FEEDBACK, Feedback(by=OWNER, text="Early feedback."))
            )
            tally.early += 1
            try:
                signed = sign_input(staff_signer(self.settings, by), tenant, name, payload)
                await ops.send_input(self.client, tenant, signed)
                tally.other.append(f"{tenant}: early {name.value} accepted at {at}")
            except CliError as err:
                tally.early_refused += "refused" in str(err)
        return (
            f"{tally.resent} inputs re-sent as the same update ({tally.same_answer} same answer, "
            f"{tally.resent_refused} refused as replays) and as a signal; {tally.early} early "
            f"inputs for a later gate, {tally.early_refused} refused"
        )

    async def _save_history(self, workflow_id: str) -> Path:
        """Keep the history of a run that failed a task or a query, for the engineer on call
        (`temporal workflow show` format; kept with `--keep`)."""
        assert self.client is not None
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        path = self.data_dir / f"{workflow_id}.history.json"
        path.write_text(history.to_json())
        return path

    def _finish(self) -> None:
        deadline = time.monotonic() + FINISH_SECONDS + 6 * self.n
        for future in self.futures:
            try:
                future.result(timeout=max(0.1, deadline - time.monotonic()))
            except FutureTimeout:
                future.cancel()
            except Exception as err:  # a driver that crashed counts as not live
                print(f"driver failed: {type(err).__name__}: {err}", file=sys.stderr)

    # ----------------------------------------------------------------- the counts

    def _count(self) -> Report:
        assert self.client is not None
        tenants = [d.tenant for d in self.drivers]
        platform = {t: platform_counts(self.stack, t) for t in tenants}
        statuses = {d.tenant: self.on_loop(d.status()) for d in self.drivers}
        replays = sum(
            1
            for s in statuses.values()
            if s is not None
            for r in s.refused
            if r.reason.startswith("replay")
        )
        tasks = self.on_loop(task_failures(self.client))
        query_failures = {d.tenant: d.query_failures[-1] for d in self.drivers if d.query_failures}
        suspects = {f"onboarding-{t}" for t in query_failures} | set(tasks.failed)
        saved = [self.on_loop(self._save_history(w)) for w in sorted(suspects)]
        return Report(
            n=self.n,
            live=sum(d.live for d in self.drivers),
            platform=platform,
            duplicates=duplicate_entries(self.stack, tenants),
            chains=verified_chains(self.stack, tenants),
            sent=deliveries(self.stack.data_dir / "logs"),
            tasks=tasks,
            faults=self.faults,
            inputs=self.inputs,
            replays_refused=replays,
            retries=[r for d in self.drivers for r in d.retries],
            hiccups=sum(len(d.hiccups) for d in self.drivers),
            query_failures=query_failures,
            saved_histories=saved,
        )


def quiet_runtime() -> Runtime:
    """The SDK runtime with its core's logs at ERROR: every fault makes the client warn
    about each retried call, and the drill's own report says what happened."""
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet)))


def _waves(n: int, phases: int) -> list[int]:
    """N onboardings split over the phases, the larger waves first."""
    return [n // phases + (1 if i < n % phases else 0) for i in range(phases)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="onboardings (default 20)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one worker kill, a server restart and the duplicate inputs only",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="run in this (new) directory and keep the stack's files and logs afterwards",
    )
    args = parser.parse_args()
    phases = QUICK_PHASES if args.quick else PHASES
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=False)
        report = Drill(max(1, args.n), phases, args.keep).run()
    else:
        with tempfile.TemporaryDirectory(prefix="onboard-drill-") as scratch:
            report = Drill(max(1, args.n), phases, Path(scratch)).run()
    report.print()
    wrong = report.failures()
    if wrong:
        print("drill FAILED: " + "; ".join(wrong), file=sys.stderr)
        sys.exit(1)
    print("drill passed: every check holds")


if __name__ == "__main__":
    main()
