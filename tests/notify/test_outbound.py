"""Outbound rules: https to allow-listed hosts, plain http only to loopback, replies distrusted.

The same rules guard the notification webhook (refused at start-up, exit 2) and
`onboard export --webhook` (tests/unit/test_export_doors.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify.outbound import (
    REFERENCE_PATTERN,
    REPLY_MAX_BYTES,
    OutboundRefused,
    OutboundSettings,
    check_outbound,
    is_loopback,
    parse_hosts,
    reply_reference,
)
from notify.senders import DeliveryFailed, WebhookSender
from notify.settings import NotifySettings
from tests.conftest import ROOT
from tests.notify.builders import make_notification
from tests.notify.stubs import webhook_stub
from worker.config import InvalidSettings, load_settings

SECRET = "S3CR3T-token-in-path"
HOSTS = ["hooks.example", "*.tickets.example"]


def check(url: str) -> httpx.URL:
    return check_outbound(url, HOSTS, what="the webhook", setting="X_URL")


@pytest.mark.parametrize(
    "url",
    [
        f"https://hooks.example/{SECRET}",
        f"HTTPS://HOOKS.example/{SECRET}",
        "https://eu.tickets.example/new",
        "https://a.b.tickets.example/new",
        "http://127.0.0.1:8080/x",
        "http://127.8.9.10/x",
        "http://localhost:9/x",
        "http://[::1]:9/x",
        "https://localhost/x",
    ],
)
def test_allowed_destinations(url: str) -> None:
    assert check(url).scheme in ("http", "https")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://hooks.example/{SECRET}", "must use https://"),
        (f"https://other.example/{SECRET}", "not on the outbound allow-list"),
        (f"https://tickets.example/{SECRET}", "not on the outbound allow-list"),
        (f"https://hooks.example.evil.example/{SECRET}", "not on the outbound allow-list"),
        (f"https://10.0.0.5/{SECRET}", "not on the outbound allow-list"),
        (f"http://169.254.169.254/{SECRET}", "must use https://"),
        (f"https://user:{SECRET}@hooks.example/", "user name or password"),
        (f"ftp://hooks.example/{SECRET}", "absolute https:// URL"),
        (f"/relative/{SECRET}", "absolute https:// URL"),
        (f"https:///{SECRET}", "absolute https:// URL"),
    ],
)
def test_refused_destinations_name_the_rule_never_the_path(url: str, words: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        check(url)
    assert words in str(refused.value) and str(refused.value).startswith("X_URL: ")
    assert SECRET not in str(refused.value)


def test_loopback_is_only_this_machine() -> None:
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "::1", "[::1]", "a.localhost"))
    assert not any(is_loopback(h) for h in ("10.0.0.1", "localhost.example", "0.0.0.0", "::"))


def test_the_allow_list_is_comma_separated_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_hosts(" Hooks.Example., *.tickets.example ,,") == HOSTS
    monkeypatch.setenv("ONBOARDING_OUTBOUND_HOSTS", "a.example,b.example")
    assert load_settings(OutboundSettings).outbound_hosts == ["a.example", "b.example"]
    monkeypatch.setenv("ONBOARDING_OUTBOUND_HOSTS", "a.example, https://b.example/x")
    with pytest.raises(InvalidSettings) as invalid:
        load_settings(OutboundSettings)
    assert invalid.value.problems[0].startswith("ONBOARDING_OUTBOUND_HOSTS: ")
    assert "is not a host name" in invalid.value.problems[0]


def test_the_notification_webhook_is_checked_when_the_settings_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ONBOARDING_OUTBOUND_HOSTS", raising=False)
    monkeypatch.setenv("ONBOARDING_NOTIFY_WEBHOOK_URL", f"https://hooks.example/{SECRET}")
    with pytest.raises(InvalidSettings) as invalid:
        load_settings(NotifySettings)
    [problem] = invalid.value.problems
    assert problem.startswith("ONBOARDING_NOTIFY_WEBHOOK_URL: ")
    assert "ONBOARDING_OUTBOUND_HOSTS" in problem and SECRET not in problem
    monkeypatch.setenv("ONBOARDING_OUTBOUND_HOSTS", "hooks.example")
    assert load_settings(NotifySettings).outbound_hosts == ["hooks.example"]


def test_the_worker_refuses_a_plain_http_webhook_before_it_connects() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    done = subprocess.run(
        [sys.executable, "-m", "starter", "worker"],
        cwd=ROOT,
        env={
            **env,
            "TEMPORAL_ADDRESS": "127.0.0.1:1",
            "ONBOARDING_PLATFORM_API_KEY": "a-platform-key-of-20-chars",
            "ONBOARDING_NOTIFY_WEBHOOK_URL": f"http://hooks.example/{SECRET}",
            "ONBOARDING_OUTBOUND_HOSTS": "hooks.example",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "ONBOARDING_NOTIFY_WEBHOOK_URL: the webhook URL must use https://" in done.stderr
    assert "Traceback" not in done.stderr and SECRET not in done.stderr


# ------------------------------------------------------------------ replies


@pytest.mark.parametrize(
    ("reply", "headers", "expected"),
    [
        (b'{"id": "TCK-4711"}', {}, "TCK-4711"),
        (b'{"id": "https://evil.example/fake"}', {}, None),
        (b'{"id": "\\u001b[31mplatform sign-off recorded"}', {}, None),
        (b'{"id": "' + b"a" * 500 + b'"}', {}, None),
        (b'{"id": ["x"]}', {"X-Request-Id": "req-7"}, "req-7"),
        (b"not json", {"X-Request-Id": "javascript:alert(1)"}, None),
        (b"", {}, None),
    ],
)
def test_only_an_id_shaped_reply_is_kept(
    reply: bytes, headers: dict[str, str], expected: str | None
) -> None:
    assert reply_reference(reply, httpx.Headers(headers)) == expected


@given(st.binary(max_size=300), st.text(max_size=200))
def test_a_kept_reference_always_looks_like_an_id(body: bytes, header: str) -> None:
    try:
        headers = httpx.Headers({"X-Request-Id": header})
    except (UnicodeEncodeError, ValueError):
        headers = httpx.Headers()
    found = reply_reference(body, headers)
    assert found is None or (REFERENCE_PATTERN.match(found) and "://" not in found)


async def test_the_webhook_sender_distrusts_the_reply() -> None:
    async with httpx.AsyncClient() as http:
        with webhook_stub() as hook:
            sender = WebhookSender(f"{hook.base_url}/{SECRET}", http)
            hook.reply = b'{"id": "https://evil.example/recorded"}'
            n = make_notification()
            assert await sender.send(n) == f"webhook:{n.key}"
            hook.reply = b'{"id": "' + b"x" * (4 * REPLY_MAX_BYTES) + b'"}'
            assert (await sender.send(make_notification())).startswith("webhook:")
            hook.status, hook.reply_headers = 302, {"Location": "https://evil.example/"}
            with pytest.raises(DeliveryFailed, match="answered HTTP 302"):
                await sender.send(make_notification())
        assert all(r.path == f"/{SECRET}" for r in hook.requests)
