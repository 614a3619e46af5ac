"""``onboard sandbox fault``: the typer app against a running sandbox (via CliRunner)."""

from __future__ import annotations

import socket

from typer.testing import CliRunner, Result

from starter.sandbox_cli import sandbox_app
from tests.sandbox.platform import ADMIN_KEY, Platform

runner = CliRunner()


def invoke(url: str, *args: str, key: str = ADMIN_KEY) -> Result:
    env = {"ONBOARDING_PLATFORM_URL": url, "ONBOARDING_PLATFORM_API_KEY": key}
    return runner.invoke(sandbox_app, ["fault", *args], env=env)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_list_set_and_clear(sandbox_url: str, platform: Platform) -> None:
    listed = invoke(sandbox_url, "--list")
    switched = invoke(sandbox_url, "viewer_can_admin", "--tenant", "acme")
    everywhere = invoke(sandbox_url, "monitoring_missing")
    marked = invoke(sandbox_url, "--list")
    cleared = invoke(sandbox_url, "--clear")
    after = invoke(sandbox_url, "--list")

    assert listed.exit_code == 0, listed.output
    assert "production_incident" in listed.output and "breaks production_stability" in listed.output
    assert switched.exit_code == everywhere.exit_code == 0
    assert "tenant acme" in switched.output and "rbac_matrix" in switched.output
    active = [line for line in marked.output.splitlines() if line.startswith("*")]
    assert len(active) == 2
    assert "viewer_can_admin" in active[0] or "viewer_can_admin" in active[1]
    assert any("monitoring_missing" in line and "all tenants" in line for line in active)
    assert cleared.exit_code == 0 and "cleared" in cleared.output
    assert not [line for line in after.output.splitlines() if line.startswith("*")]


async def test_unknown_fault_is_one_sentence_and_non_zero(
    sandbox_url: str, platform: Platform
) -> None:
    result = invoke(sandbox_url, "gremlins")

    assert result.exit_code != 0
    assert "Unknown fault 'gremlins'" in result.output
    assert "Traceback" not in result.output


async def test_sandbox_not_running(platform: Platform) -> None:
    result = invoke(closed_port_url(), "--list")

    assert result.exit_code == 1
    assert "not running" in result.output and "onboard sandbox" in result.output
    assert "Traceback" not in result.output


async def test_wrong_api_key(sandbox_url: str, platform: Platform) -> None:
    result = invoke(sandbox_url, "--list", key="wrong")

    assert result.exit_code == 1
    assert "ONBOARDING_PLATFORM_API_KEY" in result.output


async def test_exactly_one_of_name_list_clear(sandbox_url: str, platform: Platform) -> None:
    for args in ((), ("health_failing", "--clear"), ("--list", "--clear"), ("--tenant", "x")):
        result = invoke(sandbox_url, *args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output
