"""The server process: clean stop on SIGTERM/SIGINT, and a token key kept per data dir."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures.sandbox import running_sandbox
from tests.sandbox.platform import ADMIN_KEY, Platform, bearer

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until_up(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(150):
            if process.returncode is not None:
                break
            try:
                await client.get("/openapi.json")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError("the sandbox process did not come up")


@pytest.mark.parametrize(
    ("how", "sig"),
    [("module", signal.SIGTERM), ("cli", signal.SIGINT)],
)
async def test_server_stops_cleanly(tmp_path: Path, how: str, sig: signal.Signals) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SANDBOX_LOG_LEVEL": "warning"}
    if how == "module":
        env |= {"SANDBOX_PORT": str(port), "SANDBOX_DATA_DIR": str(tmp_path)}
        argv = [sys.executable, "-m", "sandbox"]
    else:
        code = "from starter.sandbox_cli import sandbox_app; sandbox_app()"
        argv = [sys.executable, "-c", code, "--port", str(port), "--data-dir", str(tmp_path)]
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_until_up(f"http://127.0.0.1:{port}", process)
        process.send_signal(sig)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert (tmp_path / "sandbox.db").exists()


async def test_token_key_is_kept_per_data_dir(tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}

    async def me(data_dir: Path, token: str, tenant_id: str) -> int:
        async with (
            running_sandbox(data_dir) as url,
            httpx.AsyncClient(base_url=url, headers=headers) as client,
        ):
            api = Platform(client)
            if (await client.get(f"/v1/tenants/{tenant_id}")).status_code == 404:
                await api.create_tenant(tenant_id)
                await api.put_user(tenant_id, f"viewer@{tenant_id}.example", ["viewer"])
            response = await client.get(f"/v1/t/{tenant_id}/me", headers=bearer(token))
            return response.status_code

    async with (
        running_sandbox(tmp_path / "one") as url,
        httpx.AsyncClient(base_url=url, headers=headers) as client,
    ):
        tenant = await Platform(client).prepared_tenant()
    token = tenant.tokens["viewer"]

    # Restarted on the same data dir: same key, the token still works.
    assert await me(tmp_path / "one", token, tenant.id) == 200
    # Another data dir has its own key: the same tenant and user there refuse the token.
    assert await me(tmp_path / "two", token, tenant.id) == 401
