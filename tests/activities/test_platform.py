"""The platform client and shared pieces: catalogue, unavailability, refusals, tokens."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio import activity

from activities.catalog import platform_activities
from activities.platform import PlatformClient, PlatformUnavailable, ProbeConfig, Session
from activities.tokens import tamper
from tests.activities.support import PROBE_PASSWORD, request, run

ACTIVITY_NAMES = [
    "check_internal_readiness",
    "provision_account",
    "verify_access_identity",
    "validate_environment",
    "enable_features",
    "verify_monitoring",
    "activate_tenant",
    "gather_usage",
    "register_support",
    "deliver_documents",
]
PLATFORM_CALLERS = [n for n in ACTIVITY_NAMES if n != "deliver_documents"]
"""Activities whose first act is a platform call (deliver_documents stores files first; its
unreachable-platform case is in test_enablement.py, with an artifacts folder of its own)."""


async def test_catalog_registers_every_activity_by_name() -> None:
    async with httpx.AsyncClient(base_url="http://unused") as http:
        client = PlatformClient(http, SecretStr("k"))
        found = platform_activities(client, ProbeConfig(password=SecretStr(PROBE_PASSWORD)))
    # The SDK's own view of each callable: what the worker will register.
    names = [activity._Definition.must_from_callable(fn).name for fn in found]
    assert names == ACTIVITY_NAMES


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("name", PLATFORM_CALLERS)
async def test_unreachable_platform_raises_retryable_unavailable(name: str) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        url = f"http://127.0.0.1:{_closed_port()}"
        client = PlatformClient(http, SecretStr("k"), base_url=url)
        probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD))
        method = {fn.__name__: fn for fn in platform_activities(client, probe)}[name]
        with pytest.raises(PlatformUnavailable) as caught:
            await run(method, request(name))
    message = str(caught.value)
    assert "could not be reached" in message
    assert "Temporal retries" in message
    assert PROBE_PASSWORD not in message
    assert caught.value.__cause__ is None  # the request (and its headers) stay out of it


async def test_server_error_on_admin_call_is_unavailable() -> None:
    def failing(req: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "Database is restarting."})

    transport = httpx.MockTransport(failing)
    async with httpx.AsyncClient(transport=transport, base_url="http://platform") as http:
        client = PlatformClient(http, SecretStr("admin-key-value"))
        with pytest.raises(PlatformUnavailable, match=re.escape("503 (Database is restarting")):
            await client.status()


async def test_wrong_admin_key_is_a_failed_check_naming_the_setting(
    http: httpx.AsyncClient, sandbox_url: str, acts: dict[str, Callable[..., Any]]
) -> None:
    wrong = PlatformClient(http, SecretStr("not-the-admin-key"), base_url=sandbox_url)
    probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD))
    readiness = platform_activities(wrong, probe)[0]
    result = await run(readiness, request("check_internal_readiness"))
    assert not result.passed
    assert all("ONBOARDING_PLATFORM_API_KEY" in c.detail for c in result.checks)
    assert "not-the-admin-key" not in result.model_dump_json()


def test_session_repr_hides_the_token() -> None:
    session = Session("t", "e@x.example", ("viewer",), None, SecretStr("abc.def-secret"))
    assert "def-secret" not in repr(session)
    assert "def-secret" not in str(session)


@pytest.mark.parametrize(
    "token",
    ["eyJzaWQiOiIxIn0.Zm9vYmFyYmF6", "payload.0123abcdef", "payload.-_Az", "payload.AAAA"],
)
def test_tamper_changes_one_signature_character(token: str) -> None:
    changed = tamper(token)
    payload, _, signature = token.partition(".")
    new_payload, _, new_signature = changed.partition(".")
    assert new_payload == payload
    assert len(new_signature) == len(signature)
    differing = [i for i, (a, b) in enumerate(zip(signature, new_signature, strict=True)) if a != b]
    assert differing == [0]
    # Still different after case folding (hex decoders are case-insensitive).
    assert new_signature[0].lower() != signature[0].lower()


async def test_client_needs_a_base_url() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError, match="base_url"):
            PlatformClient(http, SecretStr("k"))
