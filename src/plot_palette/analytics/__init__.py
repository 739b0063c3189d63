"""Cost analytics: a user's spend over 7, 30 or 90 days by day, week, model and template.

One paginated Query on the Jobs table's ``user-id-index`` per report (never a request per
job), then exact ``Decimal`` sums in memory::

    report = cost_report(JobCostReader(dynamodb, jobs_table), user_id, days=30)
"""

from __future__ import annotations

from datetime import date

from plot_palette.analytics.reader import JobCost, JobCostReader, job_cost
from plot_palette.analytics.report import (
    JUDGE,
    UNATTRIBUTED,
    CostReport,
    Efficiency,
    Spend,
    build_report,
    model_split,
)
from plot_palette.analytics.window import ALLOWED_DAYS, AnalyticsWindowError, Window, iso_week


def cost_report(
    reader: JobCostReader, user_id: str, days: int, today: date | None = None
) -> CostReport:
    """The user's spend over the last ``days`` days (7, 30 or 90), today (UTC) included."""
    window = Window.ending(days, today)
    return build_report(reader.jobs(user_id, window), window)


__all__ = [
    "ALLOWED_DAYS",
    "JUDGE",
    "UNATTRIBUTED",
    "AnalyticsWindowError",
    "CostReport",
    "Efficiency",
    "JobCost",
    "JobCostReader",
    "Spend",
    "Window",
    "build_report",
    "cost_report",
    "iso_week",
    "job_cost",
    "model_split",
]
