"""The drill's faults, one function each, run from the main thread while onboardings run.

Each is bounded in time and returns a sentence saying what it hit. They act on the
`DevStack` as a crash or an operator would: SIGKILL for crashes, SIGTERM then start for
planned stops, and a fresh `DevStack` on the same data directory after the whole stack
died at once.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from onboarding.steps import OnboardingState, StepKey
from starter.devstack import DevStack
from starter.drill_driver import Board

WAIT_FOR_STEPS_SECONDS = 20.0
"""How long a fault waits for a step to be running before it strikes anyway."""
SANDBOX_DOWN_SECONDS = 10.0
"""Long enough for a step's platform calls to give up (2 attempts) and block it."""


def wait_for_running(board: Board, avoid: set[StepKey], timeout: float) -> dict[str, StepKey]:
    """Wait until some onboarding runs a step not in ``avoid`` (else any step); return what
    runs when the wait ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = board.running_steps()
        if any(step not in avoid for step in running.values()):
            return running
        time.sleep(0.2)
    return board.running_steps()


def _steps(running: dict[str, StepKey]) -> str:
    counts = Counter(step.value for step in running.values())
    return ", ".join(f"{step} x{n}" for step, n in sorted(counts.items())) or "no step running"


def kill_worker(stack: DevStack, board: Board, hit: set[StepKey]) -> str:
    """SIGKILL the worker while a step of a kind not hit yet runs; start it again."""
    running = wait_for_running(board, hit | {StepKey.PRE_ONBOARDING}, WAIT_FOR_STEPS_SECONDS)
    stack.kill("worker")
    hit.update(running.values())
    time.sleep(1.0)
    stack.start_worker()
    return f"SIGKILL during: {_steps(running)}"


def kill_one_of_two(stack: DevStack, board: Board) -> str:
    """A second worker on the queue; once it has taken some work, SIGKILL the first one."""
    stack.start_worker("worker-2")
    deadline = time.monotonic() + WAIT_FOR_STEPS_SECONDS
    while not (shared := worked_on(stack.log_path("worker-2"))) and time.monotonic() < deadline:
        time.sleep(0.5)  # until the new worker has taken some of the work
    running = board.running_steps()
    stack.kill("worker")
    return (
        f"worker SIGKILLed after worker-2 had run activities of {len(shared)} onboardings; "
        f"worker-2 carries on; running: {_steps(running)}"
    )


def worked_on(log: Path) -> set[str]:
    """The workflows whose activities a worker's log shows it ran (as the scale-out test
    reads them), so a second worker is known to have shared the work."""
    seen: set[str] = set()
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("activity") and entry.get("workflow_id"):
            seen.add(str(entry["workflow_id"]))
    return seen


def restart_server(stack: DevStack, board: Board) -> str:
    """Stop the dev server (SIGTERM) and start it again on its SQLite file."""
    running = board.running_steps()
    started = time.monotonic()
    stack.stop_part("temporal")
    stack.start_temporal()
    return f"down {time.monotonic() - started:.0f} s; running: {_steps(running)}"


def sandbox_down(stack: DevStack, board: Board) -> str:
    """Stop the platform for a while as steps call it, then start it; count the blocks."""
    running = wait_for_running(
        board,
        {StepKey.PRE_ONBOARDING, StepKey.INTERNAL_READINESS},
        WAIT_FOR_STEPS_SECONDS,
    )
    stack.stop_part("sandbox")
    blocked: set[str] = set()
    deadline = time.monotonic() + SANDBOX_DOWN_SECONDS
    while time.monotonic() < deadline:
        blocked |= {t for t, s in board.seen.copy().items() if s.state is OnboardingState.BLOCKED}
        time.sleep(0.3)
    stack.start_sandbox()
    return (
        f"down {SANDBOX_DOWN_SECONDS:.0f} s; running: {_steps(running)}; "
        f"{len(blocked)} blocked while down"
    )


def kill_everything(stack: DevStack, new_stack: Callable[[], DevStack]) -> DevStack:
    """SIGKILL every part at once, then start a new stack on the same data directory."""
    procs = list(stack.procs.values())
    stack.procs.clear()
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait(timeout=10)
    fresh = new_stack()
    fresh.start()
    return fresh
