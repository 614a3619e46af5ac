"""Where the project may send data: https to allow-listed hosts, plain http to loopback only.

Both outbound doors go through `check_outbound`: the notification webhook
(`ONBOARDING_NOTIFY_WEBHOOK_URL`) and `onboard export --webhook`. The allow-list is
`ONBOARDING_OUTBOUND_HOSTS`, host names separated by commas (``tickets.example.com``, or
``*.example.com`` for its subdomains); loopback (``localhost``, 127.0.0.0/8, ``::1``)
needs no entry. Messages name the scheme and host only: webhook URLs often carry a
token in their path.

A receiver's reply is read up to `REPLY_MAX_BYTES` and only a short id from it is kept
(`reply_reference`): never a URL or text the receiver chose.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from typing import Annotated, Any

import httpx
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

HOSTS_VARIABLE = "ONBOARDING_OUTBOUND_HOSTS"
REPLY_MAX_BYTES = 64 * 1024
"""A receiver's answer is a small JSON object; anything longer is not read further."""
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,127}$")
"""A ticket id or delivery id as receivers give them: ``TCK-4711``, ``a1b2c3``."""
_HOST_ENTRY = re.compile(r"^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")


class OutboundRefused(ValueError):
    """A destination the outbound rules do not allow; the message names no secret."""


def parse_hosts(value: Any) -> list[str]:
    """Return the allow-list from its setting: a comma-separated string or a list.

    Raises:
        ValueError: An entry is not a host name (or ``*.`` and a domain).
    """
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    hosts = []
    for item in items:
        host = str(item).strip().lower().rstrip(".")
        if not host:
            continue
        if not _HOST_ENTRY.match(host):
            raise ValueError(
                f"{host[:80]!r} is not a host name; list host names such as "
                "tickets.example.com or *.example.com, separated by commas"
            )
        hosts.append(host)
    return hosts


HostList = Annotated[list[str], NoDecode]


class OutboundSettings(BaseSettings):
    """The outbound allow-list (`ONBOARDING_OUTBOUND_HOSTS`)."""

    model_config = SettingsConfigDict(env_prefix="ONBOARDING_", extra="ignore")

    outbound_hosts: HostList = Field(default_factory=list)
    """Hosts that may receive data over https, besides loopback."""

    @field_validator("outbound_hosts", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> list[str]:
        return parse_hosts(value)


def is_loopback(host: str) -> bool:
    """Tell whether a host name or address is this machine (never leaves it)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _allowed(host: str, hosts: Iterable[str]) -> bool:
    name = host.lower().rstrip(".")
    for entry in hosts:
        if entry.startswith("*."):
            if name.endswith(entry[1:]) and name != entry[2:]:
                return True
        elif name == entry:
            return True
    return False


def check_outbound(url: str, hosts: Iterable[str], *, what: str, setting: str) -> httpx.URL:
    """Return the URL if the outbound rules allow sending data to it.

    Args:
        url: Where the data would go.
        hosts: The allow-list (`OutboundSettings.outbound_hosts`).
        what: What it is, for the message ("the ticketing webhook").
        setting: The option or variable that gave the URL, for the message.

    Raises:
        OutboundRefused: Not an absolute http(s) URL, plain http beyond loopback, or a
            host not on the allow-list; the message names scheme and host only.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise OutboundRefused(f"{setting}: {what} is not a valid URL") from None
    scheme, host = parsed.scheme.lower(), parsed.host
    if scheme not in ("http", "https") or not host:
        raise OutboundRefused(f"{setting}: {what} must be an absolute https:// URL")
    if parsed.userinfo:
        raise OutboundRefused(
            f"{setting}: {what} holds a user name or password in the URL; "
            "use a token setting instead"
        )
    loopback = is_loopback(host)
    if scheme == "http" and not loopback:
        raise OutboundRefused(
            f"{setting}: {what} must use https:// (plain http only to this machine), "
            f"not http://{host}"
        )
    if not loopback and not _allowed(host, hosts):
        raise OutboundRefused(
            f"{setting}: {what} host {host} is not on the outbound allow-list; add it to "
            f"{HOSTS_VARIABLE} (comma-separated host names) if data may go there"
        )
    return parsed


def where(url: httpx.URL) -> str:
    """Return scheme, host and port only: how a destination is named in messages."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


def reply_reference(body: bytes, headers: httpx.Headers) -> str | None:
    """Return the receiver's id for what it received, if it gave a well-formed one.

    The id is the ``id`` of a JSON object reply, else the ``X-Request-Id`` header, and
    only if it looks like an id (`REFERENCE_PATTERN`): a receiver's URL, a long text or
    control characters are never taken.
    """
    try:
        answer: Any = json.loads(body) if body else None
    except ValueError:
        answer = None
    candidates: list[Any] = []
    if isinstance(answer, dict):
        candidates.append(answer.get("id"))
    candidates.append(headers.get("x-request-id"))
    for found in candidates:
        if isinstance(found, bool) or not isinstance(found, str | int):
            continue
        text = str(found)
        if REFERENCE_PATTERN.match(text) and "://" not in text:
            return text
    return None


async def read_reply(response: httpx.Response) -> bytes:
    """Read a streamed reply's body, at most `REPLY_MAX_BYTES` of it."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk[: REPLY_MAX_BYTES - len(body)]
        if len(body) >= REPLY_MAX_BYTES:
            break
    return bytes(body)
