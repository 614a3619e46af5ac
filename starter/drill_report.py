"""The drill's report: a table for people, one JSON line for machines, and the verdict.

`Report.failures` is the one place that says which counts must hold (every onboarding
live, each side effect once, every chain verified, no task failure); `starter.drill`
exits 1 naming them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starter.drill_checks import PlatformCounts, TaskFailures


@dataclass
class Fault:
    """One fault as it struck: how many onboardings were in flight, and what it hit."""

    name: str
    in_flight: int
    seconds: float
    detail: str


@dataclass
class InputTally:
    """What became of the duplicate and early inputs of the `inputs` phase."""

    resent: int = 0
    same_answer: int = 0
    """The same signed update again: Temporal answered with the first answer."""
    resent_refused: int = 0
    signalled: int = 0
    """The same signed input sent again as a signal (the Web UI's way)."""
    early: int = 0
    early_refused: int = 0
    other: list[str] = field(default_factory=list)


def retry_causes(retries: list[str]) -> Counter[str]:
    """Retries by step and cause (what the block reason names first: the failure's type,
    or the activity's timeout), so a block the platform did not cause stands out."""
    causes: Counter[str] = Counter()
    for line in retries:
        step, _, reason = line.partition(": ")
        named = re.search(r"\(([^:()]+)", reason)
        causes[f"{step}: {named.group(1) if named else reason[:40]}"] += 1
    return causes


@dataclass
class Report:
    """Every count of one drill run."""

    n: int
    live: int
    platform: dict[str, PlatformCounts]
    duplicates: dict[str, int]
    chains: dict[str, str | None]
    sent: Counter[str]
    """Notification key -> deliveries."""
    tasks: TaskFailures
    faults: list[Fault]
    inputs: InputTally
    replays_refused: int
    retries: list[str]
    hiccups: int
    """Driver calls that failed while a part was down and were made again later."""
    query_failures: dict[str, str]
    """Tenant -> the last status query its workflow failed (a run the worker cannot replay)."""
    saved_histories: list[Path]

    def exactly_one(self, what: str) -> int:
        return sum(getattr(c, what) == 1 for c in self.platform.values())

    def figures(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "live": self.live,
            "accounts_exactly_one": self.exactly_one("accounts"),
            "admin_sets_exactly_one": self.exactly_one("admin_sets"),
            "flag_sets_exactly_one": self.exactly_one("flag_sets"),
            "duplicate_entries": sum(self.duplicates.values()),
            "chains_verified": sum(v is None for v in self.chains.values()),
            "notifications_sent": len(self.sent),
            "notifications_sent_twice": sum(1 for c in self.sent.values() if c > 1),
            "workflow_task_failures": sum(self.tasks.failed.values()),
            "benign_task_failures": self.tasks.benign,
            "task_failure_causes": dict(sorted(self.tasks.causes.items())),
            "histories": self.tasks.histories,
            "steps_retried": len(self.retries),
            "driver_calls_ridden_out": self.hiccups,
            "status_queries_failed": len(self.query_failures),
            "early_inputs_accepted": self.inputs.early - self.inputs.early_refused,
            "replays_refused": self.replays_refused,
            "retried": dict(sorted(retry_causes(self.retries).items())),
            "faults": [
                {"fault": f.name, "in_flight": f.in_flight, "seconds": round(f.seconds, 1)}
                for f in self.faults
            ],
        }

    def failures(self) -> list[str]:
        f = self.figures()
        n = self.n
        wrong = []
        for key in ("live", "accounts_exactly_one", "admin_sets_exactly_one"):
            if f[key] != n:
                wrong.append(f"{key} {f[key]}/{n}")
        for key in ("flag_sets_exactly_one", "chains_verified"):
            if f[key] != n:
                wrong.append(f"{key} {f[key]}/{n}")
        for key in (
            "duplicate_entries",
            "notifications_sent_twice",
            "workflow_task_failures",
            "status_queries_failed",
            "early_inputs_accepted",
        ):
            if f[key] != 0:
                wrong.append(f"{key} {f[key]}")
        return wrong

    def print(self) -> None:
        f = self.figures()
        n = self.n
        rows = [
            ("onboardings at go-live", f"{f['live']} / {n}"),
            ("tenants with exactly one account", f"{f['accounts_exactly_one']} / {n}"),
            ("tenants with exactly one admin set", f"{f['admin_sets_exactly_one']} / {n}"),
            ("tenants with exactly one flag set", f"{f['flag_sets_exactly_one']} / {n}"),
            ("duplicate records entries", str(f["duplicate_entries"])),
            ("chains verified (onboard verify)", f"{f['chains_verified']} / {n}"),
            (
                "notifications sent twice",
                f"{f['notifications_sent_twice']} of {f['notifications_sent']} sent",
            ),
            (
                "workflow task failures",
                f"{f['workflow_task_failures']} in {f['histories']} histories"
                f" (+{f['benign_task_failures']} UNHANDLED_COMMAND, benign)",
            ),
            ("blocked steps retried", str(f["steps_retried"])),
            ("driver calls ridden out (part down)", str(f["driver_calls_ridden_out"])),
            ("early inputs accepted", str(f["early_inputs_accepted"])),
            ("replayed inputs refused", str(f["replays_refused"])),
        ]
        width = max(len(label) for label, _ in rows)
        print(f"fault drill: {n} onboardings, contract to go-live")
        for fault in self.faults:
            print(
                f"  {fault.name:<16} in flight {fault.in_flight:>3}   "
                f"{fault.seconds:5.1f} s   {fault.detail}"
            )
        for label, value in rows:
            print(f"  {label:<{width}}   {value}")
        for tenant, problem in self.chains.items():
            if problem is not None:
                print(f"  verify {tenant}: {problem}")
        for workflow_id, count in self.tasks.failed.items():
            print(f"  task failures in {workflow_id}: {count}")
        for cause, count in f["retried"].items():
            print(f"  retried {cause}: {count}")
        for tenant, failure in self.query_failures.items():
            print(f"  status query failed for {tenant}: {failure}")
        for path in self.saved_histories:
            print(f"  history saved: {path} (run with --keep to keep it)")
        for line in self.inputs.other:
            print(f"  input: {line}")
        print(json.dumps(f, separators=(",", ":")))
