"""Connect to Temporal with the pydantic data converter, locally or on Temporal Cloud."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from worker.config import TemporalSettings


async def connect(settings: TemporalSettings) -> Client:
    # An empty TEMPORAL_API_KEY (a blank line in a deployment's env) means "none", not a
    # key: otherwise it would switch TLS on against a plain self-hosted cluster.
    api_key = settings.api_key.get_secret_value() if settings.api_key else ""
    tls: bool | TLSConfig = settings.tls or bool(api_key)
    if settings.tls_client_cert_path or settings.tls_server_ca_cert_path:
        tls = TLSConfig(
            client_cert=_read(settings.tls_client_cert_path),
            client_private_key=_read(settings.tls_client_key_path),
            server_root_ca_cert=_read(settings.tls_server_ca_cert_path),
        )
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        api_key=api_key or None,
        tls=tls,
        data_converter=pydantic_data_converter,
    )


def _read(path: object) -> bytes | None:
    from pathlib import Path

    return Path(str(path)).read_bytes() if path else None
