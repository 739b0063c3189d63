"""Spend by day, ISO week, model and template, and how well budgets were used.

Everything is computed in memory from the jobs one Query returned (``reader.py``); sums are
``Decimal`` so a report of thousands of jobs adds up to the cent exactly as their items do.
A job's spend is attributed to the day it was submitted (``created_at``): the index the Query
reads is sorted by it, and jobs run for minutes, not days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from plot_palette.analytics.reader import ZERO, JobCost
from plot_palette.analytics.window import iso_week
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from plot_palette.analytics.window import Window

# Spend a job item cannot split by model: jobs that ran before the split was recorded, a lease
# of the spend ledger still open, or a dead worker's lease counted as spent (budget/ledger.py).
UNATTRIBUTED = "unattributed"
# The judge's cost when the quality report does not name its model.
JUDGE = "judge"
_FINAL = frozenset(status.value for status in FINAL_STATUSES)
_RATIO = Decimal("0.000001")


@dataclass
class Spend:
    """Spend of one group (a day, a week, a model, a template) and how many jobs made it."""

    key: str
    spend_usd: Decimal = ZERO
    jobs: int = 0
    records: int = 0


@dataclass(frozen=True)
class Efficiency:
    """How budgets were used.

    ``budget_used`` is spent / budgeted over finished jobs only (a running job's budget is not
    spent yet); records per dollar and cost per record count every job in the window.
    """

    finished_jobs: int
    budgeted_usd: Decimal
    spent_usd: Decimal
    budget_used: Decimal | None
    records_per_usd: Decimal | None
    cost_per_record_usd: Decimal | None
    budget_exceeded_jobs: int
    budget_exceeded_share: Decimal | None


@dataclass(frozen=True)
class CostReport:
    """A user's spend over a window."""

    days: int
    first_day: date
    last_day: date
    spend_usd: Decimal
    jobs: int
    records: int
    by_day: list[Spend]
    by_week: list[Spend]
    by_model: list[Spend]
    by_template: list[Spend]
    efficiency: Efficiency
    jobs_by_status: dict[str, int] = field(default_factory=dict)


def model_split(job: JobCost) -> dict[str, Decimal]:
    """A job's spend by model: settled calls by model, the judge's cost, and what neither explains.

    The parts always add up to the job's ``cost_usd``, so the by-model table adds up to the
    total.
    """
    split: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for model, cost in job.cost_by_model.items():
        split[model] += cost
    if job.judge_cost_usd:
        split[job.judge_model or JUDGE] += job.judge_cost_usd
    rest = job.cost_usd - sum(split.values(), ZERO)
    if rest:
        split[UNATTRIBUTED] += rest
    return {model: cost for model, cost in split.items() if cost}


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator).quantize(_RATIO)


def _add(groups: dict[str, Spend], key: str, spend: Decimal, records: int) -> None:
    group = groups.setdefault(key, Spend(key))
    group.spend_usd += spend
    group.jobs += 1
    group.records += records


def _ranked(groups: dict[str, Spend]) -> list[Spend]:
    """Biggest spend first; ties by name so the order is stable."""
    return sorted(groups.values(), key=lambda group: (-group.spend_usd, group.key))


def build_report(jobs: Iterable[JobCost], window: Window) -> CostReport:
    """Aggregate the jobs of a window (days and weeks with no spend are zeros)."""
    by_day = {day.isoformat(): Spend(day.isoformat()) for day in window.dates()}
    by_week = {week: Spend(week) for week in window.weeks()}
    by_model: dict[str, Spend] = {}
    by_template: dict[str, Spend] = {}
    statuses: dict[str, int] = defaultdict(int)
    total, records, count = ZERO, 0, 0
    finished, budgeted, spent_finished, exceeded = 0, ZERO, ZERO, 0
    for job in jobs:
        day = job.created_at[:10]
        if day not in by_day:  # outside the window: the Query's key condition should prevent it
            continue
        count += 1
        total += job.cost_usd
        records += job.records
        statuses[job.status] += 1
        _add(by_day, day, job.cost_usd, job.records)
        _add(by_week, iso_week(date.fromisoformat(day)), job.cost_usd, job.records)
        _add(by_template, job.template_id, job.cost_usd, job.records)
        for model, cost in model_split(job).items():
            _add(by_model, model, cost, 0)
        if job.status in _FINAL:
            finished += 1
            budgeted += job.budget_usd
            spent_finished += job.cost_usd
            exceeded += job.status == JobStatus.BUDGET_EXCEEDED.value
    efficiency = Efficiency(
        finished_jobs=finished,
        budgeted_usd=budgeted,
        spent_usd=spent_finished,
        budget_used=_ratio(spent_finished, budgeted),
        records_per_usd=_ratio(Decimal(records), total),
        cost_per_record_usd=(total / records).quantize(Decimal("1E-10")) if records else None,
        budget_exceeded_jobs=exceeded,
        budget_exceeded_share=_ratio(Decimal(exceeded), Decimal(finished)),
    )
    return CostReport(
        days=window.days,
        first_day=window.first_day,
        last_day=window.last_day,
        spend_usd=total,
        jobs=count,
        records=records,
        by_day=list(by_day.values()),
        by_week=list(by_week.values()),
        by_model=_ranked(by_model),
        by_template=_ranked(by_template),
        efficiency=efficiency,
        jobs_by_status=dict(sorted(statuses.items())),
    )
