"""The codec server's protocol and access rules, in process (the e2e tests run it for real)."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.envconfig import ClientConfigProfile

from codec.keys import new_key_entry
from codec.run import build_app
from codec.settings import CodecServerSettings, CodecSettings
from worker.config import InvalidSettings

TOKEN = "t" * 40
UI = "http://localhost:8233"
RING = new_key_entry("k1")


def app(**server: object) -> httpx.AsyncClient:
    settings = CodecServerSettings(
        **{"token": SecretStr(TOKEN), "token_file": None, "ui_origins": [UI], **server}  # type: ignore[arg-type]
    )
    keys = CodecSettings(keys=SecretStr(RING), key_file=None, active_key=None)
    served = build_app(settings, keys, ClientConfigProfile(namespace="onboarding"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=served), base_url="http://codec")


AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Namespace": "onboarding"}


def plain(text: str) -> dict[str, object]:
    return {
        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
        "data": base64.b64encode(f'"{text}"'.encode()).decode(),
    }


async def test_encode_then_decode_round_trips_over_http() -> None:
    client = app()
    sealed = await client.post(
        "/encode", json={"payloads": [plain("ada@northwind.example")]}, headers=AUTH
    )
    assert sealed.status_code == 200
    [payload] = sealed.json()["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted"
    assert b"ada@" not in base64.b64decode(payload["data"])

    opened = await client.post("/decode", json={"payloads": [payload]}, headers=AUTH)
    assert opened.status_code == 200
    assert opened.json()["payloads"] == [plain("ada@northwind.example")]
    assert opened.headers["cache-control"] == "no-store"


async def test_a_tampered_payload_is_refused_with_the_reason() -> None:
    client = app()
    sealed = await client.post("/encode", json={"payloads": [plain("x")]}, headers=AUTH)
    [payload] = sealed.json()["payloads"]
    data = bytearray(base64.b64decode(payload["data"]))
    data[-1] ^= 1
    payload["data"] = base64.b64encode(bytes(data)).decode()
    reply = await client.post("/decode", json={"payloads": [payload]}, headers=AUTH)
    assert reply.status_code == 422
    assert "failed authentication" in reply.json()["error"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b"not json", 400, id="not-json"),
        pytest.param(b'{"payloads": [{"data": 5}]}', 400, id="wrong-shape"),
        pytest.param(b'{"payloads": []}', 200, id="empty"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, 400, id="deeply-nested"),
        pytest.param(b"\xff\xfe", 400, id="not-utf8"),
    ],
)
async def test_malformed_bodies_are_refused_cleanly(body: bytes, status: int) -> None:
    reply = await app().post(
        "/decode", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert reply.status_code == status


async def test_an_oversized_body_is_refused() -> None:
    reply = await app(max_body_bytes=2048).post(
        "/decode", json={"payloads": [plain("x" * 4000)]}, headers=AUTH
    )
    assert reply.status_code == 413


async def test_browser_requests_need_the_token_unless_the_ui_has_none_to_send() -> None:
    body = {"payloads": [plain("x")]}
    from_ui = {"Origin": UI, "X-Namespace": "onboarding"}

    async def status(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
        return (await client.post("/decode", json=body, headers=headers)).status_code

    strict = app()
    assert await status(strict, from_ui) == 401
    assert await status(strict, {**from_ui, **AUTH}) == 200
    dev = app(ui_without_token=True)
    reply = await dev.post("/decode", json=body, headers=from_ui)
    assert reply.status_code == 200 and reply.headers["access-control-allow-origin"] == UI
    # Without an Origin header (the temporal CLI, curl) the token is always required.
    assert await status(dev, {"X-Namespace": "onboarding"}) == 401
    assert (
        await status(dev, {"Origin": "http://localhost:8234", "X-Namespace": "onboarding"}) == 403
    )


def test_the_server_refuses_to_start_without_a_token_or_with_a_bad_origin(tmp_path: Path) -> None:
    keys = CodecSettings(keys=SecretStr(RING), key_file=None, active_key=None)
    with pytest.raises(InvalidSettings, match=r"ONBOARDING_CODEC_TOKEN_FILE: .*no default"):
        build_app(
            CodecServerSettings(token=None, token_file=None),
            keys,
            ClientConfigProfile(namespace="default"),
        )
    with pytest.raises(InvalidSettings, match="ONBOARDING_CODEC_UI_ORIGINS"):
        build_app(
            CodecServerSettings(token=SecretStr(TOKEN), token_file=None, ui_origins=["*"]),
            keys,
            ClientConfigProfile(namespace="default"),
        )
    with pytest.raises(InvalidSettings, match="ONBOARDING_CODEC_KEY_FILE"):
        build_app(
            CodecServerSettings(token=SecretStr(TOKEN), token_file=None),
            CodecSettings(keys=None, key_file=None, active_key=None, data_dir=tmp_path),
            ClientConfigProfile(namespace="default"),
        )
