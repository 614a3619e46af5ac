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
from temporalio.worker import Worker

from activities.catalog import platform_activities
from activities.notify import NotifyActivities
from activities.platform import PlatformClient, ProbeConfig
from activities.policy import PolicyActivities
from activities.records import RecordsActivities
from activities.review import ReviewActivities
from notify.outbox import OutboxStore
from notify.settings import NotifySettings, build_senders
from records.db import make_engine, migrate
from records.store import RecordsStore
from worker.client import connect
from worker.config import Settings, load_settings
from worker.logging import configure_logging
from workflows.onboarding import OnboardingWorkflow

log = structlog.get_logger()


@asynccontextmanager
async def onboarding_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """A running worker for the onboarding task queue; stops when the block exits."""
    url = settings.records_url()
    await asyncio.to_thread(migrate, url)
    notify_settings = load_settings(NotifySettings)  # a bad one stops the start here
    engine = make_engine(url)
    try:
        async with _worker(client, settings, notify_settings, RecordsStore(engine)) as worker:
            yield worker
    finally:
        engine.dispose()


@asynccontextmanager
async def _worker(
    client: Client, settings: Settings, notify_settings: NotifySettings, store: RecordsStore
) -> AsyncIterator[Worker]:
    async with (
        httpx.AsyncClient(base_url=settings.platform_url, timeout=15.0) as http,
        httpx.AsyncClient() as webhook_http,
    ):
        platform = PlatformClient(http, settings.platform_api_key)
        policy = PolicyActivities(
            settings.roster_file,
            settings.review_after,
            settings.step_max_attempts,
            gate_deadline=settings.gate_deadline,
            gate_deadlines=settings.gate_deadlines,
            ladder=settings.ladder(),
            history_budget=settings.history_budget,
        )
        notify = NotifyActivities(
            OutboxStore(store.engine),
            build_senders(notify_settings, webhook_http),
            records=store,
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
        ) as worker:
            yield worker


async def connect_with_retry(settings: Settings, wait_seconds: float = 60.0) -> Client:
    """Connect, waiting for a server that is still starting (as under `onboard dev`)."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await connect(settings.temporal, worker=True)
        except RuntimeError as err:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.info("waiting for temporal", address=settings.temporal.address, error=str(err))
            await asyncio.sleep(1.0)


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    configure_logging(settings.log_level)
    client = await connect_with_retry(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with onboarding_worker(client, settings):
        log.info(
            "worker started",
            task_queue=settings.task_queue,
            temporal=settings.temporal.address,
            platform=settings.platform_url,
            roster=str(settings.roster_file),
        )
        await stop.wait()
    log.info("worker stopped")
