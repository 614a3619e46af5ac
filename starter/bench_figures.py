"""The figures of `make bench`: one sample per batch, summarised over the repetitions.

Kept apart from the driving so the arithmetic (ratios, percentiles, the JSON line) reads
in one place. Every figure is min / median / max over the repetitions: a single run on a
shared machine is noise, and the spread says how much.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starter.bare import BareCounts

EVENT_LIMIT = 51_200
"""Temporal's limit on the events of one workflow history."""
BYTE_LIMIT = 50 * 1024 * 1024
"""Temporal's limit on the size of one workflow history (50 MB)."""
SERVER = "temporal"
WORKER = "worker"
SANDBOX = "sandbox"


@dataclass
class Phase:
    """One batch of workflows (onboardings or bare ones) started together."""

    n: int
    completed: int = 0
    wall_s: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds each process spent during the batch, by part."""
    round_trips_s: list[float] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    """History length of each workflow, at go-live (onboardings) or at the end (bare)."""
    bytes: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.completed / self.wall_s if self.wall_s > 0 else 0.0

    def cpu_per(self, *parts: str) -> float:
        """CPU seconds per workflow of the given parts (all parts if none given)."""
        chosen = parts or tuple(self.cpu_s)
        return sum(self.cpu_s.get(p, 0.0) for p in chosen) / max(self.n, 1)


@dataclass
class Sample:
    """One repetition at one N: the onboardings, then the bare workflows with their counts."""

    counts: BareCounts
    """Counted from an onboarding's history; the bare workflows were given these."""
    bare_counts: BareCounts
    """Counted from a bare workflow's history: the same, if the baseline did its work."""
    onboardings: Phase
    bare: Phase
    blocked: list[str] = field(default_factory=list)
    """The steps blocked (and retried) while driving the onboardings."""


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), interpolated; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def spread(values: Sequence[float]) -> dict[str, float]:
    """Min, median and max of one figure over the repetitions."""
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
    }


def counted(counts: Sequence[BareCounts]) -> dict[str, dict[str, float]]:
    """Each count's spread over the repetitions."""
    return {
        key: spread([float(getattr(c, key)) for c in counts]) for key in BareCounts.model_fields
    }


def figures(samples: Sequence[Sample]) -> dict[str, Any]:
    """Every figure of one N, each as min / median / max over its samples."""

    def of(get: Callable[[Sample], float]) -> dict[str, float]:
        return spread([get(s) for s in samples])

    def mean(values: Sequence[int]) -> float:
        return statistics.fmean(values) if values else math.nan

    return {
        "n": samples[0].onboardings.n,
        "counts": counted([s.counts for s in samples]),
        "bare_counts": counted([s.bare_counts for s in samples]),
        "onboardings": {
            "completed": of(lambda s: s.onboardings.completed),
            "wall_s": of(lambda s: s.onboardings.wall_s),
            "per_s": of(lambda s: s.onboardings.per_s),
            "blocked_steps": sum(len(s.blocked) for s in samples),
            "blocked": [line for s in samples for line in s.blocked],
            "failures": [line for s in samples for line in s.onboardings.failures],
        },
        "bare": {
            "completed": of(lambda s: s.bare.completed),
            "wall_s": of(lambda s: s.bare.wall_s),
            "per_s": of(lambda s: s.bare.per_s),
            "failures": [line for s in samples for line in s.bare.failures],
        },
        "throughput_ratio": of(lambda s: ratio(s.onboardings.per_s, s.bare.per_s)),
        "cpu_s_per_onboarding": {
            "worker": of(lambda s: s.onboardings.cpu_per(WORKER)),
            "temporal": of(lambda s: s.onboardings.cpu_per(SERVER)),
            "sandbox": of(lambda s: s.onboardings.cpu_per(SANDBOX)),
            "worker_and_temporal": of(lambda s: s.onboardings.cpu_per(WORKER, SERVER)),
            "all_parts": of(lambda s: s.onboardings.cpu_per()),
        },
        "cpu_s_per_bare": {
            "worker": of(lambda s: s.bare.cpu_per(WORKER)),
            "temporal": of(lambda s: s.bare.cpu_per(SERVER)),
            "worker_and_temporal": of(lambda s: s.bare.cpu_per(WORKER, SERVER)),
        },
        "cpu_ratio": of(
            lambda s: ratio(s.onboardings.cpu_per(WORKER, SERVER), s.bare.cpu_per(WORKER, SERVER))
        ),
        "round_trip_ms": {
            "onboarding_p50": of(lambda s: 1000 * percentile(s.onboardings.round_trips_s, 50)),
            "onboarding_p99": of(lambda s: 1000 * percentile(s.onboardings.round_trips_s, 99)),
            "bare_p50": of(lambda s: 1000 * percentile(s.bare.round_trips_s, 50)),
            "bare_p99": of(lambda s: 1000 * percentile(s.bare.round_trips_s, 99)),
            "ratio_p50": of(
                lambda s: ratio(
                    percentile(s.onboardings.round_trips_s, 50),
                    percentile(s.bare.round_trips_s, 50),
                )
            ),
            "samples": sum(len(s.onboardings.round_trips_s) for s in samples),
        },
        "history": {
            "events_per_onboarding": of(lambda s: mean(s.onboardings.events)),
            "events_max": of(lambda s: max(s.onboardings.events, default=0)),
            "bytes_per_onboarding": of(lambda s: mean(s.onboardings.bytes)),
            "bytes_max": of(lambda s: max(s.onboardings.bytes, default=0)),
            "events_pct_of_limit": of(
                lambda s: 100 * max(s.onboardings.events, default=0) / EVENT_LIMIT
            ),
            "bytes_pct_of_limit": of(
                lambda s: 100 * max(s.onboardings.bytes, default=0) / BYTE_LIMIT
            ),
            "bare_events_per_workflow": of(lambda s: mean(s.bare.events)),
        },
    }


