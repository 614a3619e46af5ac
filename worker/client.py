"""Connect to Temporal with the pydantic data converter, locally or on Temporal Cloud."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from worker.config import TemporalSettings


async def connect(settings: TemporalSettings) -> Client:
    tls: bool | TLSConfig = settings.tls or settings.api_key is not None
    if settings.tls_client_cert_path or settings.tls_server_ca_cert_path:
        tls = TLSConfig(
            client_cert=_read(settings.tls_client_cert_path),
            client_private_key=_read(settings.tls_client_key_path),
            server_root_ca_cert=_read(settings.tls_server_ca_cert_path),
        )
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        tls=tls,
        data_converter=pydantic_data_converter,
    )


def _read(path: object) -> bytes | None:
    from pathlib import Path

    return Path(str(path)).read_bytes() if path else None
