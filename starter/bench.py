"""`onboard bench`: how long one onboarding takes end to end on the embedded stack.

It runs the demo's onboarding (contract to completed review, every input through the same
updates the CLI sends) ROUNDS times on a stack whose dev server keeps its SQLite file in WAL
mode, and as many times on one with the dev server's default pragmas, in the same run, so
the ratio holds on a shared, noisy machine.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from starter.demo import drive_onboarding
from starter.devstack import DevStack, Ports
from worker.client import connect
from worker.config import EXAMPLES_DIR, Settings, load_settings


async def _rounds(stack: DevStack, rounds: int) -> list[float]:
    settings = load_settings(Settings)
    settings.temporal = replace(settings.temporal, address=stack.temporal_address)
    settings.ui_url = stack.ui_url
    settings.portal_url = stack.portal_url
    settings.key_dir = stack.keys.staff_key_dir
    client = await connect(settings.temporal, stack.codec_settings())
    quiet = Console(file=io.StringIO())
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        await drive_onboarding(client, settings, quiet, stack.mailbox)
        durations.append(time.perf_counter() - started)
    return durations


async def run_bench(out: Console, rounds: int) -> None:
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="onboard-bench-") as scratch:
        for label, wal in (("WAL (embedded default)", True), ("dev-server default pragmas", False)):
            stack = DevStack(
                data_dir=Path(scratch) / ("wal" if wal else "default"),
                roster=EXAMPLES_DIR / "roster.yaml",
                ports=Ports.free(),
                worker_env={"ONBOARDING_REVIEW_AFTER": "PT2S"},
                sqlite_wal=wal,
                demo_keys=True,
            )
            await asyncio.to_thread(stack.start)
            try:
                results[label] = await _rounds(stack, rounds)
            finally:
                await asyncio.to_thread(stack.stop)
    wal_median, default_median = (statistics.median(v) for v in results.values())
    out.print(f"one onboarding, contract to completed review ({rounds} rounds each, median):")
    for label, values in results.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        out.print(f"  {label:<28} {statistics.median(values):6.1f} s   ({shown})")
    out.print(f"  ratio default / WAL: {default_median / wal_median:.2f}x")
    verdict = "yes" if wal_median < 60 else "NO"
    out.print(f"  under a minute with the embedded default: {verdict}")
