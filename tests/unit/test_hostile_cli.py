"""The issue's hostile contracts and settings, through the real CLI: exit codes, no traceback.

`onboard start` runs as a subprocess with Temporal pointed at a closed port, so exit 1
with the listed problem proves the refusal came before any connection (exit 3).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT

ACTOR = "olivia@localizevideos.example"
EXAMPLE = (EXAMPLES / "contract.yaml").read_text(encoding="utf-8")


def onboard(*args: str | Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    done = subprocess.run(
        [sys.executable, "-m", "starter", *map(str, args)],
        cwd=ROOT,
        env={**env, "TEMPORAL_ADDRESS": "127.0.0.1:1", "NO_COLOR": "1", **variables},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def replaced(old: str, new: str) -> str:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new)


HOSTILE = [
    ("deeply nested flow", "tenant: " + "[" * 20_000 + "]" * 20_000, "line 1"),
    ("nested flow 11 deep", "tenant: " + "[" * 11 + "]" * 11, "more than 10 levels deep"),
    ("deeply nested blocks", "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  x", "line "),
    ("a second tenant block", EXAMPLE + "tenant:\n  id: other-one\n  name: Other\n", "line "),
    ("seats: true", replaced("seats: 120", "seats: true"), "contract.seats"),
    ("10^30 seats", replaced("seats: 120", "seats: " + "1" + "0" * 30), "contract.seats"),
    ("signed in year 1", replaced("signed_on: 2026-11-20", "signed_on: 0001-01-01"), "signed_on"),
    (
        "approved in 9999",
        replaced("approved_on: 2026-11-18", "approved_on: 9999-12-31"),
        "approved_on",
    ),
    ("required: yes", replaced("required: true", 'required: "yes"'), "required"),
    (
        "a region with a newline",
        replaced("region: eu-central", 'region: "eu-central\\n# ok"'),
        "region",
    ),
    ("ANSI in a name", replaced("name: Northwind Studios", 'name: "N\\e[31mW"'), "tenant.name"),
    ("a billion laughs", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "line "),
    ("a 1 MB phone number", replaced('"+1 555 0100"', '"' + "5" * 1_000_000 + '"'), "(file)"),
]


@pytest.mark.parametrize(("text", "where"), [pytest.param(*c[1:], id=c[0]) for c in HOSTILE])
def test_each_hostile_contract_is_refused_before_connecting(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")

    done = onboard("start", path, "--as", ACTOR)

    assert done.returncode == 1, done.stderr
    assert "is refused, nothing was started" in done.stderr
    assert (
        f"  - {where}" in done.stderr
        or f"  - contract.{where}" in done.stderr
        or any(line.startswith("  - ") and where in line for line in done.stderr.splitlines())
    )
    assert "cannot reach Temporal" not in done.stderr


def test_twenty_thousand_features_are_refused_by_size(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE)
    data["contract"]["features"] = [f"feature_{i}" for i in range(20_000)]
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = onboard("start", path, "--as", ACTOR)
    assert done.returncode == 1 and "(file): is larger than 64 KiB" in done.stderr


def test_a_problem_quoting_escape_sequences_prints_them_inert(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text('tenant:\n  id: "\\e[2J\\e[31mok\n', encoding="utf-8")  # unclosed quote
    done = onboard("start", path, "--as", ACTOR)
    assert done.returncode == 1 and "\x1b" not in done.stderr


@pytest.mark.parametrize(
    ("variables", "words"),
    [
        (
            {"ONBOARDING_DATABASE_URL": "mysql://root@db/records"},
            "ONBOARDING_DATABASE_URL: uses mysql",
        ),
        (
            {"ONBOARDING_DATABASE_URL": "::not a url::"},
            "ONBOARDING_DATABASE_URL: is not a database URL",
        ),
        (
            {"ONBOARDING_PLATFORM_URL": "https://platform.example"},
            "ONBOARDING_PLATFORM_API_KEY: is not set",
        ),
    ],
)
def test_the_worker_stops_on_settings_that_cannot_work(
    tmp_path: Path, variables: dict[str, str], words: str
) -> None:
    done = onboard("worker", ONBOARDING_DATA_DIR=str(tmp_path), **variables)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr
