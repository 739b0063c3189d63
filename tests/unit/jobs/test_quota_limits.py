"""Quota limits from the environment, the periods a submission reserves against, per-job checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from plot_palette.jobs.quotas import Periods, QuotaExceededError, QuotaLimits, QuotaStore


def test_limits_come_from_the_variables_the_stacks_set_and_default_otherwise() -> None:
    limits = QuotaLimits.from_env(
        {"QUOTA_JOBS_QUEUED": "5.0", "QUOTA_SPEND_PER_DAY_USD": "12.5", "UNRELATED": "x"}
    )
    assert limits == QuotaLimits(jobs_queued=5, spend_per_day_usd=12.5)
    assert isinstance(limits.jobs_queued, int)
    assert QuotaLimits.from_env({}) == QuotaLimits()


def test_periods_are_the_utc_day_and_month() -> None:
    late_in_new_york = datetime(2026, 12, 31, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert Periods.at(late_in_new_york) == Periods(day="2027-01-01", month="2027-01")
    assert Periods.at(datetime(2026, 12, 8, tzinfo=UTC)) == Periods("2026-12-08", "2026-12")


def test_the_per_job_quotas_name_themselves_and_the_figures() -> None:
    store = QuotaStore(
        None, "Quotas", "Jobs", QuotaLimits(records_per_job=10, budget_per_job_usd=1)
    )
    store.check_job(10, 1.0)  # at the limits: allowed
    with pytest.raises(QuotaExceededError, match=r"QuotaRecordsPerJob: .* at most 10 records"):
        store.check_job(11, 1.0)
    with pytest.raises(QuotaExceededError, match=r"QuotaBudgetPerJobUsd: .* \$1.00; .* \$1.50"):
        store.check_job(10, 1.5)
