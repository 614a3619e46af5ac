"""Scale-out, measured: the same batch of onboardings driven by 1, 2 and 3 workers.

Each worker count gets a fresh embedded stack (dev server, sandbox platform) with that
many worker processes polling one task queue; the batch's onboardings start together and
are driven from contract to go-live with signed inputs, as the CLI sends them
(`starter.drive`, which `make bench` drives the same way).
Run with `make bench-scale` (`python -m starter.scale`).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from starter.devstack import DevStack, Ports
from starter.drive import drive_batch, stack_client, stack_settings
from worker.config import EXAMPLES_DIR

WORKER_ENV = {"ONBOARDING_REVIEW_AFTER": "P30D"}
"""Plus one probe password for all the workers of a stack (see `measure`): a probe user
created by one worker must be able to log in through another."""


def start_workers(stack: DevStack, count: int) -> list[str]:
    """Start ``count`` worker processes on the stack's task queue; return their parts."""
    parts = ["worker", *(f"worker-{n}" for n in range(2, count + 1))]
    for part in parts:
        if part not in stack.procs:
            stack.start_worker(part)
    return parts


async def drive_batch_on(stack: DevStack, onboardings: int, retries: list[str]) -> float:
    """Start ``onboardings`` at once and drive each to go-live; seconds taken."""
    settings = stack_settings(stack)
    client = await stack_client(stack, settings)
    started = time.perf_counter()
    record = await drive_batch(client, settings, stack.mailbox, onboardings)
    retries.extend(record.retries)
    if record.failures:
        raise RuntimeError(f"{len(record.failures)} onboarding(s) failed: {record.failures[0]}")
    return time.perf_counter() - started


def measure(workers: int, onboardings: int, scratch: Path, retries: list[str]) -> float:
    """One batch on a fresh stack with ``workers`` worker processes; seconds taken."""
    stack = DevStack(
        data_dir=scratch / f"workers-{workers}",
        roster=EXAMPLES_DIR / "roster.yaml",
        ports=Ports.free(),
        worker_env={**WORKER_ENV, "ONBOARDING_PROBE_PASSWORD": secrets.token_urlsafe(24)},
        demo_keys=True,
    )
    stack.start()
    try:
        start_workers(stack, workers)
        return asyncio.run(drive_batch_on(stack, onboardings, retries))
    finally:
        stack.stop()


def run(counts: list[int], onboardings: int, rounds: int, out: Console) -> None:
    results: dict[int, list[float]] = {}
    retries: dict[int, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="onboard-scale-") as scratch:
        for n in range(rounds):
            for workers in counts:
                where = Path(scratch) / f"round-{n}"
                seconds = measure(workers, onboardings, where, retries.setdefault(workers, []))
                results.setdefault(workers, []).append(seconds)
    out.print(
        f"{onboardings} onboardings at once, contract to go-live ({rounds} round(s) each, median):"
    )
    base = statistics.median(results[counts[0]])
    for workers in counts:
        median = statistics.median(results[workers])
        per_minute = onboardings * 60 / median
        runs = ", ".join(f"{s:.1f}" for s in results[workers])
        out.print(
            f"  {workers} worker(s)   {median:5.1f} s   {per_minute:5.1f} onboardings/min   "
            f"x{base / median:.2f}   ({runs})   steps retried: {len(retries[workers])}"
        )
    for workers, retried in retries.items():
        for line in retried:
            out.print(f"  retried with {workers} worker(s): {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--onboardings", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    run(args.workers, args.onboardings, args.rounds, Console(width=160))


if __name__ == "__main__":
    main()