def shown(stat: dict[str, float], fmt: str = "{:.2f}") -> str:
    """A figure for the table: the median, with the range when there are several runs."""
    median = fmt.format(stat["median"])
    if stat["min"] == stat["max"]:
        return median
    return f"{median} ({fmt.format(stat['min'])}..{fmt.format(stat['max'])})"


def table(result: dict[str, Any], repetitions: int) -> list[str]:
    """The readable lines for one N."""
    on, bare, cpu, cpu_bare = (
        result["onboardings"],
        result["bare"],
        result["cpu_s_per_onboarding"],
        result["cpu_s_per_bare"],
    )
    rt, hist, counts = result["round_trip_ms"], result["history"], result["counts"]
    count_line = ", ".join(f"{shown(counts[k], '{:.0f}')} {k}" for k in counts)
    bare_counts = result["bare_counts"]
    same = "the same" if bare_counts == counts else "NOT the same"
    bare_line = ", ".join(f"{shown(bare_counts[k], '{:.0f}')} {k}" for k in bare_counts)
    lines = [
        f"N={result['n']} at once ({repetitions} repetition(s); median (min..max)):",
        f"  counts from an onboarding's history: {count_line}",
        f"  counts from a bare workflow's history ({same}): {bare_line}",
        f"  {'':<30}{'onboarding':>22}{'bare workflow':>22}{'ratio':>16}",
        f"  {'completed':<30}{shown(on['completed'], '{:.0f}'):>22}"
        f"{shown(bare['completed'], '{:.0f}'):>22}",
        f"  {'wall time, s':<30}{shown(on['wall_s'], '{:.1f}'):>22}"
        f"{shown(bare['wall_s'], '{:.1f}'):>22}",
        f"  {'per second':<30}{shown(on['per_s'], '{:.3f}'):>22}"
        f"{shown(bare['per_s'], '{:.2f}'):>22}{shown(result['throughput_ratio'], '{:.3f}x'):>16}",
        f"  {'CPU s each: worker':<30}{shown(cpu['worker']):>22}{shown(cpu_bare['worker']):>22}",
        f"  {'CPU s each: Temporal server':<30}{shown(cpu['temporal']):>22}"
        f"{shown(cpu_bare['temporal']):>22}",
        f"  {'CPU s each: worker + server':<30}{shown(cpu['worker_and_temporal']):>22}"
        f"{shown(cpu_bare['worker_and_temporal']):>22}{shown(result['cpu_ratio'], '{:.1f}x'):>16}",
        f"  {'CPU s each: sandbox':<30}{shown(cpu['sandbox']):>22}",
        f"  {'CPU s each: all stack parts':<30}{shown(cpu['all_parts']):>22}",
        f"  {'update round trip p50, ms':<30}{shown(rt['onboarding_p50'], '{:.0f}'):>22}"
        f"{shown(rt['bare_p50'], '{:.0f}'):>22}{shown(rt['ratio_p50'], '{:.1f}x'):>16}",
        f"  {'update round trip p99, ms':<30}{shown(rt['onboarding_p99'], '{:.0f}'):>22}"
        f"{shown(rt['bare_p99'], '{:.0f}'):>22}",
        f"  {'history events each (max)':<30}"
        f"{shown(hist['events_max'], '{:.0f}'):>22}"
        f"{shown(hist['bare_events_per_workflow'], '{:.0f}'):>22}"
        f"   {shown(hist['events_pct_of_limit'], '{:.2f}')}% of {EVENT_LIMIT:,}",
        f"  {'history KB each (max)':<30}"
        f"{shown({k: v / 1024 for k, v in hist['bytes_max'].items()}, '{:.0f}'):>22}"
        f"{'':>22}   {shown(hist['bytes_pct_of_limit'], '{:.3f}')}% of 50 MB",
        f"  steps blocked (retried): {on['blocked_steps']}"
        + "".join(f"\n    {line}" for line in on["blocked"]),
    ]
    for failure in on["failures"] + bare["failures"]:
        lines.append(f"  FAILED: {failure}")
    return lines
