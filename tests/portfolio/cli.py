"""Run `onboard report` as a user would: the real CLI in a subprocess, over one store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT


def onboard_report(
    database_url: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `onboard report ARGS` against the records store at `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    env["ONBOARDING_DATABASE_URL"] = database_url
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "starter", "report", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def report_json(database_url: str, *args: str) -> dict[str, Any]:
    """Return the JSON report; the command must exit 0 without a traceback."""
    done = onboard_report(database_url, "--json", *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report
