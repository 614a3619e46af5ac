"""Run the sandbox platform with uvicorn until SIGINT or SIGTERM."""

from __future__ import annotations

import copy
import signal
import threading
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from sandbox.app import create_app
from sandbox.settings import SandboxSettings


def console_logging(level: str) -> dict[str, Any]:
    """Uvicorn's logging setup, plus the platform's own ``sandbox.*`` loggers at ``level``."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["sandbox"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def build_server(
    settings: SandboxSettings,
    *,
    access_log: bool = True,
    log_config: dict[str, Any] | None = None,
) -> uvicorn.Server:
    """A uvicorn server for the platform (not started).

    Args:
        settings: Where the platform keeps its data and listens.
        access_log: Whether to log every request line (never headers, so never tokens).
        log_config: A ``logging.config.dictConfig`` setup; None leaves logging alone.
    """
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=access_log,
        log_config=log_config,
        lifespan="on",
    )
    return uvicorn.Server(config)


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """Swallow the signal uvicorn re-raises after its graceful shutdown."""


def serve(settings: SandboxSettings) -> None:
    """Serve the platform until SIGINT or SIGTERM, then shut down cleanly and return.

    Uvicorn handles the signals itself (graceful shutdown) and then re-raises them to the
    handlers it found; installing no-op handlers first makes both signals end in a normal
    return (exit status 0) instead of a KeyboardInterrupt or a kill.
    """
    server = build_server(settings, log_config=console_logging(settings.log_level))
    if threading.current_thread() is not threading.main_thread():
        server.run()
        return
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _ignore) for sig in handled}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
