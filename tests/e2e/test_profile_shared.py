"""One temporal CLI profile serves `onboard`, the worker and `temporal`: against a real
dev server, in a namespace only the profile names, with no TEMPORAL_ADDRESS anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboarding import search
from starter.devstack import DevStack, Ports, temporal_binary
from tests.conftest import EXAMPLES
from tests.e2e.stack import OWNER, new_tenant, write_contract

pytestmark = pytest.mark.e2e

NAMESPACE = "profiles"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = DevStack(
        tmp_path_factory.mktemp("profile"), EXAMPLES / "roster.yaml", Ports.free(), demo_keys=True
    )
    stack.data_dir.mkdir(parents=True, exist_ok=True)
    (stack.data_dir / "logs").mkdir(exist_ok=True)
    stack.start_temporal()
    try:
        yield stack
    finally:
        stack.stop()


def _env(profile_file: Path, stack: DevStack) -> dict[str, str]:
    """No Temporal setting but the profile; the stack's signing and payload keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    return env | {
        **stack.keys.client_env(),
        "ONBOARDING_CODEC_KEY_FILE": str(stack.secrets.key_file),
        "TEMPORAL_CONFIG_FILE": str(profile_file),
        "TEMPORAL_PROFILE": "staging",
    }


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done


def test_onboard_and_temporal_share_one_profile(server: DevStack, tmp_path: Path) -> None:
    profile = tmp_path / "temporal.toml"
    profile.write_text(
        f'[profile.default]\naddress = "127.0.0.1:1"\n\n'
        f'[profile.staging]\naddress = "{server.temporal_address}"\nnamespace = "{NAMESPACE}"\n'
    )
    env = _env(profile, server)
    temporal = temporal_binary()
    # The CLI creates the namespace and its search attributes, from the profile alone.
    _run([temporal, "operator", "namespace", "create", "--namespace", NAMESPACE], env)
    attributes = [a for k, t in search.CLI_TYPES.items() for a in ("--name", k.name, "--type", t)]
    _run([temporal, "operator", "search-attribute", "create", *attributes], env)

    tenant = new_tenant("profile")
    contract = write_contract(tmp_path, tenant)
    onboard = [sys.executable, "-m", "starter"]
    _run([*onboard, "start", str(contract), "--as", OWNER], env)

    listed = json.loads(_run([*onboard, "list", "--json"], env).stdout)
    assert [row["tenant_id"] for row in listed] == [tenant]
    seen = _run([temporal, "workflow", "list", "--output", "json"], env).stdout
    assert f"onboarding-{tenant}" in seen
    # The default profile points elsewhere: the profile, not a default, was used.
    default = {**env, "TEMPORAL_PROFILE": "default"}
    refused = subprocess.run(
        [*onboard, "list"], env=default, capture_output=True, text=True, timeout=60, check=False
    )
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "127.0.0.1:1" in refused.stderr
