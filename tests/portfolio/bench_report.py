"""`make bench-report`: time `onboard report` over a records store of 1,000 onboardings.

The store is synthesised through `RecordsStore.append` (`tests.portfolio.synth`: the
entries the workflow writes, about 80 per onboarding) into a SQLite file, kept between
runs (`--store`). Each figure is the wall time of a fresh process, as a user runs it,
the median of `--rounds`. The baseline, in the same run, is a process that only reads
every entry of the store (the floor for any report from the records).

    python -m tests.portfolio.bench_report [--count 1000] [--rounds 3] [--store DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from records.db import default_url, make_engine, migrate
from records.store import RecordsStore
from tests.conftest import ROOT
from tests.portfolio.synth import AS_OF, QUARTER, START, synthesise
from tests.records.conftest import RECORDS_KEY

READ_ONLY = """
import sys
from sqlalchemy import select
from records.db import make_engine
from records.models import Entry
engine = make_engine(sys.argv[1])
with engine.connect() as conn:
    rows = conn.execute(select(Entry.kind, Entry.step, Entry.actor, Entry.occurred_at,
                               Entry.payload).order_by(Entry.onboarding_id, Entry.seq)).all()
print(len(rows))
"""


def _store(folder: Path, count: int) -> tuple[str, int]:
    """The store's URL and entry count; synthesised unless it holds `count` already."""
    url = default_url(folder)
    migrate(url)
    engine = make_engine(url)
    store = RecordsStore(engine, RECORDS_KEY)
    have = len(store.tenants())
    if have != count:
        if have:
            raise SystemExit(f"{folder} holds {have} onboardings, not {count}: remove it first")
        began = time.perf_counter()
        made = synthesise(store, count, first_start=START, spread=QUARTER, as_of=AS_OF)
        print(
            f"synthesised {len(made)} onboardings, {sum(m.entries for m in made):,} entries "
            f"in {time.perf_counter() - began:.0f} s",
            flush=True,
        )
    with engine.connect() as conn:
        entries = int(conn.exec_driver_sql("SELECT count(*) FROM entries").scalar_one())
    engine.dispose()
    return url, entries


def _timed(argv: list[str], url: str) -> tuple[float, float]:
    """Return the wall time and the CPU time (user + system) of one fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "ONBOARDING_"))}
    env["ONBOARDING_DATABASE_URL"] = url
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", type=Path, default=ROOT / ".onboarding" / "bench-report")
    args = parser.parse_args()
    url, entries = _store(args.store, args.count)
    size = Path(url.removeprefix("sqlite:///")).stat().st_size / 1e6
    out = args.store / "out"
    out.mkdir(parents=True, exist_ok=True)
    report = [sys.executable, "-m", "starter", "report", "--as-of", AS_OF.isoformat()]
    cases = [
        ("baseline: read every entry", [sys.executable, "-c", READ_ONLY, url]),
        ("onboard report --json", [*report, "--json", "-o", str(out / "r.json")]),
        ("onboard report (Markdown)", [*report, "-o", str(out / "r.md")]),
        ("onboard report --format html", [*report, "--format", "html", "-o", str(out / "r.html")]),
        (
            "onboard report + PNG charts",
            [*report, "-o", str(out / "r2.md"), "--charts", str(out / "images")],
        ),
    ]
    results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in cases}
    for _ in range(args.rounds):  # interleaved, so a busy moment hits every case alike
        for name, argv in cases:
            results[name].append(_timed(argv, url))
    wall = {name: statistics.median(w for w, _ in times) for name, times in results.items()}
    cpu = {name: statistics.median(c for _, c in times) for name, times in results.items()}
    base = cases[0][0]
    slowest = max((k for k in wall if k != base), key=lambda k: wall[k])
    print(
        f"onboard report over {args.count:,} onboardings ({entries:,} entries, SQLite "
        f"{size:.0f} MB), a fresh process each, median of {args.rounds}:"
    )
    print(f"  {'':<34} {'wall':>7} {'cpu':>7}   wall of each round")
    for name, times in results.items():
        runs = ", ".join(f"{w:.1f}" for w, _ in times)
        print(f"  {name:<34} {wall[name]:5.1f} s {cpu[name]:5.1f} s   ({runs})")
    print(
        f"  slowest report / baseline: {wall[slowest] / wall[base]:.1f}x wall, "
        f"{cpu[slowest] / cpu[base]:.1f}x cpu"
    )
    print(f"  every report in under 10 s of CPU: {'yes' if max(cpu.values()) < 10 else 'no'}")
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, load average {load:.1f} at the end"
    )


if __name__ == "__main__":
    main()
