"""`make bench`: onboardings against a bare-Temporal baseline, on one stack, in one run.

    python -m starter.benchmark [--n 10 30 100] [--repetitions 3] [--burners 2]

For each N and repetition, on one fresh embedded stack: N onboardings start together and
are driven to go-live with signed inputs (`starter.drive`, as `bench-scale` and the CLI
do); one of their histories gives the counts of activities, timers, updates and search
attribute upserts; then N bare workflows with exactly those counts (`starter.bare`) run
together on the same server. A figure alone on a shared machine says little; the ratio
of the two, measured minutes apart on the same server, says what our code costs on top
of Temporal's own work. The CPU seconds come from /proc, per process of the stack.

Prints a table per N, then one JSON line with every figure. `--burners K` keeps K
busy-looping processes running throughout, to measure under CPU contention.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from starter.bare import BareCounts, BareUpdate, BareWorkflow, bare_client
from starter.bench_figures import SERVER, WORKER, Phase, Sample, figures, table
from starter.cpu import snapshot, spent
from starter.devstack import DevStack, Ports
from starter.drive import (
    POLL_SECONDS,
    VISIBLE_POLL_SECONDS,
    drive_batch,
    stack_client,
    stack_settings,
)
from worker.config import EXAMPLES_DIR, Settings

WORKER_ENV = {"ONBOARDING_REVIEW_AFTER": "P30D"}
"""Onboardings wait for their review after go-live, out of the way of the next batch."""
READY_SECONDS = 60.0
BURN = "while True: pass"
SETTLE_SECONDS = 15.0
IDLE_WINDOW_SECONDS = 0.5
IDLE_CPU_SECONDS = 0.03
"""Under 6% of a core over the window: the worker is only polling."""

COUNTED = {
    "activities": EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    "timers": EventType.EVENT_TYPE_TIMER_STARTED,
    "updates": EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    "upserts": EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
}


@dataclass
class Bench:
    """The stack and the clients of one run."""

    stack: DevStack
    settings: Settings
    client: Client
    """The CLI's client (encrypting), for the onboardings."""
    bare: Client
    """A plain client, for the bare workflows."""
    bare_worker: subprocess.Popen[bytes]
    bare_queue: str


def launched(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process that dies with this one (`starter.launch`), output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "starter.launch", str(os.getpid()), *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def start_bare_worker(stack: DevStack, queue: str) -> subprocess.Popen[bytes]:
    """The bare workflow's own worker, polling once it has printed so."""
    log = stack.log_path("bare-worker")
    command = [sys.executable, "-m", "starter.bare", stack.temporal_address, queue]
    proc = launched(command, log)
    deadline = time.monotonic() + READY_SECONDS
    while "polling" not in (log.read_text() if log.exists() else ""):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the bare worker did not start; see {log}")
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


async def counts_of(client: Client, workflow_id: str) -> BareCounts:
    """The Temporal work in one onboarding's history, as counts of its events."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    seen = Counter(event.event_type for event in history.events)
    return BareCounts(**{key: seen[kind] for key, kind in COUNTED.items()})


async def history_sizes(client: Client, workflow_ids: list[str]) -> tuple[list[int], list[int]]:
    """Each workflow's history length and size in bytes, as the server counts them."""
    events, sizes = [], []
    for workflow_id in workflow_ids:
        info = (
            await client.get_workflow_handle(workflow_id).describe()
        ).raw_description.workflow_execution_info
        events.append(info.history_length)
        sizes.append(info.history_size_bytes)
    return events, sizes


async def onboardings(bench: Bench, n: int) -> tuple[Phase, list[str], list[str]]:
    """N onboardings to go-live; the phase, the blocked steps and the live workflow ids."""
    phase = Phase(n=n)
    before = snapshot(bench.stack.procs)
    started = time.perf_counter()
    record = await drive_batch(bench.client, bench.settings, bench.stack.mailbox, n)
    phase.wall_s = time.perf_counter() - started
    phase.cpu_s = spent(before, snapshot(bench.stack.procs))
    phase.completed = len(record.workflow_ids)
    phase.round_trips_s = record.round_trips
    phase.failures = record.failures
    phase.events, phase.bytes = await history_sizes(bench.client, record.workflow_ids)
    return phase, record.retries, record.workflow_ids


async def bare_one(bench: Bench, counts: BareCounts, round_trips: list[float]) -> str:
    """One bare workflow: started, polled until it waits (as the onboardings are), sent its
    updates one after the other as sign-offs are sent, awaited."""
    handle = await bench.bare.start_workflow(
        BareWorkflow.run, counts, id=f"bare-{uuid.uuid4().hex}", task_queue=bench.bare_queue
    )
    while True:
        if await handle.query(BareWorkflow.is_waiting):
            break
        await asyncio.sleep(POLL_SECONDS)
    for seq in range(counts.updates):
        sent = time.perf_counter()
        await handle.execute_update(BareWorkflow.give, BareUpdate(seq=seq))
        while True:
            if await handle.query(BareWorkflow.count) > seq:
                break
            await asyncio.sleep(VISIBLE_POLL_SECONDS)
        round_trips.append(time.perf_counter() - sent)
    await handle.result()
    return handle.id


async def bare_batch(bench: Bench, n: int, counts: BareCounts) -> tuple[Phase, list[str]]:
    """N bare workflows at once, with the counts of an onboarding; the phase and the ids
    of those that completed."""
    phase = Phase(n=n)
    procs = {WORKER: bench.bare_worker, SERVER: bench.stack.procs[SERVER]}
    before = snapshot(procs)
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(bare_one(bench, counts, phase.round_trips_s) for _ in range(n)),
        return_exceptions=True,
    )
    phase.wall_s = time.perf_counter() - started
    phase.cpu_s = spent(before, snapshot(procs))
    done = [o for o in outcomes if isinstance(o, str)]
    phase.failures = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, Exception)]
    phase.completed = len(done)
    phase.events, phase.bytes = await history_sizes(bench.bare, done)
    return phase, done


