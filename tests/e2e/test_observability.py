"""A production worker watched from outside: its /metrics endpoint scraped during one
onboarding shows every figure moving, its probes answer, and its traces reach an OTLP
collector. The real dev server, sandbox, worker and CLI, as subprocesses."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from starter.devstack import DevStack, free_port
from tests.e2e.receivers import FlakyWebhook, Scrape, TraceCollector, names, scrape, value
from tests.e2e.stack import (
    OWNER,
    give_enablement_evidence,
    new_tenant,
    ok,
    running_stack,
    step,
    wait_for,
    waiting_at,
    write_contract,
)

pytestmark = pytest.mark.e2e


class Observed:
    def __init__(self, stack: DevStack, metrics: str, health: str) -> None:
        self.stack = stack
        self.metrics_url = f"http://{metrics}/metrics"
        self.health_url = f"http://{health}"

    def until(self, what: str, predicate: Callable[[Scrape], bool], timeout: float = 60) -> Scrape:
        """Scrape until ``predicate`` holds for the samples."""
        deadline = time.monotonic() + timeout
        while True:
            samples = scrape(self.metrics_url)
            if predicate(samples):
                return samples
            if time.monotonic() > deadline:
                found = "\n".join(f"{n} {lb} {v}" for n, lb, v in samples if "onboarding" in n)
                raise AssertionError(f"never saw {what}; last scrape:\n{found}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def webhook() -> Iterator[FlakyWebhook]:
    hook = FlakyWebhook()
    yield hook
    hook.close()


@pytest.fixture(scope="module")
def traces() -> Iterator[TraceCollector]:
    collector = TraceCollector()
    yield collector
    collector.close()


@pytest.fixture(scope="module")
def observed(
    tmp_path_factory: pytest.TempPathFactory, webhook: FlakyWebhook, traces: TraceCollector
) -> Iterator[Observed]:
    metrics, health = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    with running_stack(
        tmp_path_factory.mktemp("observability"),
        ONBOARDING_METRICS_ADDRESS=metrics,
        ONBOARDING_HEALTH_ADDRESS=health,
        ONBOARDING_METRICS_INTERVAL="PT0.5S",
        ONBOARDING_NOTIFY_WEBHOOK_URL=webhook.url,
        # Gates due in 6 s, so the owner's gate is overdue and chased within the test.
        ONBOARDING_GATE_DEADLINE="PT6S",
        ONBOARDING_REMIND_EVERY="P1D",
        OTEL_EXPORTER_OTLP_ENDPOINT=traces.base,
        OTEL_BSP_SCHEDULE_DELAY="200",
    ) as stack:
        yield Observed(stack, metrics, health)


def test_every_figure_moves_during_an_onboarding(observed: Observed, tmp_path: Path) -> None:
    stack, tenant = observed.stack, new_tenant("metrics")
    ok(stack, "sandbox", "fault", "rate_limit_mismatch", "--tenant", tenant)
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    gate = {"gate": "owner-assignment"}

    # Waiting for its owner: by state and step, the gate open, then overdue (6 s), chased.
    observed.until(
        "the onboarding waiting for its owner",
        lambda s: (
            value(s, "onboarding_onboardings", state="waiting", step="internal_readiness") >= 1
            and value(s, "onboarding_gates_open", **gate) >= 1
        ),
    )
    chased = observed.until(
        "the gate overdue, its reminders delivered and a first attempt failing",
        lambda s: (
            value(s, "onboarding_gates_overdue", **gate) >= 1
            and value(s, "onboarding_notifications_sent_total", channel="webhook") >= 1
            and value(s, "onboarding_notification_failures_total", channel="webhook") >= 1
        ),
    )
    waits_before = value(chased, "onboarding_gate_wait_seconds_count", **gate)

    # The owner is assigned: the gate closes and its wait (past the deadline) is observed.
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    closed = observed.until(
        "the owner-assignment wait observed",
        lambda s: value(s, "onboarding_gate_wait_seconds_count", **gate) == waits_before + 1,
    )
    assert value(closed, "onboarding_gate_wait_seconds_sum", **gate) >= 6.0
    assert value(closed, "onboarding_gate_wait_seconds_bucket", le="60", **gate) >= 1

    # Blocked by the injected fault: the check by name, then released by a retry.
    wait_for(stack, tenant, lambda s: step(s, "environment_validation")["status"] == "blocked")
    check = {"check": "rate_limit"}
    blocked = observed.until(
        "the rate_limit check blocking its step",
        lambda s: (
            value(s, "onboarding_blocked_checks", step="environment_validation", **check) == 1
            and value(s, "onboarding_onboardings", state="blocked") >= 1
        ),
    )
    assert value(blocked, "onboarding_check_failures_total", **check) >= 1
    assert value(blocked, "onboarding_gates_open", **gate) == 0
    ok(stack, "sandbox", "fault", "--clear")
    ok(stack, "retry", tenant, "environment_validation", "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    observed.until(
        "the check released and the enablement gates open",
        lambda s: (
            value(s, "onboarding_blocked_checks", **check) == 0
            and value(s, "onboarding_gates_open", gate="enablement:walkthrough") >= 1
        ),
    )
    give_enablement_evidence(stack, tenant)
    final = observed.until(
        "the four enablement waits observed",
        lambda s: (
            value(s, "onboarding_gate_wait_seconds_count", gate="enablement:walkthrough") >= 1
            and value(s, "onboarding_gates_open", gate="enablement:walkthrough") == 0
        ),
    )

    # The SDK's own metrics are on the same endpoint.
    assert {
        "temporal_workflow_task_execution_latency_count",
        "temporal_activity_execution_latency_count",
        "temporal_worker_task_slots_available",
    } <= names(final)
    assert value(final, "temporal_activity_execution_latency_count") > 0
    assert value(final, "onboarding_metrics_collections_total", result="ok") > 0


def test_probes_follow_what_the_worker_depends_on(observed: Observed) -> None:
    live = httpx.get(observed.health_url + "/livez", timeout=10)
    ready = httpx.get(observed.health_url + "/readyz", timeout=10)
    assert live.status_code == 200, live.text
    assert ready.status_code == 200, ready.text
    assert {name: c["ok"] for name, c in ready.json()["checks"].items()} == {
        "temporal": True,
        "records_store": True,
        "platform": True,
    }

    observed.stack.stop_part("sandbox")
    try:
        deadline = time.monotonic() + 20
        while (
            unready := httpx.get(observed.health_url + "/readyz", timeout=10)
        ).status_code == 200:
            assert time.monotonic() < deadline, "still ready without a platform"
            time.sleep(0.5)
        assert unready.status_code == 503
        assert unready.json()["checks"]["platform"]["ok"] is False
        assert unready.json()["checks"]["temporal"]["ok"] is True
        assert httpx.get(observed.health_url + "/livez", timeout=10).status_code == 200
    finally:
        observed.stack.start_sandbox()
    deadline = time.monotonic() + 20
    while httpx.get(observed.health_url + "/readyz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "not ready again once the platform is back"
        time.sleep(0.5)
    assert httpx.get(observed.health_url + "/nothing", timeout=10).status_code == 404


def test_traces_reach_the_configured_exporter(
    observed: Observed, traces: TraceCollector, tmp_path: Path
) -> None:
    stack, tenant = observed.stack, new_tenant("traces")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)

    wanted = (
        "RunWorkflow:OnboardingWorkflow",
        "RunActivity:check_internal_readiness",
        "HandleUpdate:give_input",  # every input, assign-owner among them
    )
    deadline = time.monotonic() + 30
    while not all(any(s.startswith(w) for s in traces.spans) for w in wanted):
        assert time.monotonic() < deadline, f"spans received: {sorted(set(traces.spans))}"
        time.sleep(0.5)
