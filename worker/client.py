"""Connect to Temporal with the pydantic data converter, locally or on Temporal Cloud.

Every client the project makes comes from `connect`, and every one encrypts: payloads,
failure messages and user metadata are sealed with the configured key ring.
"""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import TLSConfig

from codec.aesgcm import EncryptionCodec
from codec.keys import KeyRing, KeyRingError
from codec.settings import CodecSettings
from worker.config import InvalidSettings, TemporalSettings, load_settings


def encrypting_converter(ring: KeyRing, *, tolerant: bool = False) -> DataConverter:
    """The pydantic converter with every payload sealed by ``ring`` (failures included);
    ``tolerant`` for the worker (see `EncryptionCodec`)."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring, tolerant=tolerant),
        # Failure messages and stack traces move into an encoded payload too.
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def key_ring(codec: CodecSettings | None = None) -> KeyRing:
    """The configured key ring, or `InvalidSettings` naming the variable to fix."""
    try:
        return (codec or load_settings(CodecSettings)).key_ring()
    except KeyRingError as err:
        raise InvalidSettings([str(err)]) from None


async def connect(
    settings: TemporalSettings, codec: CodecSettings | None = None, *, worker: bool = False
) -> Client:
    """A client for ``settings``, encrypting with ``codec``'s keys (default: the environment's).

    ``worker`` makes undecodable payloads reach the workflow as null rather than fail its
    task (see `EncryptionCodec`); only the worker's client sets it.

    Raises:
        InvalidSettings: No usable payload key is configured (never a built-in default).
        RuntimeError: Temporal cannot be reached.
    """
    converter = encrypting_converter(key_ring(codec), tolerant=worker)
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
        data_converter=converter,
    )


def _read(path: object) -> bytes | None:
    from pathlib import Path

    return Path(str(path)).read_bytes() if path else None
