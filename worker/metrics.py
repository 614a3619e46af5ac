"""The onboarding's own metrics, recorded through the SDK runtime's meter.

They are served beside the SDK's `temporal_*` metrics on the same /metrics endpoint.
Events are counted where they happen in this worker: checks that failed (from the step
activities' own results, by an activity interceptor) and notifications delivered or
failing (by wrapping each sender). The state of all onboardings (states, steps, open and
overdue gates, blocked checks, time waited at each gate) is collected from Temporal by
`worker.collector`; every worker exports the same figures for it, so aggregate those
with `max`, not `sum` (docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from temporalio import activity
from temporalio.common import MetricGauge, MetricMeter
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from notify.senders import Sender
from onboarding.checks import StepResult
from onboarding.notifications import Notification

GATE_WAIT = "onboarding_gate_wait_seconds"
"""Histogram name; its buckets are set in `worker.telemetry.build_runtime`."""


class LabelledGauge:
    """A gauge whose label sets may disappear: those are set back to 0, not left stale."""

    def __init__(self, gauge: MetricGauge) -> None:
        self._gauge = gauge
        self._last: set[tuple[tuple[str, str], ...]] = set()

    def publish(self, values: Mapping[tuple[tuple[str, str], ...], int]) -> None:
        """Set every label set in ``values``; the ones set last time and missing now to 0."""
        for labels in self._last - set(values):
            self._gauge.set(0, dict(labels))
        for labels, value in values.items():
            self._gauge.set(value, dict(labels))
        self._last = set(values)


class OnboardingMetrics:
    """Every `onboarding_*` metric; a no-op meter makes them all free (metrics off)."""

    def __init__(self, meter: MetricMeter) -> None:
        self.onboardings = LabelledGauge(
            meter.create_gauge(
                "onboarding_onboardings", "Onboardings in flight, by state and current step"
            )
        )
        self.closed = LabelledGauge(
            meter.create_gauge(
                "onboarding_closed_onboardings",
                "Onboardings closed within the namespace's retention, by Temporal status",
            )
        )
        self.gates_open = LabelledGauge(
            meter.create_gauge("onboarding_gates_open", "Open human gates, by gate")
        )
        self.gates_overdue = LabelledGauge(
            meter.create_gauge("onboarding_gates_overdue", "Open gates past their deadline")
        )
        self.blocked_checks = LabelledGauge(
            meter.create_gauge(
                "onboarding_blocked_checks",
                "Failed checks holding a blocked step, by step and check",
            )
        )
        self.notifications_undelivered = LabelledGauge(
            meter.create_gauge(
                "onboarding_notifications_undelivered",
                "Notifications in the outbox not delivered yet (pending, failed)",
            )
        )
        self.gate_wait = meter.create_histogram_float(
            GATE_WAIT, "Time from a gate's opening to its closing, by gate", "s"
        )
        self.check_failures = meter.create_counter(
            "onboarding_check_failures", "Checks that failed, by step activity and check"
        )
        self.notifications_sent = meter.create_counter(
            "onboarding_notifications_sent", "Notifications delivered, by channel and kind"
        )
        self.notification_failures = meter.create_counter(
            "onboarding_notification_failures",
            "Delivery attempts that failed, by channel and kind",
        )
        self.collections = meter.create_counter(
            "onboarding_metrics_collections", "Collections of the onboarding figures, by result"
        )
        self.collected_at = meter.create_gauge(
            "onboarding_metrics_collected_timestamp",
            "When the onboarding figures were last collected (Unix time)",
            "s",
        )


class CountingSender:
    """A sender that counts its deliveries and failures; otherwise the sender it wraps."""

    def __init__(self, inner: Sender, metrics: OnboardingMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    @property
    def channel(self) -> str:
        return self._inner.channel

    def __repr__(self) -> str:
        return repr(self._inner)

    async def send(self, n: Notification) -> str:
        labels = {"channel": self._inner.channel, "kind": n.kind.value}
        try:
            reference = await self._inner.send(n)
        except BaseException:
            self._metrics.notification_failures.add(1, labels)
            raise
        self._metrics.notifications_sent.add(1, labels)
        return reference


def counting(senders: Sequence[Sender], metrics: OnboardingMetrics) -> list[Sender]:
    """The senders, each counting what it delivers and what fails."""
    return [CountingSender(s, metrics) for s in senders]


class CheckFailureCounter(Interceptor):
    """Counts the failed checks in every step activity's result (worker interceptor)."""

    def __init__(self, metrics: OnboardingMetrics) -> None:
        self._metrics = metrics

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountFailedChecks(next, self._metrics)


class _CountFailedChecks(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, metrics: OnboardingMetrics) -> None:
        super().__init__(next)
        self._metrics = metrics

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        if isinstance(result, StepResult):
            name = activity.info().activity_type
            for check in result.failed:
                self._metrics.check_failures.add(1, {"activity": name, "check": check.name})
        return result
