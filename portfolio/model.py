"""The portfolio report as a typed model: what `onboard report --json` prints.

Durations are in days (floats, to a thousandth) unless a field says seconds. Times are
ISO 8601 in UTC. docs/report.md explains every figure.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

FORMAT = "localizevideos-portfolio-report/1"
"""Name and version of the report's JSON layout."""


class Filters(BaseModel):
    """Which onboardings the report covers (all when a filter is empty)."""

    period: str | None = None
    """As given, e.g. `2026-Q4`; the onboardings that started in it."""
    started_from: date | None = None
    started_before: date | None = None
    tiers: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)
    states: list[str] = Field(default_factory=list)


class Distribution(BaseModel):
    """A set of durations in days."""

    count: int
    median_days: float | None = None
    p90_days: float | None = None
    mean_days: float | None = None
    min_days: float | None = None
    max_days: float | None = None


class TimeToValueGroup(BaseModel):
    """Time to value of one group (a tier, a go-live month)."""

    group: str
    signed_to_live: Distribution
    """Contract signed (00:00 UTC of `signed_on`) to the recorded go-live."""
    start_to_live: Distribution
    """Onboarding started (the record opened) to the recorded go-live."""


class Trend(BaseModel):
    """How the monthly median start-to-live moved over the months in the report."""

    first_month: str | None = None
    last_month: str | None = None
    first_median_days: float | None = None
    last_median_days: float | None = None
    change_days: float | None = None
    """Last month's median minus the first's: negative is faster."""
    direction: str = "flat"
    """`faster`, `slower` or `flat` (within half a day), or `unknown` with under 2 months."""


class TimeToValue(BaseModel):
    live: int
    """Onboardings that went live."""
    signed_to_live: Distribution
    start_to_live: Distribution
    by_tier: list[TimeToValueGroup]
    by_month: list[TimeToValueGroup]
    """Grouped by the month of go-live (UTC)."""
    trend: Trend


class StepTime(BaseModel):
    """Where one step's time went, over the onboardings that started it."""

    step: str
    title: str
    onboardings: int
    """Onboardings that started this step."""
    finished: int
    median_duration_days: float | None
    """Median first start to final finish, of the onboardings that finished it."""
    machine_days: float
    """Total time the workflow worked (activities, checks) in this step."""
    wait_days: dict[str, float]
    """Total waiting time in this step per party (see `Party`)."""
    mean_machine_days: float
    mean_wait_days: dict[str, float]
    """Per onboarding that started the step."""


class OnboardingRow(BaseModel):
    """One onboarding's figures."""

    tenant_id: str
    tenant_name: str
    tier: str
    region: str
    owner: str | None
    state: str
    current_step: str | None
    started_at: datetime
    go_live_at: datetime | None
    signed_to_live_days: float | None
    start_to_live_days: float | None
    machine_days: float
    total_wait_days: float
    wait_days: dict[str, float]
    total_wait_seconds: float
    """Every wait and block, to the microsecond."""
    wait_seconds: dict[str, float]
    """The same, attributed per party: the values add up to `total_wait_seconds`."""
    blocks: int
    deviations: int
    runs: int
    """Workflow runs (continue-as-new hands over to a new run)."""


class GateStat(BaseModel):
    """One gate across the portfolio: deadlines kept, chasing needed, time open."""

    gate: str
    party: str
    opened: int
    closed: int
    closed_on_time: int
    """Closed by the deadline in force when it closed."""
    on_time_share: float | None
    """`closed_on_time / closed`."""
    median_open_days: float | None
    p90_open_days: float | None
    reminders: int
    escalations: int
    needed_reminder: int
    """Gate instances that needed at least one reminder."""
    needed_escalation: int
    deadline_moves: int
    open_now: int
    overdue_now: int


class SlowGate(BaseModel):
    tenant_id: str
    gate: str
    party: str
    opened_at: datetime
    closed_at: datetime | None
    open_days: float
    due_at: datetime | None
    late_days: float | None
    """How long after its deadline it closed (or is still open); `None` if on time."""
    reminders: int
    escalations: int


class CheckStat(BaseModel):
    """A check that blocked its step."""

    check: str
    step: str
    blocks: int
    onboardings: int
    median_blocked_days: float | None
    waived: int
    """Blocks that ended with an approved deviation rather than a retry."""


class DeviationRow(BaseModel):
    tenant_id: str
    id: str
    step: str | None
    check: str | None
    reason: str | None
    requested_by: str | None
    requested_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    outcome: str
    decision_hours: float | None


class FindingStat(BaseModel):
    code: str
    severity: str
    count: int


class Quality(BaseModel):
    blocking_checks: list[CheckStat]
    deviations_granted: list[DeviationRow]
    deviations_rejected: int
    deviations_pending: int
    reviews_documented: int
    reviews_with_findings: int
    """Documented reviews whose record carries the findings."""
    findings: list[FindingStat]


class OwnerLoad(BaseModel):
    owner: str
    """An e-mail, or `(unassigned)`."""
    open: int
    waiting: int
    blocked: int
    running: int
    live: int
    """Live, with the post-onboarding review still to come."""
    overdue_gates: int


class DueGate(BaseModel):
    tenant_id: str
    gate: str
    due_at: datetime | None
    overdue: bool


class PersonDue(BaseModel):
    person: str
    """An e-mail, or a role such as `role:platform_approver` when no roster was given."""
    due: int
    """Gates due within the window (overdue ones included)."""
    overdue: int
    gates: list[DueGate]


class BlockedRow(BaseModel):
    tenant_id: str
    owner: str | None
    step: str
    checks: list[str]
    since: datetime
    blocked_days: float
    deviation_pending: bool


class ForecastRow(BaseModel):
    tenant_id: str
    owner: str | None
    state: str
    current_step: str | None
    started_at: datetime
    steps_left: list[str]
    remaining_days: float | None
    forecast_go_live: datetime | None
    """`as_of` plus the medians of the steps left (the current one less its time so far);
    `None` while some step left has no finished example to take a median from."""


class Load(BaseModel):
    window_days: int
    open: int
    by_owner: list[OwnerLoad]
    due_by_person: list[PersonDue]
    blocked: list[BlockedRow]
    forecasts: list[ForecastRow]


class Report(BaseModel):
    """The portfolio report over the records store."""

    format: str = FORMAT
    as_of: datetime
    """Open waits, gates and blocks are measured up to this time."""
    filters: Filters
    onboardings: int
    states: dict[str, int]
    time_to_value: TimeToValue
    where_time_goes: list[StepTime]
    wait_days_by_party: dict[str, float]
    """The portfolio's total waiting time per party."""
    gates: list[GateStat]
    slowest_gates: list[SlowGate]
    quality: Quality
    load: Load
    rows: list[OnboardingRow]
