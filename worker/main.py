"""The worker: settings -> logging -> clients -> Worker, with the clients' lifetimes owned here."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import structlog
from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.worker import Worker

from activities.catalog import platform_activities
from activities.notify import NotifyActivities
from activities.platform import PlatformClient, ProbeConfig
from activities.policy import PolicyActivities
from activities.records import RecordsActivities
from activities.review import ReviewActivities
from approvals.issuer import LinkIssuer
from approvals.links import LinkStore
from notify.outbox import OutboxStore
from notify.settings import NotifySettings, build_senders
from records.db import make_engine, migrate
from records.store import RecordsStore
from worker.client import connect_waiting
from worker.collector import StateCollector
from worker.config import InvalidSettings, Settings, load_settings
from worker.health import (
    HealthServer,
    WorkerHealth,
    platform_check,
    records_check,
    temporal_check,
)
from worker.keys import link_key, records_signer
from worker.logging import configure_logging
from worker.metrics import CheckFailureCounter, OnboardingMetrics, counting
from worker.platform_key import platform_key
from worker.telemetry import TelemetryError, build_runtime, tracing_from_environment
from worker.versioning import deployment_config, deployment_version, package_version, promote
from workflows.onboarding import OnboardingWorkflow

log = structlog.get_logger()


@asynccontextmanager
async def onboarding_worker(
    client: Client,
    settings: Settings,
    metrics: OnboardingMetrics | None = None,
    health: WorkerHealth | None = None,
    collect: bool = False,
) -> AsyncIterator[Worker]:
    """A running worker for the onboarding task queue; stops when the block exits.

    Leaving the block shuts it down gracefully: polling stops at once, running
    activities get `settings.shutdown_grace` to finish, then they are cancelled (and
    retried elsewhere by Temporal).

    Args:
        client: The Temporal client (its interceptors trace, its runtime serves metrics).
        settings: The worker's settings.
        metrics: Where the onboarding's own metrics go; none recorded if None.
        health: Gets the readiness checks of this worker's connections, if given.
        collect: Collect the onboardings' state into `metrics` while the worker runs
            (every `settings.metrics_interval`).
    """
    url = settings.records_url()
    signer = records_signer(settings)  # no records key, no worker: every entry is signed
    secret = link_key(settings)  # customers' links are made with it
    await asyncio.to_thread(migrate, url)
    notify_settings = load_settings(NotifySettings)  # a bad one stops the start here
    engine = make_engine(url)
    issuer = LinkIssuer(LinkStore(engine), secret, settings.portal_url)
    metrics = metrics or OnboardingMetrics(MetricMeter.noop)
    try:
        store = RecordsStore(engine, signer)
        async with _worker(
            client, settings, notify_settings, store, issuer, metrics, health
        ) as worker:
            collector = StateCollector(client, metrics, engine, settings.metrics_interval)
            task = asyncio.create_task(collector.run()) if collect else None
            try:
                yield worker
            finally:
                if task is not None:
                    task.cancel()
    finally:
        engine.dispose()


@asynccontextmanager
async def _worker(
    client: Client,
    settings: Settings,
    notify_settings: NotifySettings,
    store: RecordsStore,
    links: LinkIssuer,
    metrics: OnboardingMetrics,
    health: WorkerHealth | None,
) -> AsyncIterator[Worker]:
    async with (
        httpx.AsyncClient(
            base_url=settings.platform_url,
            timeout=15.0,
            # Never fewer connections than requests allowed in flight: none waits for the pool.
            limits=httpx.Limits(max_connections=max(100, settings.platform_max_in_flight)),
        ) as http,
        httpx.AsyncClient() as webhook_http,
    ):
        if health is not None:
            health.checks = {
                "temporal": temporal_check(client),
                "records_store": records_check(store.engine, settings.records_url()),
                "platform": platform_check(http, platform_key(settings)),
            }
        platform = PlatformClient(
            http,
            platform_key(settings),
            max_in_flight=settings.platform_max_in_flight,
            per_onboarding=settings.platform_per_onboarding,
        )
        policy = PolicyActivities(
            settings.roster_file,
            settings.review_after,
            settings.step_max_attempts,
            gate_deadline=settings.gate_deadline,
            gate_deadlines=settings.gate_deadlines,
            ladder=settings.ladder(),
            history_budget=settings.history_budget,
            approvals_keys=settings.approvals_keys(),
        )
        notify = NotifyActivities(
            OutboxStore(store.engine),
            counting(build_senders(notify_settings, webhook_http), metrics),
            records=store,
            links=links,
        )
        activities: list[Any] = [
            policy.load_policy,
            RecordsActivities(store).record_entries,
            notify.send_notifications,
            ReviewActivities(settings.data_dir / "artifacts").write_review_report,
            *platform_activities(
                platform,
                ProbeConfig(password=settings.probe_password),
                artifacts_dir=settings.data_dir / "artifacts",
            ),
        ]
        async with Worker(
            client,
            task_queue=settings.task_queue,
            workflows=[OnboardingWorkflow],
            activities=activities,
            interceptors=[CheckFailureCounter(metrics)],
            graceful_shutdown_timeout=settings.shutdown_grace,
            deployment_config=deployment_config(settings.deployment_name, settings.build_id),
        ) as worker:
            yield worker


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then shut down gracefully and return (exit 0).

    Invalid settings stop it before it connects.

    Raises:
        InvalidSettings: The metrics or health address cannot be served.
    """
    platform_key(settings)
    load_settings(NotifySettings)
    configure_logging(settings.log_level)
    try:
        runtime = build_runtime(settings.metrics_address)
    except TelemetryError as err:
        raise InvalidSettings([str(err)]) from None
    tracing = tracing_from_environment()
    metrics = OnboardingMetrics(runtime.metric_meter if runtime else MetricMeter.noop)
    client = await connect_waiting(
        settings.temporal, worker=True, runtime=runtime, interceptors=tracing.interceptors
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    health = WorkerHealth(checks={}, loop=loop)
    try:
        server = HealthServer(settings.health_address, health) if settings.health_address else None
    except OSError as err:
        raise InvalidSettings(
            [f"ONBOARDING_HEALTH_ADDRESS: cannot listen on {settings.health_address}: {err}"]
        ) from None
    try:
        async with onboarding_worker(
            client, settings, metrics, health, collect=runtime is not None
        ):
            if server is not None:
                server.start()
            log.info(
                "worker started",
                task_queue=settings.task_queue,
                temporal=settings.temporal.address,
                namespace=settings.temporal.namespace,
                platform=settings.platform_url,
                roster=str(settings.roster_file),
                metrics=settings.metrics_address,
                health=settings.health_address,
                deployment=settings.deployment_name,
                build_id=settings.build_id or package_version(),
            )
            if settings.deployment_name and settings.deployment_promote:
                await promote(
                    client, deployment_version(settings.deployment_name, settings.build_id)
                )
            await stop.wait()
            health.stopping = True
            log.info(
                "stopping: polling stops, running activities may finish",
                grace_seconds=settings.shutdown_grace.total_seconds(),
            )
    except BaseException as err:
        health.failed = f"{type(err).__name__}: {err}"
        raise
    finally:
        if server is not None:
            server.stop()
        tracing.shutdown()
    log.info("worker stopped")
