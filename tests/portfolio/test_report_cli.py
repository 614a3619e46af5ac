"""`onboard report` as a user runs it: filters, formats, refusals with their exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from records.db import default_url, make_engine, migrate
from records.store import RecordsStore
from tests.portfolio.cli import onboard_report, report_json
from tests.portfolio.synth import AS_OF, QUARTER, START, synthesise
from tests.records.conftest import RECORDS_KEY

HOSTILE = "<script>alert(1)</script> | [x](javascript:alert(1))"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Twenty synthetic onboardings over Q3 2026, and one with a hostile name."""
    url = default_url(tmp_path_factory.mktemp("report") / "data")
    migrate(url)
    engine = make_engine(url)
    store = RecordsStore(engine, RECORDS_KEY)
    synthesise(store, 20, first_start=START, spread=QUARTER, as_of=AS_OF)
    contract = {
        "tenant": {"id": "zz-hostile", "name": HOSTILE},
        "contract": {"sla_tier": "premium"},
    }
    store.ensure_onboarding("zz-hostile", "onboarding-zz-hostile", contract, AS_OF, "o@lv.example")
    store.append(
        "zz-hostile", "step_started", "pre_onboarding", "system", AS_OF, {"run": 1}, "zz:1"
    )
    engine.dispose()
    return url


def test_filters_select_by_tier_region_owner_state_and_period(store_url: str) -> None:
    every = report_json(store_url, "--as-of", AS_OF.isoformat())
    assert every["onboardings"] == 21
    rows = every["rows"]
    enterprise = report_json(store_url, "--tier", "enterprise", "--as-of", AS_OF.isoformat())
    assert {r["tenant_id"] for r in enterprise["rows"]} == {
        r["tenant_id"] for r in rows if r["tier"] == "enterprise"
    }
    two = report_json(store_url, "--region", "eu-central", "--region", "us-east")
    assert {r["region"] for r in two["rows"]} <= {"eu-central", "us-east"}
    assert two["onboardings"] == sum(r["region"] in ("eu-central", "us-east") for r in rows)
    owner = rows[0]["owner"]
    mine = report_json(store_url, "--owner", owner.upper())
    assert mine["onboardings"] == sum(r["owner"] == owner for r in rows)
    open_ones = report_json(store_url, "--state", "open", "--as-of", AS_OF.isoformat())
    assert all(r["state"] in ("running", "waiting", "blocked") for r in open_ones["rows"])
    assert open_ones["load"]["open"] == open_ones["onboardings"]
    q3 = report_json(store_url, "--period", "2026-Q3")
    assert q3["onboardings"] == 20  # the hostile one started in October
    assert q3["filters"]["started_from"] == "2026-07-01"
    assert report_json(store_url, "--period", "2025")["onboardings"] == 0


def test_markdown_has_the_gantt_and_html_the_charts_inline_escaped(
    store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "report.md"
    out.parent.mkdir()
    done = onboard_report(store_url, "-o", str(out), "--charts", str(tmp_path / "img"))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "```mermaid\ngantt" in text and "](../img/time-to-value.png)" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    for name in ("time-to-value", "waits-by-party", "open-onboardings"):
        assert (tmp_path / "img" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    html = onboard_report(store_url, "--format", "html")
    assert html.returncode == 0, html.stderr
    assert html.stdout.count("<svg") == 3 and "<script>" not in html.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.stdout
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.stdout)  # nothing to fetch


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--period", "last quarter"], "period 'last quarter' is not understood"),
        (["--period", "2026-12-31..2026-01-01"], "ends before it starts"),
        (["--tier", "gold"], "--tier 'gold' is not one of"),
        (["--state", "stuck"], "state 'stuck' is not one of"),
        (["--as-of", "yesterday"], "is not an ISO 8601 time"),
        (["--owner", "x" * 300], "--owner: give at most"),
        (["--format", "pdf"], "pdf"),
    ],
)
def test_bad_options_are_refused_with_exit_2_and_no_traceback(
    store_url: str, args: list[str], says: str
) -> None:
    done = onboard_report(store_url, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert says in done.stderr and "Traceback" not in done.stderr


def test_a_missing_store_exits_3_and_an_unwritable_output_exits_2(
    store_url: str, tmp_path: Path
) -> None:
    missing = onboard_report(default_url(tmp_path / "nowhere"))
    assert missing.returncode == 3 and "no records store" in missing.stderr
    unwritable = onboard_report(store_url, "-o", str(tmp_path / "no" / "such" / "dir" / "r.md"))
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr
    assert "Traceback" not in missing.stderr + unwritable.stderr
