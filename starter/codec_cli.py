"""`onboard codec-server`: decode payloads for the Web UI and the `temporal` CLI."""

from __future__ import annotations

from typing import Annotated

import typer


def codec_server(
    host: Annotated[str | None, typer.Option(help="Interface (ONBOARDING_CODEC_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ONBOARDING_CODEC_PORT).")] = None,
) -> None:
    """Serve /encode and /decode (Temporal's remote codec) for the Web UI and `temporal` CLI.

    Keys from ONBOARDING_CODEC_KEY_FILE or _KEYS; callers need the bearer token
    (ONBOARDING_CODEC_TOKEN_FILE or _TOKEN), browsers the UI's origin
    (ONBOARDING_CODEC_UI_ORIGINS).
    """
    from codec.run import serve

    serve(host, port)