async def settled(stack: DevStack) -> None:
    """Wait until the onboardings' worker is idle: what they do just after go-live (the
    go-live notices, the records) is theirs, not the bare workflows' that come next."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        before = snapshot({WORKER: stack.procs[WORKER]})
        await asyncio.sleep(IDLE_WINDOW_SECONDS)
        if spent(before, snapshot({WORKER: stack.procs[WORKER]}))[WORKER] < IDLE_CPU_SECONDS:
            return


async def sample(bench: Bench, n: int) -> Sample:
    """One repetition at N: the onboardings, their counts, then the bare workflows."""
    phase, blocked, live = await onboardings(bench, n)
    if not live:
        raise RuntimeError(f"no onboarding went live: {phase.failures[:1]}")
    counts = await counts_of(bench.client, live[0])
    await settled(bench.stack)
    bare, done = await bare_batch(bench, n, counts)
    bare_counts = (
        await counts_of(bench.bare, done[0]) if done else BareCounts(**dict.fromkeys(COUNTED, 0))
    )
    return Sample(
        counts=counts, bare_counts=bare_counts, onboardings=phase, bare=bare, blocked=blocked
    )


async def measure(stack: DevStack, ns: list[int], repetitions: int) -> dict[int, list[Sample]]:
    settings = stack_settings(stack)
    queue = f"bare-{uuid.uuid4().hex[:8]}"
    bare_worker = await asyncio.to_thread(start_bare_worker, stack, queue)
    try:
        bench = Bench(
            stack=stack,
            settings=settings,
            client=await stack_client(stack, settings),
            bare=await bare_client(stack.temporal_address),
            bare_worker=bare_worker,
            bare_queue=queue,
        )
        results: dict[int, list[Sample]] = {n: [] for n in ns}
        for _ in range(repetitions):
            for n in ns:
                results[n].append(await sample(bench, n))
        return results
    finally:
        stop(bare_worker)


def run(ns: list[int], repetitions: int, burners: int) -> dict[str, Any]:
    """The whole benchmark on one fresh stack in a temporary directory."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="onboard-benchmark-") as scratch:
        stack = DevStack(
            data_dir=Path(scratch) / "stack",
            roster=EXAMPLES_DIR / "roster.yaml",
            ports=Ports.free(),
            worker_env=WORKER_ENV,
            demo_keys=True,
        )
        burning = [
            launched([sys.executable, "-c", BURN], Path(scratch) / "burner.log")
            for _ in range(burners)
        ]
        try:
            stack.start()  # from this thread, which outlives the stack (see DevStack.start)
            try:
                results = asyncio.run(measure(stack, ns, repetitions))
            finally:
                stack.stop()
        finally:
            for proc in burning:
                stop(proc)
    return {
        "bench": "onboarding_vs_bare",
        "at": at,
        "cpus": os.cpu_count(),
        "load_average": {"before": load_before, "after": os.getloadavg()[0]},
        "repetitions": repetitions,
        "burners": burners,
        "results": [figures(results[n]) for n in ns],
    }


def finite(value: Any) -> Any:
    """The report with every NaN (a ratio with nothing to divide by) as null: strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10], help="onboardings at once")
    parser.add_argument(
        "--repetitions", type=int, default=1, help="runs of each N (3 for the full run)"
    )
    parser.add_argument("--burners", type=int, default=0, help="busy-looping processes")
    args = parser.parse_args()
    if min(args.n) < 1 or args.repetitions < 1 or args.burners < 0:
        parser.error("--n and --repetitions must be at least 1, --burners at least 0")
    report = run(args.n, args.repetitions, args.burners)
    print(f"onboardings vs bare workflows, same stack, same run ({report['at']}, ", end="")
    load = report["load_average"]
    print(
        f"{report['cpus']} CPUs, {args.burners} burner(s), "
        f"load average {load['before']:.1f} before, {load['after']:.1f} after):"
    )
    for result in report["results"]:
        print("\n".join(table(result, args.repetitions)))
    print(json.dumps(finite(report), allow_nan=False))
    failed = any(r["onboardings"]["failures"] or r["bare"]["failures"] for r in report["results"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
