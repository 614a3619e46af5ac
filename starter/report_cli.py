"""`onboard report`: the portfolio report over every onboarding in the records store.

Like `onboard export`, it needs only the records store (ONBOARDING_DATABASE_URL, or the
SQLite file in ONBOARDING_DATA_DIR), not Temporal. docs/report.md explains the figures.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from onboarding.contract import SlaTier
from onboarding.problems import InputFileError, load_roster
from onboarding.roster import Roster
from portfolio.filters import FilterError, make_filters
from portfolio.model import Filters, Report
from starter.errors import CliError, ExitCode
from starter.records_cli import open_store
from worker.config import Settings, load_settings

MAX_FILTER_VALUES = 20
MAX_FILTER_TEXT = 254


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"
    JSON = "json"


def report(
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="md, html (charts inline) or json.")
    ] = ReportFormat.MD,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    charts_dir: Annotated[
        Path | None,
        typer.Option("--charts", help="Also write the charts as PNG files into DIR."),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="Onboardings started in 2026, 2026-Q4, 2026-11 or FROM..TO dates."),
    ] = None,
    tier: Annotated[list[str] | None, typer.Option(help="SLA tier (repeat for several).")] = None,
    region: Annotated[list[str] | None, typer.Option(help="Data residency region.")] = None,
    owner: Annotated[
        list[str] | None, typer.Option(help="Owner e-mail, or `none` for unassigned.")
    ] = None,
    state: Annotated[
        list[str] | None,
        typer.Option(help="running, waiting, blocked, live, completed, failed, or open."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Measure open waits up to this ISO 8601 time (default now)."),
    ] = None,
    roster_file: Annotated[
        Path | None,
        typer.Option(
            "--roster", help="Staff roster naming who is due (default ONBOARDING_ROSTER_FILE)."
        ),
    ] = None,
) -> None:
    """Report on every onboarding: time to value, where the time goes, SLA, quality, load."""
    chosen = ReportFormat.JSON if as_json else fmt
    filters = _filters(period, tier, region, owner, state)
    moment = _as_of(as_of)
    settings = load_settings(Settings)
    roster = _roster(roster_file or settings.roster_file, explicit=roster_file is not None)
    built = _build(settings, filters, moment, roster)
    text = _render(built, chosen, output, charts_dir)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}", ExitCode.USAGE) from None
    typer.echo(f"wrote {chosen.value} report of {built.onboardings} onboardings to {output}")


def _filters(
    period: str | None,
    tiers: list[str] | None,
    regions: list[str] | None,
    owners: list[str] | None,
    states: list[str] | None,
) -> Filters:
    for name, values in (("tier", tiers), ("region", regions), ("owner", owners)):
        values = values or []
        if len(values) > MAX_FILTER_VALUES or any(
            not v.strip() or len(v) > MAX_FILTER_TEXT for v in values
        ):
            raise CliError(
                f"--{name}: give at most {MAX_FILTER_VALUES} values of 1-{MAX_FILTER_TEXT} "
                "characters",
                ExitCode.USAGE,
            )
    known = {t.value for t in SlaTier}
    for value in tiers or []:
        if value.strip().lower() not in known:
            raise CliError(
                f"--tier {value[:40]!r} is not one of {', '.join(sorted(known))}", ExitCode.USAGE
            )
    try:
        return make_filters(period, tiers or [], regions or [], owners or [], states or [])
    except FilterError as exc:
        raise CliError(str(exc), ExitCode.USAGE) from None


def _as_of(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip()[:40])
    except ValueError:
        raise CliError(
            f"--as-of {text[:40]!r} is not an ISO 8601 time, e.g. 2026-12-01T09:00Z",
            ExitCode.USAGE,
        ) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _roster(path: Path, *, explicit: bool) -> Roster | None:
    """The roster names who is due at staff gates; without one they are listed by role."""
    if not explicit and not path.exists():
        return None
    try:
        return load_roster(path)
    except InputFileError as exc:
        raise CliError(
            f"the roster {path} is refused", ExitCode.USAGE, details=[str(p) for p in exc.problems]
        ) from None


def _build(settings: Settings, filters: Filters, as_of: datetime, roster: Roster | None) -> Report:
    from portfolio.report import portfolio_report

    with open_store(settings) as store:
        return portfolio_report(store, filters, as_of, roster)


def _render(built: Report, fmt: ReportFormat, output: Path | None, charts_dir: Path | None) -> str:
    if fmt is not ReportFormat.HTML and charts_dir is None:  # no picture to draw
        if fmt is ReportFormat.JSON:
            return built.model_dump_json(indent=2) + "\n"
        from portfolio.markdown import render_markdown

        return render_markdown(built)
    from portfolio.charts import charts

    drawn = charts(built)
    images: dict[str, str] = {}
    if charts_dir is not None:
        try:
            charts_dir.mkdir(parents=True, exist_ok=True)
            for chart in drawn:
                path = charts_dir / f"{chart.name}.png"
                path.write_bytes(chart.png())
                base = output.resolve().parent if output is not None else Path.cwd()
                images[chart.name] = Path(os.path.relpath(path.resolve(), base)).as_posix()
        except OSError as exc:
            raise CliError(
                f"cannot write charts to {charts_dir}: {exc.strerror}", ExitCode.USAGE
            ) from None
    if fmt is ReportFormat.JSON:
        return built.model_dump_json(indent=2) + "\n"
    if fmt is ReportFormat.HTML:
        from portfolio.html import render_html

        return render_html(built, drawn)
    from portfolio.markdown import render_markdown

    return render_markdown(built, images)
