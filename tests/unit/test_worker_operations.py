"""Small pieces of running the worker like production: refused addresses, gauges that
forget label sets, when a gate closed, the build id."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from codec.keys import new_key_entry
from onboarding.status import EnablementRecord, FeedbackRecord, OnboardingStatus, SignOffRecord
from onboarding.steps import StepKey
from worker.collector import closing_time
from worker.metrics import LabelledGauge
from worker.versioning import deployment_config, package_version

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_metrics_address_in_use_is_refused_with_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_")}
        env["ONBOARDING_METRICS_ADDRESS"] = f"127.0.0.1:{port}"
        env["TEMPORAL_ADDRESS"] = "127.0.0.1:1"
        # The settings a worker needs before it gets as far as its metrics.
        env["ONBOARDING_PLATFORM_API_KEY"] = "test-platform-key-0123456789"
        env["ONBOARDING_CODEC_KEYS"] = new_key_entry("test-1")
        done = subprocess.run(
            [sys.executable, "-m", "starter", "worker"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"ONBOARDING_METRICS_ADDRESS: cannot serve metrics on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


class FakeGauge:
    def __init__(self) -> None:
        self.values: dict[tuple[tuple[str, str], ...], int] = {}

    def set(self, value: int, attributes: dict[str, Any] | None = None) -> None:
        self.values[tuple(sorted((attributes or {}).items()))] = value


def test_a_label_set_that_disappears_goes_back_to_zero() -> None:
    fake = FakeGauge()
    gauge = LabelledGauge(fake)  # type: ignore[arg-type]
    waiting = (("gate", "owner-assignment"),)
    blocked = (("gate", "sign-off:customer"),)

    gauge.publish({waiting: 2, blocked: 1})
    gauge.publish({blocked: 3})

    assert fake.values == {waiting: 0, blocked: 3}


def test_closing_time_is_when_the_closing_input_was_recorded() -> None:
    status = OnboardingStatus(tenant_id="t", tenant_name="T", workflow_id="onboarding-t")
    status.sign_offs.append(SignOffRecord(gate="customer", by="a@b.example", at=AT))
    status.enablement.append(
        EnablementRecord(item="walkthrough", evidence="https://e", by="o@l.example", at=AT)
    )
    status.feedback.append(FeedbackRecord(by="a@b.example", at=AT, text="good"))
    status.step(StepKey.INTERNAL_READINESS).completed_at = AT + timedelta(seconds=1)

    assert closing_time(status, "sign-off:customer") == AT
    assert closing_time(status, "enablement:walkthrough") == AT
    assert closing_time(status, "review-feedback") == AT
    assert closing_time(status, "owner-assignment") == AT + timedelta(seconds=1)
    assert closing_time(status, "sign-off:support") is None


def test_versioning_is_off_without_a_deployment_name_and_auto_upgrade_with_one() -> None:
    assert deployment_config(None) is None
    config = deployment_config("onboarding")
    assert config is not None and config.use_worker_versioning
    assert config.version.build_id == package_version() != "0.0.0+source"
    assert config.default_versioning_behavior.name == "AUTO_UPGRADE"
