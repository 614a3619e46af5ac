"""The worker's telemetry: Prometheus metrics through the SDK runtime, optional tracing.

Every metric, the SDK's (`temporal_*`) and the onboarding's own (`onboarding_*`, see
`worker.metrics`), is served by the SDK runtime's Prometheus endpoint on
`ONBOARDING_METRICS_ADDRESS`. Tracing is on when an OpenTelemetry exporter is configured
with the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT` or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; `OTEL_SERVICE_NAME` names the service): spans of
workflows, activities, signals and updates then go through the SDK's tracing interceptor.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from temporalio.client import Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

GATE_WAIT_BUCKETS = [
    60.0,
    600.0,
    3600.0,
    4 * 3600.0,
    12 * 3600.0,
    86400.0,
    2 * 86400.0,
    3 * 86400.0,
    5 * 86400.0,
    7 * 86400.0,
    10 * 86400.0,
    14 * 86400.0,
    30 * 86400.0,
]
"""Seconds: a minute up to the 30-day review, around the 5/7/10-day gate deadlines."""

TRACES_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


class TelemetryError(RuntimeError):
    """The metrics endpoint cannot be served (a busy port, an address that is no address)."""


def build_runtime(metrics_address: str | None) -> Runtime | None:
    """The SDK runtime serving Prometheus metrics on ``metrics_address``, or None (off).

    Raises:
        TelemetryError: The address cannot be bound.
    """
    if not metrics_address:
        return None
    from worker.metrics import GATE_WAIT

    config = PrometheusConfig(
        bind_address=metrics_address,
        counters_total_suffix=True,
        durations_as_seconds=True,
        histogram_bucket_overrides={GATE_WAIT: GATE_WAIT_BUCKETS},
    )
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=config))
    except Exception as err:  # the bridge raises a plain exception for a busy port
        raise TelemetryError(
            f"ONBOARDING_METRICS_ADDRESS: cannot serve metrics on {metrics_address}: {err}"
        ) from None


@dataclass
class Tracing:
    """The client interceptors that trace, and how to flush the spans at the end."""

    interceptors: list[Interceptor] = field(default_factory=list)
    shutdown: Callable[[], None] = lambda: None


def tracing_from_environment(
    environ: Mapping[str, str] | None = None, service: str = "onboarding-worker"
) -> Tracing:
    """Tracing through the SDK's `TracingInterceptor` if an OTLP endpoint is configured.

    Spans are exported in batches over OTLP/HTTP (protobuf) to the endpoint the standard
    OpenTelemetry variables name; nothing is set up (and nothing is imported) otherwise.
    """
    env = os.environ if environ is None else environ
    if not any(env.get(name, "").strip() for name in TRACES_ENDPOINTS):
        return Tracing()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from temporalio.contrib.opentelemetry import TracingInterceptor

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: env.get("OTEL_SERVICE_NAME") or service})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return Tracing(
        interceptors=[
            # Workflow spans even when the starter (the CLI) does not trace.
            TracingInterceptor(
                provider.get_tracer("localizevideos.onboarding"),
                always_create_workflow_spans=True,
            )
        ],
        shutdown=provider.shutdown,
    )
