"""Run the codec server with uvicorn until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from temporalio.envconfig import ClientConfigProfile

from codec.aesgcm import EncryptionCodec
from codec.keys import KeyRingError
from codec.server import AccessPolicy, create_app
from codec.settings import CodecServerSettings, CodecSettings, read_token
from worker.client import load_profile
from worker.config import InvalidSettings, load_settings


def build_app(
    server: CodecServerSettings, keys: CodecSettings, temporal: ClientConfigProfile
) -> Starlette:
    """The codec server for these settings, or `InvalidSettings` naming what is missing."""
    try:
        ring = keys.key_ring()
        token = read_token(server.token, server.token_file)
    except KeyRingError as err:
        raise InvalidSettings([str(err)]) from None
    bad = [
        o for o in server.ui_origins if not o.startswith(("http://", "https://")) or o.endswith("/")
    ]
    if bad:
        raise InvalidSettings(
            [f"ONBOARDING_CODEC_UI_ORIGINS: {bad[0]!r} is not an origin like https://host:port"]
        )
    policy = AccessPolicy(
        token=token,
        namespace=temporal.namespace or "default",
        ui_origins=frozenset(server.ui_origins),
        ui_without_token=server.ui_without_token,
        max_body_bytes=server.max_body_bytes,
    )
    return create_app(EncryptionCodec(ring), policy)


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """Swallow the signal uvicorn re-raises after its graceful shutdown."""


def serve(host: str | None = None, port: int | None = None) -> CodecServerSettings:
    """Serve until SIGINT or SIGTERM (settings from the environment, options on top)."""
    server = load_settings(CodecServerSettings)
    if host is not None:
        server.host = host
    if port is not None:
        server.port = port
    app = build_app(server, load_settings(CodecSettings), load_profile())
    config = uvicorn.Config(app, host=server.host, port=server.port, log_level="warning")
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return server
