"""What the defensive contract reader costs, against plain `yaml.safe_load` in the same run.

Run: `.venv/bin/python -m tests.unit.bench_input_reading`. Not a test: it prints medians of
repeated reads of the example contract and of a contract at every cap, read (1) with
PyYAML's `safe_load` (the old reader), (2) with libyaml's `CSafeLoader`, (3) with the
bounded strict reader (`onboarding.yamlfile.parse_mapping`: the event walk, then the
build), and (4) `load_contract` whole (read, parse and validate).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import yaml

from onboarding import limits
from onboarding.problems import load_contract
from onboarding.yamlfile import parse_mapping
from tests.conftest import EXAMPLES

ROUNDS = 200


def _largest() -> str:
    data = yaml.safe_load((EXAMPLES / "contract.yaml").read_text(encoding="utf-8"))
    data["contacts"]["admins"] = [
        {"name": f"Admin Number {i}", "email": f"admin{i}@northwind.example"}
        for i in range(limits.ADMINS_MAX)
    ]
    data["contacts"]["escalation"] = [
        {"name": f"Contact {i}", "email": f"c{i}@northwind.example", "phone": "+1 555 0100"}
        for i in range(limits.ESCALATION_MAX)
    ]
    data["contract"]["features"] = [f"feature_{i}" for i in range(limits.FEATURES_MAX)]
    return yaml.safe_dump(data, sort_keys=False)


def _median_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    today = date(2026, 12, 1)
    with tempfile.TemporaryDirectory() as folder:
        for label, text in (
            ("example contract", (EXAMPLES / "contract.yaml").read_text(encoding="utf-8")),
            ("contract at every cap", _largest()),
        ):
            path = Path(folder) / "contract.yaml"
            path.write_text(text, encoding="utf-8")
            baseline = _median_ms(partial(yaml.safe_load, text))
            rows = {
                "yaml.safe_load (baseline, the old reader)": baseline,
                "yaml.load, CSafeLoader": _median_ms(partial(yaml.load, text, yaml.CSafeLoader)),
                "parse_mapping (bounded, strict)": _median_ms(partial(parse_mapping, text)),
                "load_contract (read + parse + validate)": _median_ms(
                    partial(load_contract, path, today=today)
                ),
            }
            print(f"{label} ({len(text.encode()):,} bytes), median of {ROUNDS} reads:")
            for name, value in rows.items():
                print(f"  {name:<44} {value:7.3f} ms   {value / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
