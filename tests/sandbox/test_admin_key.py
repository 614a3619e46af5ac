"""No well-known default secret: the sandbox's admin key is random per data directory.

The old default `sandbox-admin-key` is never accepted; an unset key is generated once,
kept 0600 in the data directory and reused on restart; a readable-by-others or symlinked
key file is refused. The worker refuses a sandbox key for a platform beyond this machine.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from sandbox.app import create_app
from sandbox.keys import (
    KeyFileError,
    admin_key_path,
    ensure_admin_key,
    is_sandbox_key,
    read_admin_key,
)
from sandbox.settings import SandboxSettings
from tests.conftest import ROOT
from worker.config import InvalidSettings, Settings
from worker.platform_key import platform_key


async def faults(app_settings: SandboxSettings, key: str) -> int:
    transport = httpx.ASGITransport(app=create_app(app_settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        reply = await client.get("/v1/admin/faults", headers={"Authorization": f"Bearer {key}"})
        return reply.status_code


async def test_an_unset_key_is_generated_once_per_data_dir_and_kept_private(tmp_path: Path) -> None:
    settings = SandboxSettings(data_dir=tmp_path / "sandbox")
    key = settings.resolved_admin_key()

    assert is_sandbox_key(key) and len(key) > 40
    path = admin_key_path(tmp_path / "sandbox")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.resolved_admin_key() == key == read_admin_key(tmp_path / "sandbox")
    assert SandboxSettings(data_dir=tmp_path / "other").resolved_admin_key() != key
    assert await faults(settings, key) == 200
    assert await faults(settings, "sandbox-admin-key") == 401


@pytest.mark.parametrize("key", ["sandbox-admin-key", "short"])
def test_a_guessable_configured_key_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValidationError, match="SANDBOX_ADMIN_KEY"):
        SandboxSettings(data_dir=tmp_path, admin_key=SecretStr(key))


def test_an_unsafe_key_file_is_refused(tmp_path: Path) -> None:
    ensure_admin_key(tmp_path)
    admin_key_path(tmp_path).chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        read_admin_key(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    admin_key_path(other).symlink_to(admin_key_path(tmp_path))
    with pytest.raises(KeyFileError, match="symbolic link"):
        ensure_admin_key(other)


def test_onboard_sandbox_refuses_the_old_default_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "ONBOARDING_"))}
    done = subprocess.run(
        [sys.executable, "-m", "starter", "sandbox", "--port", "1", "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env={**env, "SANDBOX_ADMIN_KEY": "sandbox-admin-key"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "well-known default key" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------ the worker's side


def test_the_worker_takes_the_embedded_sandboxs_key_for_a_local_platform(tmp_path: Path) -> None:
    key = ensure_admin_key(tmp_path / "sandbox")
    settings = Settings(data_dir=tmp_path, platform_url="http://127.0.0.1:8400")
    assert platform_key(settings).get_secret_value() == key


@pytest.mark.parametrize(
    ("url", "key", "words"),
    [
        ("https://admin-api.localizevideos.example", None, "is not set"),
        ("http://127.0.0.1:8400", None, "is not set"),
        ("https://admin-api.localizevideos.example", "sandbox-abcdefghijklmnop", "sandbox key"),
        ("http://10.1.2.3:8400", "sandbox-admin-key", "not this machine"),
        ("not a url", "k" * 20, "ONBOARDING_PLATFORM_URL"),
    ],
)
def test_the_worker_refuses_a_missing_or_misdirected_key(
    tmp_path: Path, url: str, key: str | None, words: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        platform_url=url,
        platform_api_key=SecretStr(key) if key else None,
    )
    with pytest.raises(InvalidSettings) as invalid:
        platform_key(settings)
    assert words in invalid.value.problems[0]


def test_a_production_key_works_with_a_remote_platform(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        platform_url="https://admin-api.localizevideos.example",
        platform_api_key=SecretStr("prod-key-0123456789abcdef"),
    )
    assert platform_key(settings).get_secret_value() == "prod-key-0123456789abcdef"


def test_onboard_worker_with_a_sandbox_key_for_a_remote_platform_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    done = subprocess.run(
        [sys.executable, "-m", "starter", "worker"],
        cwd=ROOT,
        env={
            **env,
            "TEMPORAL_ADDRESS": "127.0.0.1:1",
            "ONBOARDING_DATA_DIR": str(tmp_path),
            "ONBOARDING_PLATFORM_URL": "https://admin-api.localizevideos.example",
            "ONBOARDING_PLATFORM_API_KEY": "sandbox-0123456789abcdefghij",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "ONBOARDING_PLATFORM_API_KEY: is a sandbox key" in done.stderr
    assert "sandbox-0123456789abcdefghij" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
