"""An onboarding ended outside the process (the `temporal` CLI or the Web UI's terminate,
cancel, reset) is shown as such by `onboard status`, `list`, `verify` and `export`: who,
when and why, as Temporal recorded it, never as "in progress"."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from starter.devstack import DevStack, temporal_binary
from tests.e2e.stack import (
    OWNER,
    new_tenant,
    ok,
    onboard,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e

IDENTITY = "ops-console:mallory@localizevideos.example"


def temporal(stack: DevStack, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [temporal_binary(), *args, "--address", stack.temporal_address, "--identity", IDENTITY],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    return done


def started(stack: DevStack, tmp_path: Path, prefix: str) -> str:
    """An onboarding waiting for its owner (before the platform checks, which are not what
    these tests are about)."""
    tenant = new_tenant(prefix)
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    return tenant


def test_a_terminated_onboarding_says_who_ended_it_when_and_why(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = started(stack, tmp_path, "term")
    before = datetime.now(UTC) - timedelta(seconds=1)
    reason = "cleanup by hand [see ticket](http://x.example)"
    temporal(
        stack, "workflow", "terminate", "--workflow-id", f"onboarding-{tenant}", "--reason", reason
    )

    status = json.loads(ok(stack, "status", tenant, "--json"))
    assert status["state"] == "terminated"
    outside = status["outside"]
    assert outside["action"] == "terminated" and outside["by"] == IDENTITY
    assert outside["reason"] == reason
    assert before <= datetime.fromisoformat(outside["at"]) <= datetime.now(UTC)
    assert status["gates"] == []  # nobody is awaited any more
    # The checklist as it stood: waiting for its owner, where it stopped.
    readiness = next(s for s in status["steps"] if s["key"] == "internal_readiness")
    assert readiness["status"] == "waiting"

    readable = ok(stack, "status", tenant)
    assert f"Closed outside the onboarding process: terminated by {IDENTITY} at " in readable
    assert f"(reason: {reason})" in readable
    assert f"Test {tenant} ({tenant}): terminated" in readable

    rows = {r["tenant_id"]: r for r in json.loads(ok(stack, "list", "--json"))}
    assert rows[tenant]["state"] == "terminated"
    only = [
        r["tenant_id"] for r in json.loads(ok(stack, "list", "--state", "terminated", "--json"))
    ]
    assert tenant in only
    waiting = [
        r["tenant_id"] for r in json.loads(ok(stack, "list", "--state", "waiting", "--json"))
    ]
    assert tenant not in waiting

    verified = ok(stack, "verify", tenant)
    assert "intact" in verified
    assert f"closed outside the onboarding process: terminated by {IDENTITY} at " in verified

    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    assert pack["closed_outside"]["action"] == "terminated"
    assert pack["closed_outside"]["by"] == IDENTITY
    assert pack["closed_outside"]["summary"].startswith(
        f"closed outside the onboarding process: terminated by {IDENTITY} at "
    )
    markdown = ok(stack, "export", tenant, "--format", "md")
    title, blank, notice = markdown.split("\n")[:3]
    assert title.startswith("# Onboarding evidence") and blank == ""
    assert notice.startswith("> **Closed outside the onboarding process: terminated by ")
    assert "\\[see ticket\\](http://x.example)" in notice  # the reason is text, not a link

    # Input for it is refused: the run is closed.
    refused = onboard(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    assert refused.returncode == 1 and "already ended" in refused.stderr


def test_a_cancelled_onboarding_is_not_shown_in_progress(stack: DevStack, tmp_path: Path) -> None:
    tenant = started(stack, tmp_path, "cancel")
    temporal(stack, "workflow", "cancel", "--workflow-id", f"onboarding-{tenant}")

    status = wait_for(stack, tenant, lambda s: s["outside"] is not None, timeout=30)
    assert status["state"] == "cancelled", status["state"]
    assert status["outside"]["by"] == IDENTITY
    assert "closed outside the onboarding process: cancelled by" in ok(stack, "verify", tenant)


def test_without_a_worker_the_closure_is_still_shown(stack: DevStack, tmp_path: Path) -> None:
    tenant = started(stack, tmp_path, "noworker")
    temporal(
        stack, "workflow", "terminate", "--workflow-id", f"onboarding-{tenant}", "--reason", "gone"
    )
    stack.stop_part("worker")
    try:
        status = json.loads(ok(stack, "status", tenant, "--json"))
        assert status["state"] == "terminated"
        assert status["outside"]["by"] == IDENTITY and status["outside"]["reason"] == "gone"
        assert status["current_step"] == "internal_readiness"  # from the search attributes
    finally:
        stack.start_worker()


def test_a_reset_onboarding_says_who_rewound_it(stack: DevStack, tmp_path: Path) -> None:
    tenant = started(stack, tmp_path, "reset")
    temporal(
        stack,
        "workflow",
        "reset",
        "--workflow-id",
        f"onboarding-{tenant}",
        "--type",
        "LastWorkflowTask",
        "--reason",
        "rewound by hand",
    )

    status = wait_for(stack, tenant, lambda s: s["outside"] is not None, timeout=30)
    assert status["outside"]["action"] == "reset"
    # Temporal (server 1.32) does not record who asked for a reset, only its own service.
    assert status["outside"]["by"] is None
    assert "rewound by hand" in (status["outside"]["reason"] or ""), status["outside"]
    assert status["state"] not in ("terminated", "cancelled")  # it goes on, rewound
    assert "Changed outside the onboarding process: reset at " in ok(stack, "status", tenant)
