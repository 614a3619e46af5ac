"""Connect to Temporal with the connection profile the `temporal` CLI uses.

Where Temporal is comes from `temporalio.envconfig`: the TOML profile file
(`TEMPORAL_CONFIG_FILE`, else `~/.config/temporalio/temporal.toml`), the profile
`TEMPORAL_PROFILE` (else `default`), and the `TEMPORAL_*` variables over it
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`,
`TEMPORAL_TLS_CLIENT_CERT_PATH`, ...). So one profile serves `onboard`, the worker and
`temporal` alike, on a laptop, a self-hosted cluster or Temporal Cloud.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import structlog
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.envconfig import ClientConfigProfile
from temporalio.runtime import Runtime

from codec.aesgcm import EncryptionCodec
from codec.keys import KeyRing, KeyRingError
from codec.settings import CodecSettings

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"

_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
_FALSE = {"0", "f", "F", "false", "FALSE", "False"}
"""The spellings the `temporal` CLI accepts for TEMPORAL_TLS (Go's strconv.ParseBool)."""
_CLEARED_WHEN_BLANK = ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY")
"""Set but blank, these clear what the profile file says (the CLI's rule); a blank
TEMPORAL_TLS or any other blank variable is simply not set."""


class InvalidProfile(ValueError):
    """The connection profile cannot be loaded; each problem names its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def load_profile(environ: Mapping[str, str] | None = None) -> ClientConfigProfile:
    """Load the Temporal connection profile as the `temporal` CLI reads it.

    Blank variables follow the CLI: `TEMPORAL_ADDRESS=`, `TEMPORAL_NAMESPACE=` and
    `TEMPORAL_API_KEY=` clear the file's value (so a blank key in a deployment's env never
    switches TLS on against a plain cluster); any other blank variable is not set.
    `TEMPORAL_TLS` takes the CLI's spellings of true and false; anything else is refused
    rather than guessed.

    Args:
        environ: The variables to read; the process environment if not given.

    Returns:
        The profile, with the address and namespace defaulted like the CLI's.

    Raises:
        InvalidProfile: A file that does not parse, a profile it does not have, a
            certificate file that cannot be read, a `TEMPORAL_TLS` that is no boolean.
    """
    given = os.environ if environ is None else environ
    env = {k: v for k, v in given.items() if not (k.startswith("TEMPORAL_") and not v.strip())}
    cleared = {name for name in _CLEARED_WHEN_BLANK if name in given and name not in env}
    tls = env.get("TEMPORAL_TLS")
    if tls is not None:
        if tls.strip() not in _TRUE | _FALSE:
            raise InvalidProfile(
                [f"TEMPORAL_TLS: Input should be a valid boolean (true or false), not {tls!r}"]
            )
        env["TEMPORAL_TLS"] = "true" if tls.strip() in _TRUE else "false"
    try:
        file = config_file(env)
        profile = ClientConfigProfile.load(
            profile=env.get("TEMPORAL_PROFILE"),
            config_source=file if file.is_file() else None,
            disable_file=not file.is_file(),  # a missing file is no error, as in the CLI
            override_env_vars=env,
        )
        profile.to_client_connect_config()  # reads the certificate files: are they there?
    except OSError as err:  # a certificate or key path that cannot be read
        raise InvalidProfile(
            [f"{_variable_of(err, env)}: cannot read {err.filename}: {err.strerror}"]
        ) from None
    except Exception as err:  # the bridge's ConfigError: bad TOML, unknown profile
        source = config_file(env)
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        name = "TEMPORAL_PROFILE" if "not found" in first_line else "TEMPORAL_CONFIG_FILE"
        raise InvalidProfile([f"{name}: {first_line} (config file {source})"]) from None
    return replace(
        profile,
        address=(None if "TEMPORAL_ADDRESS" in cleared else profile.address) or DEFAULT_ADDRESS,
        namespace=(None if "TEMPORAL_NAMESPACE" in cleared else profile.namespace)
        or DEFAULT_NAMESPACE,
        api_key=None if "TEMPORAL_API_KEY" in cleared else profile.api_key,
    )


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The profile file: `TEMPORAL_CONFIG_FILE`, else `temporalio/temporal.toml` in the
    user's configuration directory (`$XDG_CONFIG_HOME`, else `$HOME/.config`)."""
    env = os.environ if environ is None else environ
    if env.get("TEMPORAL_CONFIG_FILE", "").strip():
        return Path(env["TEMPORAL_CONFIG_FILE"])
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or "~").expanduser() / ".config")
    return Path(base) / "temporalio" / "temporal.toml"


def _variable_of(err: OSError, env: Mapping[str, str]) -> str:
    for name, value in env.items():
        if name.startswith("TEMPORAL_TLS_") and value == err.filename:
            return name
    return "TEMPORAL_CONFIG_FILE"


def uses_tls(profile: ClientConfigProfile) -> bool:
    """Whether a connection with this profile uses TLS (an API key turns it on)."""
    return bool(profile.to_client_connect_config().get("tls", False))


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
    from worker.config import InvalidSettings, load_settings  # it imports this module

    try:
        return (codec or load_settings(CodecSettings)).key_ring()
    except KeyRingError as err:
        raise InvalidSettings([str(err)]) from None


async def connect(
    profile: ClientConfigProfile | None = None,
    codec: CodecSettings | None = None,
    *,
    worker: bool = False,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """Connect to Temporal: the one way every command and the worker get a client, and
    every one encrypts (payloads, failure messages, user metadata).

    Args:
        profile: Where and how to connect; `load_profile()` if not given.
        codec: The payload keys; the environment's (`ONBOARDING_CODEC_*`) if not given.
        worker: Undecodable payloads reach the workflow as null rather than fail its task
            (see `EncryptionCodec`); only the worker's client sets it.
        runtime: The SDK runtime (its telemetry: metrics); the default runtime if None.
        interceptors: Client interceptors (tracing); workers built on this client use
            those that are worker interceptors too.

    Raises:
        InvalidProfile: The profile cannot be loaded (only when `profile` is None).
        InvalidSettings: No usable payload key is configured (never a built-in default).
        RuntimeError: Temporal cannot be reached.
    """
    converter = encrypting_converter(key_ring(codec), tolerant=worker)
    config = (profile or load_profile()).to_client_connect_config()
    config.setdefault("target_host", DEFAULT_ADDRESS)
    return await Client.connect(
        **config,
        data_converter=converter,
        runtime=runtime,
        interceptors=interceptors,
    )


class TemporalUnreachable(RuntimeError):
    """Temporal did not answer within the wait a long-running service allows."""


async def connect_waiting(
    profile: ClientConfigProfile,
    wait_seconds: float = 60.0,
    *,
    worker: bool = False,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """`connect`, waiting for a server that is still starting (as under `onboard dev`).

    For services (the worker, the approvals service) that start beside Temporal.

    Raises:
        TemporalUnreachable: No answer within `wait_seconds`; the message names the address.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    address = profile.address or DEFAULT_ADDRESS
    while True:
        try:
            return await connect(profile, worker=worker, runtime=runtime, interceptors=interceptors)
        except RuntimeError as err:
            if loop.time() > deadline:
                raise TemporalUnreachable(
                    f"Temporal at {address} did not answer within {wait_seconds:.0f} s ({err}); "
                    "start it (`onboard dev`) or point TEMPORAL_ADDRESS or the profile at it"
                ) from None
            structlog.get_logger().info("waiting for temporal", address=address, error=str(err))
            await asyncio.sleep(1.0)
