"""What encryption costs per payload: encode + decode of a realistic status, with and without
the codec, in the same run (`python -m tests.codec.bench_codec`)."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from codec.keys import new_key_entry, parse_ring
from onboarding.checks import CheckResult
from onboarding.status import OnboardingStatus, SignOffRecord
from worker.client import encrypting_converter

ROUNDS = 300
REPEATS = 5


def sample_status() -> OnboardingStatus:
    """A status as large as one at go-live: every step with its checks, three sign-offs."""
    now = datetime.now(UTC)
    status = OnboardingStatus(tenant_id="northwind", tenant_name="Northwind", workflow_id="w")
    for record in status.steps:
        record.started_at = record.completed_at = now
        record.actors = ["olivia@localizevideos.example", "system"]
        record.checks = [
            CheckResult(
                name=f"check_{i}",
                passed=True,
                detail="the platform answered as expected " * 4,
                expected={"limit": 600},
                observed={"limit": 600},
                checked_at=now,
            )
            for i in range(6)
        ]
    status.sign_offs = [
        SignOffRecord(gate=g, by="ada.park@northwind.example", at=now, note="looks good")
        for g in ("customer", "platform", "support")
    ]
    return status


async def seconds_per_round(converter: DataConverter, value: OnboardingStatus) -> float:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        for _ in range(ROUNDS):
            payloads = await converter.encode([value])
            await converter.decode(payloads, [OnboardingStatus])
        samples.append((time.perf_counter() - started) / ROUNDS)
    return statistics.median(samples)


async def main() -> None:
    value = sample_status()
    plain, sealed = pydantic_data_converter, encrypting_converter(parse_ring(new_key_entry("b")))
    plain_size = len((await plain.encode([value]))[0].SerializeToString())
    sealed_size = len((await sealed.encode([value]))[0].SerializeToString())
    base = await seconds_per_round(plain, value)
    encrypted = await seconds_per_round(sealed, value)
    print(
        f"one status payload ({plain_size} bytes), encode + decode, median of {REPEATS}x{ROUNDS}:"
    )
    print(f"  pydantic converter (baseline)   {base * 1e6:8.1f} us")
    print(f"  with AES-256-GCM codec          {encrypted * 1e6:8.1f} us")
    print(f"  ratio encrypted / baseline: {encrypted / base:.2f}x")
    print(f"  size: {sealed_size} bytes sealed, +{sealed_size - plain_size} bytes")


if __name__ == "__main__":
    asyncio.run(main())
