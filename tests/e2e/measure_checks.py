"""Measure what the platform checks cost: requests, sandbox CPU, the rate-limit check's time.

    .venv/bin/python -m tests.e2e.measure_checks [--rounds 3] [--together 10] [--burners 2]

On one embedded stack (dev server, sandbox, worker as subprocesses) it drives ROUNDS demo
onboardings one after the other (contract to completed review) and reads, for each, the
sandbox's request count (its access log) and the CPU time of the sandbox and the worker
(``/proc/<pid>/stat``). Then it times the rate-limit check alone against an in-process
sandbox, and finally starts TOGETHER onboardings at once while BURNERS CPU-bound processes
load the machine, and counts how many go live and how many block (and where).

Every figure is min / median / max over the rounds. The numbers are for docs/measurements.md;
nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from rich.console import Console

from activities.catalog import platform_activities
from activities.environment import EnvironmentActivities
from activities.platform import PlatformClient, ProbeConfig
from activities.probes import ProbeUsers
from starter.demo import drive_onboarding
from starter.devstack import DevStack, Ports
from starter.errors import CliError
from tests.activities.support import ADMIN_KEY, PROBE_PASSWORD, request, run
from tests.fixtures.sandbox import running_sandbox
from worker.client import connect
from worker.config import EXAMPLES_DIR, Settings, load_settings

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of one process, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def sandbox_requests(stack: DevStack) -> int:
    """Requests the sandbox has served so far (uvicorn's access log lines)."""
    log = stack.log_path("sandbox")
    return sum(1 for line in log.read_text().splitlines() if '" ' in line and "HTTP/1.1" in line)


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    """``min / median / max`` of the values."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f}{unit}"


@contextmanager
def burners(count: int) -> Iterator[None]:
    """Run ``count`` CPU-bound processes for the duration of the block."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


async def sequential(stack: DevStack, rounds: int) -> dict[str, list[float]]:
    settings = load_settings(Settings)
    settings.temporal = replace(settings.temporal, address=stack.temporal_address)
    settings.ui_url = stack.ui_url
    client = await connect(settings.temporal, stack.codec_settings())
    quiet = Console(file=io.StringIO())
    sandbox_pid, worker_pid = stack.procs["sandbox"].pid, stack.procs["worker"].pid
    figures: dict[str, list[float]] = {"requests": [], "sandbox": [], "worker": [], "seconds": []}
    for _ in range(rounds):
        requests, sandbox, worker = (
            sandbox_requests(stack),
            cpu_seconds(sandbox_pid),
            cpu_seconds(worker_pid),
        )
        started = time.perf_counter()
        await drive_onboarding(client, settings, quiet)
        figures["seconds"].append(time.perf_counter() - started)
        await asyncio.sleep(1.0)  # let the access log and the background writes settle
        figures["requests"].append(sandbox_requests(stack) - requests)
        figures["sandbox"].append(cpu_seconds(sandbox_pid) - sandbox)
        figures["worker"].append(cpu_seconds(worker_pid) - worker)
    return figures


async def together(stack: DevStack, count: int) -> tuple[int, Counter[str], float]:
    """Start ``count`` onboardings at once; return how many went live, the blocks, seconds."""
    settings = load_settings(Settings)
    settings.temporal = replace(settings.temporal, address=stack.temporal_address)
    settings.ui_url = stack.ui_url
    client = await connect(settings.temporal, stack.codec_settings())

    async def one() -> str:
        try:
            await drive_onboarding(client, settings, Console(file=io.StringIO()))
        except CliError as error:
            return str(error)[:160]
        return "live"

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(one() for _ in range(count)))
    blocks = Counter(o for o in outcomes if o != "live")
    return outcomes.count("live"), blocks, time.perf_counter() - started


async def rate_limit_check_seconds(rounds: int) -> list[float]:
    """Time the rate-limit check alone (the contract's 600/min) on an in-process sandbox."""
    durations = []
    with tempfile.TemporaryDirectory(prefix="measure-rate-") as scratch:
        async with (
            running_sandbox(Path(scratch)) as url,
            httpx.AsyncClient(timeout=30) as http,
        ):
            platform = PlatformClient(http, SecretStr(ADMIN_KEY), base_url=url)
            probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD))
            acts = {fn.__name__: fn for fn in platform_activities(platform, probe)}
            provisioned = await run(acts["provision_account"], request("provision_account"))
            assert provisioned.passed, provisioned.failed
            env = EnvironmentActivities(platform, probe)
            req = request("validate_environment")
            log: Any = _Quiet()
            for _ in range(rounds):
                async with ProbeUsers(platform, probe, req, ("viewer",), log) as probes:
                    session = probes.sessions["viewer"]
                    started = time.perf_counter()
                    result = await env._rate_limit(req, session)
                    durations.append(time.perf_counter() - started)
                    assert result.passed, result.detail
    return durations


class _Quiet:
    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: None


async def main(rounds: int, count: int, burner_count: int) -> None:
    out = Console()
    with tempfile.TemporaryDirectory(prefix="measure-checks-") as scratch:
        stack = DevStack(
            data_dir=Path(scratch) / "stack",
            roster=EXAMPLES_DIR / "roster.yaml",
            ports=Ports.free(),
            worker_env={"ONBOARDING_REVIEW_AFTER": "PT2S"},
        )
        await asyncio.to_thread(stack.start)
        try:
            figures = await sequential(stack, rounds)
            out.print(f"one onboarding at a time, contract to completed review ({rounds} rounds):")
            out.print(f"  platform requests       {spread(figures['requests'], digits=0)}")
            out.print(f"  sandbox CPU             {spread(figures['sandbox'], ' s', 2)}")
            out.print(f"  worker CPU              {spread(figures['worker'], ' s', 2)}")
            out.print(f"  wall time               {spread(figures['seconds'], ' s', 1)}")
            durations = await rate_limit_check_seconds(rounds)
            out.print(f"  rate-limit check alone  {spread(durations, ' s', 2)}")
            if count:
                with burners(burner_count):
                    live, blocks, seconds = await together(stack, count)
                out.print(
                    f"{count} started together, {burner_count} CPU-bound processes beside: "
                    f"{live} of {count} went live in {seconds:.0f} s"
                )
                for reason, times in blocks.most_common():
                    out.print(f"  {times} x {reason}")
        finally:
            await asyncio.to_thread(stack.stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--together", type=int, default=10)
    parser.add_argument("--burners", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.together, args.burners))
