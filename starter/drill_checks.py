"""What the drill counts once the faults are over: each side effect once, every record whole.

Each count is read from where the effect lives, not from what the workflow believes:
the platform's own accounts, users and operations log (as `assert_provisioned_once` in
the durability tests reads them), the records store's entries, the workers' logs of
deliveries, and every workflow history Temporal holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client

from records.chain import canonical_json
from records.db import default_url, make_engine
from records.errors import UnknownTenant
from records.store import RecordsStore
from starter.devstack import DevStack

VERIFY_AT_ONCE = 2
"""`onboard verify` processes run side by side (2 cores)."""
BENIGN_CAUSES = {WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND}
"""A task failed because a signal or update arrived while it completed: the server asks
for a new task, nothing is wrong with the workflow."""


@dataclass(frozen=True)
class PlatformCounts:
    """One tenant as the platform holds it."""

    accounts: int
    """Accounts listed for the tenant, and `create_account` operations that changed something
    (the larger of the two, so either one doubled shows)."""
    admin_sets: int
    """Non-probe admin users (the contract names one admin)."""
    flag_sets: int
    """`set_features` operations that changed the tenant's features."""


def platform_counts(stack: DevStack, tenant: str) -> PlatformCounts:
    """Read the tenant's account, admins and feature changes from the platform's admin API."""

    def get(path: str) -> Any:
        reply = httpx.get(
            stack.platform_url + path,
            headers={"Authorization": f"Bearer {stack.admin_key}"},
            timeout=30,
        )
        if reply.status_code == 404:  # no account (the onboarding never provisioned one)
            return []
        reply.raise_for_status()
        return reply.json()

    accounts = get(f"/v1/accounts?tenant_id={tenant}")
    operations = Counter(o["operation"] for o in get(f"/v1/admin/operations?tenant_id={tenant}"))
    users = get(f"/v1/tenants/{tenant}/users")
    admins = [u for u in users if "admin" in u["roles"] and not u["probe"]]
    return PlatformCounts(
        accounts=max(len(accounts), operations["create_account"]),
        admin_sets=len(admins),
        flag_sets=operations["set_features"],
    )


def duplicate_entries(stack: DevStack, tenants: Iterable[str]) -> dict[str, int]:
    """Tenant -> entries of its record that repeat an earlier one.

    The store refuses a second entry under one idempotency key, so a side effect recorded
    twice would show as a second key for the same thing: the same kind, step and payload,
    or the same signed input (its nonce) accepted twice.
    """
    engine = make_engine(default_url(stack.data_dir))
    store = RecordsStore(engine)
    found: dict[str, int] = {}
    try:
        for tenant in tenants:
            seen: set[str] = set()
            nonces: set[str] = set()
            repeats = 0
            try:
                entries = store.entries(tenant)
            except UnknownTenant:  # nothing recorded: nothing repeated (verify says the rest)
                entries = []
            for entry in entries:
                same = canonical_json([entry.kind, entry.step, entry.payload])
                signed = entry.payload.get("signed") if entry.kind == "input_accepted" else None
                nonce = signed.get("nonce") if isinstance(signed, dict) else None
                if same in seen or (nonce is not None and nonce in nonces):
                    repeats += 1
                seen.add(same)
                if nonce is not None:
                    nonces.add(nonce)
            found[tenant] = repeats
    finally:
        engine.dispose()
    return found


def verified_chains(stack: DevStack, tenants: list[str]) -> dict[str, str | None]:
    """Tenant -> None if `onboard verify` holds its record, else what it said.

    Run as ops would run it (chain, records-key signatures, the head against the workflow,
    every input's own signature), a few processes at a time.
    """
    env = {**os.environ, **stack.client_env()}
    results: dict[str, str | None] = {}
    for start in range(0, len(tenants), VERIFY_AT_ONCE):
        batch = tenants[start : start + VERIFY_AT_ONCE]
        procs = {
            t: subprocess.Popen(
                [sys.executable, "-m", "starter", "verify", t],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for t in batch
        }
        for tenant, proc in procs.items():
            output, _ = proc.communicate(timeout=120)
            results[tenant] = None if proc.returncode == 0 else output.strip()[-300:]
    return results


def deliveries(log_dir: Path) -> Counter[str]:
    """Notification key -> times a sender delivered it, from every worker's log (a
    delivery logs "notification sent"; a repeat found already sent logs otherwise)."""
    sent: Counter[str] = Counter()
    for log in sorted(log_dir.glob("worker*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if '"notification sent"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == "notification sent" and entry.get("key"):
                sent[str(entry["key"])] += 1
    return sent


@dataclass(frozen=True)
class TaskFailures:
    """Workflow task failures over every history Temporal holds."""

    histories: int
    failed: dict[str, int]
    """Workflow id -> WORKFLOW_TASK_FAILED events with a cause that is not benign."""
    causes: dict[str, int]
    """Cause -> count, benign ones included (for the report)."""
    benign: int


async def task_failures(client: Client) -> TaskFailures:
    """Count WORKFLOW_TASK_FAILED events in every run of every workflow."""
    failed: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    benign = histories = 0
    async for execution in client.list_workflows():
        histories += 1
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        for event in history.events:
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                continue
            cause = event.workflow_task_failed_event_attributes.cause
            causes[WorkflowTaskFailedCause.Name(cause)] += 1
            if cause in BENIGN_CAUSES:
                benign += 1
            else:
                failed[execution.id] += 1
    return TaskFailures(histories, dict(failed), dict(causes), benign)
