"""Response body of ``GET /analytics/costs``.

Amounts are summed exactly (``Decimal``) and sent as JSON numbers: a job's cost has at most
10 decimal places, which a double carries without loss.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from plot_palette.analytics import CostReport, Spend


class SpendRow(BaseModel):
    """One group's spend: a day (``YYYY-MM-DD``), an ISO week (``YYYY-Www``), a model or a
    template."""

    key: str
    spend_usd: float
    jobs: int
    records: int = Field(description="Records generated (0 in the by-model table).")


class BudgetEfficiency(BaseModel):
    """How budgets were used over the window."""

    finished_jobs: int
    budgeted_usd: float = Field(description="Sum of the budgets of finished jobs.")
    spent_usd: float = Field(description="What finished jobs spent.")
    budget_used: float | None = Field(description="spent_usd / budgeted_usd, 0..1.")
    records_per_usd: float | None
    cost_per_record_usd: float | None
    budget_exceeded_jobs: int
    budget_exceeded_share: float | None = Field(
        description="Share of finished jobs that stopped at their budget."
    )


class CostAnalytics(BaseModel):
    """The caller's spend over the last ``days`` days (UTC), by day, week, model and
    template. A job counts on the day it was submitted."""

    days: int
    first_day: str
    last_day: str
    spend_usd: float
    jobs: int
    records: int
    by_day: list[SpendRow] = Field(description="Every day of the window, zeros included.")
    by_week: list[SpendRow] = Field(description="Every ISO week the window touches.")
    by_model: list[SpendRow] = Field(description="Biggest first; adds up to spend_usd.")
    by_template: list[SpendRow] = Field(description="Biggest first.")
    efficiency: BudgetEfficiency
    jobs_by_status: dict[str, int]

    @classmethod
    def of(cls, report: CostReport) -> CostAnalytics:
        """The API's view of a report."""

        def rows(groups: list[Spend]) -> list[SpendRow]:
            return [
                SpendRow(
                    key=group.key,
                    spend_usd=float(group.spend_usd),
                    jobs=group.jobs,
                    records=group.records,
                )
                for group in groups
            ]

        efficiency = report.efficiency
        return cls(
            days=report.days,
            first_day=report.first_day.isoformat(),
            last_day=report.last_day.isoformat(),
            spend_usd=float(report.spend_usd),
            jobs=report.jobs,
            records=report.records,
            by_day=rows(report.by_day),
            by_week=rows(report.by_week),
            by_model=rows(report.by_model),
            by_template=rows(report.by_template),
            efficiency=BudgetEfficiency(
                finished_jobs=efficiency.finished_jobs,
                budgeted_usd=float(efficiency.budgeted_usd),
                spent_usd=float(efficiency.spent_usd),
                budget_used=_maybe(efficiency.budget_used),
                records_per_usd=_maybe(efficiency.records_per_usd),
                cost_per_record_usd=_maybe(efficiency.cost_per_record_usd),
                budget_exceeded_jobs=efficiency.budget_exceeded_jobs,
                budget_exceeded_share=_maybe(efficiency.budget_exceeded_share),
            ),
            jobs_by_status=report.jobs_by_status,
        )


def _maybe(value: object) -> float | None:
    return None if value is None else float(str(value))
