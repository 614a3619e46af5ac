"""`onboard start` refuses bad input before touching Temporal, and never shows a traceback.

Runs the real CLI (`python -m starter`) as a subprocess, as a user would, with Temporal
pointed at a closed port: any attempt to connect ends in exit code 3, so exit code 1 with
the listed problems proves the refusal came first and nothing could have started.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from codec.keys import new_key_entry
from tests.conftest import EXAMPLES, ROOT

CLOSED = "127.0.0.1:1"
ACTOR = "olivia@localizevideos.example"
UNREACHABLE = "cannot reach Temporal"
KEY_RING = new_key_entry("unit")


def onboard(*args: str | Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    env["TEMPORAL_ADDRESS"] = CLOSED
    env["NO_COLOR"] = "1"
    env["ONBOARDING_CODEC_KEYS"] = KEY_RING
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "starter", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # only a hang trips it: a busy machine is slow, not wrong
        check=False,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def contract_file(tmp_path: Path, data: Any, name: str = "contract.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "contract.yaml").read_text())
    return data


def assert_refused_before_connecting(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stderr
    assert "is refused, nothing was started" in result.stderr
    assert UNREACHABLE not in result.stderr
    assert CLOSED not in result.stderr
    assert result.stdout == ""
    no_traceback(result)


# ------------------------------------------------------------------ refused contracts


def test_invalid_contract_is_refused_with_every_problem(tmp_path: Path) -> None:
    data = example()
    data["tenant"]["id"] = "North_Wind"
    data["contract"]["signed_on"] = (date.today() + timedelta(days=7)).isoformat()
    data["contract"]["seats"] = 0
    del data["data_residency"]["approved_by"]
    data["contacts"]["admins"] = []
    data["contacts"]["escalation"] = []
    del data["security_questionnaire"]["reviewed_by"]
    path = contract_file(tmp_path, data)

    result = onboard("start", path, "--as", ACTOR)

    assert_refused_before_connecting(result)
    assert str(path) in result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problem_lines) == 7
    expected = [
        "tenant.id: ",
        "contract.signed_on: is in the future",
        "contract.seats: ",
        "data_residency.approved_by: is missing",
        "contacts.admins: ",
        "contacts.escalation: ",
        "security_questionnaire: is required but not complete",
    ]
    for text in expected:
        assert any(line.startswith(f"  - {text}") for line in problem_lines), text


def test_brackets_in_file_name_and_problems_are_printed_as_is(tmp_path: Path) -> None:
    """Paths and messages are plain text: `[...]` is not console markup to swallow or choke on."""
    folder = tmp_path / "v[" / "x][red]"  # the full path holds "[/x]", a closing markup tag
    folder.mkdir(parents=True)
    path = folder / "contract[v2].yaml"
    path.write_text('tenant:\n  id: "[/y] [bold]oops\n', encoding="utf-8")  # unclosed quote

    result = onboard("start", path, "--as", ACTOR)

    assert_refused_before_connecting(result)
    assert str(path) in result.stderr
    assert 'id: "[/y] [bold]oops' in result.stderr  # the parser's quote of the bad line


@pytest.mark.parametrize(
    ("content", "where"),
    [
        pytest.param("tenant: [northwind\n", "line ", id="bad-yaml"),
        pytest.param("- a list\n", "(file): is not a YAML mapping", id="not-a-mapping"),
        pytest.param(None, "(file): does not exist", id="missing-file"),
    ],
)
def test_unreadable_contract_is_one_clear_problem(
    tmp_path: Path, content: str | None, where: str
) -> None:
    path = tmp_path / "contract.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    result = onboard("start", path, "--as", ACTOR)

    assert_refused_before_connecting(result)
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problem_lines) == 1
    assert problem_lines[0].startswith(f"  - {where}")


def test_actor_that_is_not_an_email_is_refused_before_connecting() -> None:
    result = onboard("start", EXAMPLES / "contract.yaml", "--as", "olivia")

    assert result.returncode == 1, result.stderr
    assert "refused" in result.stderr
    assert "is not an e-mail address" in result.stderr
    assert UNREACHABLE not in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(("start", EXAMPLES / "contract.yaml"), "Missing option '--as'", id="no-as"),
        pytest.param(("start",), "Missing argument 'CONTRACT'", id="no-contract"),
        pytest.param(("begin", "x"), "No such command 'begin'", id="unknown-command"),
    ],
)
def test_usage_errors_exit_2_without_traceback(args: tuple[str | Path, ...], says: str) -> None:
    result = onboard(*args)

    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert "Usage:" in result.stderr
    no_traceback(result)


# ------------------------------------------------------------- Temporal unreachable


def test_valid_contract_with_temporal_down_says_how_to_start_it(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    made = onboard("keygen", "--as", ACTOR, ONBOARDING_KEY_DIR=str(keys))
    assert made.returncode == 0, made.stderr
    result = onboard(
        "start", EXAMPLES / "contract.yaml", "--as", ACTOR, ONBOARDING_KEY_DIR=str(keys)
    )

    assert result.returncode == 3, result.stderr
    assert f"{UNREACHABLE} at {CLOSED}" in result.stderr
    assert "onboard dev" in result.stderr
    assert "TEMPORAL_ADDRESS" in result.stderr
    assert "started" not in result.stdout
    no_traceback(result)


def test_status_with_temporal_down_exits_3() -> None:
    result = onboard("status", "x")

    assert result.returncode == 3, result.stderr
    assert f"{UNREACHABLE} at {CLOSED}" in result.stderr
    assert "onboard dev" in result.stderr
    no_traceback(result)


def test_invalid_settings_name_each_variable_and_exit_2() -> None:
    result = onboard(
        "status",
        "northwind-studios",
        ONBOARDING_REMIND_EVERY="daily",
        ONBOARDING_HISTORY_BUDGET="5",
    )

    assert result.returncode == 2, result.stderr
    assert "the settings are invalid" in result.stderr
    assert "ONBOARDING_REMIND_EVERY: Input should be a valid timedelta" in result.stderr
    assert "ONBOARDING_HISTORY_BUDGET: Input should be greater than or equal to 100" in (
        result.stderr
    )
    assert UNREACHABLE not in result.stderr  # refused before connecting
    no_traceback(result)


def test_no_payload_key_is_exit_2_naming_the_variable_before_connecting(tmp_path: Path) -> None:
    # Not the helper: it configures a key ring, and this test needs none anywhere.
    env_less = {
        k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "starter", "status", "northwind-studios"],
        cwd=ROOT,
        env={**env_less, "TEMPORAL_ADDRESS": CLOSED, "ONBOARDING_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )

    assert result.returncode == 2, result.stderr
    assert "ONBOARDING_CODEC_KEY_FILE: no payload encryption key is configured" in result.stderr
    assert "ONBOARDING_CODEC_KEYS" in result.stderr
    assert UNREACHABLE not in result.stderr  # refused before connecting
    no_traceback(result)


def test_a_broken_key_ring_is_exit_2_naming_the_variable() -> None:
    result = onboard("status", "northwind-studios", ONBOARDING_CODEC_KEYS="k1:c2hvcnQ=")

    assert result.returncode == 2, result.stderr
    assert "ONBOARDING_CODEC_KEYS: key 'k1' has 5 bytes; AES-256 needs 32" in result.stderr
    no_traceback(result)
