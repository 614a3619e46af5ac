"""No probe password or session token ever leaves an activity: results, facts, logs."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from pydantic import SecretStr

from activities.catalog import platform_activities
from activities.platform import PlatformClient, ProbeConfig, Session
from tests.activities.support import ADMIN_KEY, PROBE_PASSWORD, STEP_OF, inject, request, run

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{40,}")


class RecordingPlatform(PlatformClient):
    """The real client, keeping every session token it was issued (for the assertions)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tokens: list[str] = []

    async def login(self, *args: Any, **kwargs: Any) -> Session:
        session = await super().login(*args, **kwargs)
        self.tokens.append(session.token.get_secret_value())
        return session


def _leaks(text: str, tokens: list[str]) -> list[str]:
    found = [
        label
        for label, secret in (("password", PROBE_PASSWORD), ("admin key", ADMIN_KEY))
        if secret in text
    ]
    for token in tokens:
        payload, _, signature = token.partition(".")
        if payload in text or signature in text:
            found.append("token")
    found += [f"token-shaped: {m[:12]}..." for m in TOKEN_SHAPE.findall(text)]
    return found


@pytest.mark.parametrize("fault", [None, "tampered_token_accepted"])
async def test_no_secret_in_results_facts_or_logs(
    http: httpx.AsyncClient,
    sandbox_url: str,
    caplog: pytest.LogCaptureFixture,
    fault: str | None,
    tmp_path: Path,
) -> None:
    platform = RecordingPlatform(http, SecretStr(ADMIN_KEY), base_url=sandbox_url)
    probe = ProbeConfig(password=SecretStr(PROBE_PASSWORD), logging_wait_seconds=1)
    results: list[str] = []
    caplog.set_level(logging.DEBUG)

    with structlog.testing.capture_logs() as events:
        for method in platform_activities(platform, probe, tmp_path / "artifacts"):
            result = await run(method, request(method.__name__))
            results.append(result.model_dump_json())
            if method.__name__ == "provision_account" and fault:
                await inject(platform, fault)

    assert len(results) == len(STEP_OF)
    assert len(platform.tokens) >= 8, "the probes logged in"
    assert any('"passed":false' in r for r in results) == bool(fault)
    assert _leaks("\n".join(results), platform.tokens) == []
    assert events, "activities log through structlog"
    assert _leaks(json.dumps(events, default=str), platform.tokens) == []
    assert _leaks(caplog.text, platform.tokens) == []
