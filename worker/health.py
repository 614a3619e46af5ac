"""Liveness and readiness of a worker, served over HTTP for probes and load balancers.

- `GET /livez`: 200 while the worker's event loop answers within a few seconds and the
  worker has not failed; a stuck loop or a dead worker answers 503, so it is restarted.
- `GET /readyz`: 200 when it is connected to Temporal, the records store is migrated to
  the newest schema and the platform answers with our key accepted; 503 otherwise, and
  while it shuts down. The JSON body says which check failed and why.

The server runs in a thread of its own (the standard library's, bounded request sizes),
and asks the event loop for each answer, so a probe sees what the worker sees.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from records.db import alembic_config

CHECK_TIMEOUT = 4.0
"""Seconds one probe waits for the checks; a slower answer counts as a failure."""
RPC_TIMEOUT = timedelta(seconds=CHECK_TIMEOUT - 1)
CACHE_SECONDS = 2.0
"""Probes closer together than this share one set of checks."""

Check = Callable[[], Awaitable[str]]
"""Returns a detail on success, raises with the reason on failure."""


@dataclass
class WorkerHealth:
    """What the probes report; the worker sets `failed` and `stopping`, checks do the rest."""

    checks: Mapping[str, Check]
    loop: asyncio.AbstractEventLoop
    failed: str | None = None
    stopping: bool = False
    _cached: tuple[float, dict[str, Any]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def live(self) -> tuple[bool, dict[str, Any]]:
        """Whether the worker lives: its loop answers and it has not failed."""
        if self.failed:
            return False, {"live": False, "reason": self.failed}
        try:
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self.loop).result(CHECK_TIMEOUT)
        except Exception:
            return False, {"live": False, "reason": "the event loop does not answer"}
        return True, {"live": True}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Whether the worker is ready: every check passed (cached a moment)."""
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < CACHE_SECONDS:
                report = self._cached[1]
            else:
                report = self._run_checks()
                self._cached = (time.monotonic(), report)
        if self.stopping:
            report = {**report, "ready": False, "reason": "shutting down"}
        return bool(report["ready"]), report

    def _run_checks(self) -> dict[str, Any]:
        future = asyncio.run_coroutine_threadsafe(_run_all(self.checks), self.loop)
        try:
            results = future.result(CHECK_TIMEOUT + 1)
        except Exception:
            future.cancel()
            results = {name: (False, "no answer in time") for name in self.checks}
        return {
            "ready": all(ok for ok, _ in results.values()),
            "checks": {name: {"ok": ok, "detail": d} for name, (ok, d) in results.items()},
        }


async def _run_all(checks: Mapping[str, Check]) -> dict[str, tuple[bool, str]]:
    async def one(check: Check) -> tuple[bool, str]:
        try:
            return True, await asyncio.wait_for(check(), CHECK_TIMEOUT)
        except TimeoutError:
            return False, f"no answer within {CHECK_TIMEOUT:.0f} s"
        except Exception as err:
            return False, f"{type(err).__name__}: {err}"[:300]

    answers = await asyncio.gather(*(one(c) for c in checks.values()))
    return dict(zip(checks, answers, strict=True))


# ----------------------------------------------------------------- the checks


def temporal_check(client: Client) -> Check:
    """Connected to Temporal: the frontend answers on this client's connection."""

    async def check() -> str:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=RPC_TIMEOUT)
        return f"connected to {client.service_client.config.target_host}"

    return check


def records_check(engine: Engine, url: str) -> Check:
    """The records store answers and its schema is at the newest migration."""
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())

    def current() -> set[str]:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())

    async def check() -> str:
        found = await asyncio.to_thread(current)
        if found != heads:
            raise RuntimeError(f"schema at {sorted(found) or 'nothing'}, newest {sorted(heads)}")
        return f"migrated ({', '.join(sorted(heads))})"

    return check


def platform_check(http: httpx.AsyncClient, api_key: SecretStr) -> Check:
    """The platform answers its health endpoint and accepts our admin key.

    A platform that reports itself unhealthy (503) is still reachable: its checks will
    block the onboardings that need it, with the evidence; the worker stays ready.
    """

    async def check() -> str:
        reply = await http.get(
            "/v1/health",
            headers={"Authorization": f"Bearer {api_key.get_secret_value()}"},
            timeout=RPC_TIMEOUT.total_seconds(),
        )
        if reply.status_code in (401, 403):
            raise RuntimeError(f"the platform refuses our admin key (HTTP {reply.status_code})")
        return f"answers (HTTP {reply.status_code})"

    return check


# ----------------------------------------------------------------- the server


class _Handler(BaseHTTPRequestHandler):
    health: WorkerHealth
    server_version = "onboarding-worker"
    timeout = 5  # seconds a client may take to send its request line and headers

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/livez", "/healthz"):
            ok, body = self.health.live()
        elif path == "/readyz":
            ok, body = self.health.ready()
        else:
            self._send(404, {"error": "not found; try /livez or /readyz"})
            return
        self._send(200 if ok else 503, body)

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # probes every few seconds would drown the worker's log


class HealthServer:
    """The probe endpoints on ``address`` (host:port), in a daemon thread."""

    def __init__(self, address: str, health: WorkerHealth) -> None:
        host, _, port = address.rpartition(":")
        handler = type("Handler", (_Handler,), {"health": health})
        self._server = ThreadingHTTPServer((host.strip("[]") or "0.0.0.0", int(port)), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
