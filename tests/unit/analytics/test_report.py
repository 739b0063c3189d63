"""Cost aggregation: windows, zero days, ISO weeks, model split, efficiency, exact sums."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from plot_palette.analytics import (
    JUDGE,
    UNATTRIBUTED,
    AnalyticsWindowError,
    JobCost,
    JobCostReader,
    Window,
    build_report,
    cost_report,
    iso_week,
    job_cost,
    model_split,
)
from plot_palette.jobs.dynamo import to_item

TODAY = date(2026, 12, 1)  # a Tuesday, ISO week 2026-W49


def job(
    day: str,
    cost: str,
    *,
    status: str = "COMPLETED",
    template: str = "poem-questions",
    budget: str = "1",
    records: int = 10,
    models: dict[str, str] | None = None,
    judge: tuple[str | None, str] | None = None,
) -> JobCost:
    return JobCost(
        job_id=f"job-{day}-{cost}-{template}",
        status=status,
        created_at=f"{day}T10:00:00.000000Z",
        template_id=template,
        budget_usd=Decimal(budget),
        cost_usd=Decimal(cost),
        records=records,
        cost_by_model={model: Decimal(value) for model, value in (models or {}).items()},
        judge_model=judge[0] if judge else None,
        judge_cost_usd=Decimal(judge[1]) if judge else Decimal(0),
    )


def test_only_7_30_and_90_days_are_offered() -> None:
    for days in (7, 30, 90):
        assert Window.ending(days, TODAY).days == days
    for days in (0, 1, 14, 31, 365, -7):
        with pytest.raises(AnalyticsWindowError, match="days must be one of 7, 30, 90"):
            Window.ending(days, TODAY)


def test_a_window_is_whole_utc_days_ending_today() -> None:
    window = Window.ending(7, TODAY)
    assert window.first_day == date(2026, 11, 25)
    assert window.dates()[-1] == TODAY and len(window.dates()) == 7
    assert window.start_key == "2026-11-25T00:00:00.000000Z"
    assert window.end_key == "2026-12-01T23:59:59.999999Z"
    # Wed 25 Nov .. Sun 29 Nov is W48, Mon 30 Nov and Tue 1 Dec are W49.
    assert window.weeks() == ["2026-W48", "2026-W49"]


def test_iso_weeks_cross_the_new_year() -> None:
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"
    assert Window.ending(7, date(2027, 1, 5)).weeks() == ["2026-W53", "2027-W01"]


def test_days_without_spend_are_zeros_and_sums_are_exact() -> None:
    window = Window.ending(7, TODAY)
    jobs = [job("2026-11-26", "0.1"), job("2026-11-26", "0.2"), job("2026-12-01", "0.0000000003")]
    report = build_report(jobs, window)
    assert [row.key for row in report.by_day] == [day.isoformat() for day in window.dates()]
    spend = {row.key: row.spend_usd for row in report.by_day}
    # 0.1 + 0.2 is exactly 0.3 (floats would give 0.30000000000000004).
    assert spend["2026-11-26"] == Decimal("0.3")
    assert spend["2026-12-01"] == Decimal("3E-10")
    assert [spend[day] for day in ("2026-11-25", "2026-11-27", "2026-11-30")] == [0, 0, 0]
    assert report.spend_usd == Decimal("0.3000000003")
    assert report.jobs == 3 and report.records == 30
    weeks = {row.key: (row.spend_usd, row.jobs) for row in report.by_week}
    assert weeks == {"2026-W48": (Decimal("0.3"), 2), "2026-W49": (Decimal("3E-10"), 1)}


def test_spend_by_template_and_model_biggest_first() -> None:
    jobs = [
        job("2026-11-30", "0.5", template="a", models={"haiku": "0.1", "sonnet": "0.4"}),
        job("2026-12-01", "0.25", template="b", models={"haiku": "0.25"}),
        job("2026-12-01", "0.05", template="a", models={"haiku": "0.05"}),
    ]
    report = build_report(jobs, Window.ending(30, TODAY))
    assert [(row.key, row.spend_usd, row.jobs, row.records) for row in report.by_template] == [
        ("a", Decimal("0.55"), 2, 20),
        ("b", Decimal("0.25"), 1, 10),
    ]
    # Equal spend: ties are ordered by name.
    assert [(row.key, row.spend_usd, row.jobs) for row in report.by_model] == [
        ("haiku", Decimal("0.4"), 3),
        ("sonnet", Decimal("0.4"), 1),
    ]
    assert sum((row.spend_usd for row in report.by_model), Decimal(0)) == report.spend_usd


def test_the_model_split_always_adds_up_to_the_job_cost() -> None:
    # The judge's cost is added to cost_usd; a split the worker could not write is unattributed.
    judged = job("2026-12-01", "0.7", models={"haiku": "0.5"}, judge=("sonnet", "0.15"))
    assert model_split(judged) == {
        "haiku": Decimal("0.5"),
        "sonnet": Decimal("0.15"),
        UNATTRIBUTED: Decimal("0.05"),
    }
    assert model_split(job("2026-12-01", "0.2", judge=(None, "0.2"))) == {JUDGE: Decimal("0.2")}
    assert model_split(job("2026-12-01", "0.3")) == {UNATTRIBUTED: Decimal("0.3")}
    assert model_split(job("2026-12-01", "0")) == {}


def test_budget_efficiency_counts_finished_jobs_only() -> None:
    jobs = [
        job("2026-11-30", "0.5", budget="1", records=100),
        job("2026-11-30", "1", budget="1", records=150, status="BUDGET_EXCEEDED"),
        job("2026-12-01", "0.1", budget="0.5", records=0, status="FAILED"),
        job("2026-12-01", "0.4", budget="5", records=50, status="RUNNING"),
    ]
    report = build_report(jobs, Window.ending(7, TODAY))
    efficiency = report.efficiency
    assert efficiency.finished_jobs == 3
    assert efficiency.budgeted_usd == Decimal("2.5")
    assert efficiency.spent_usd == Decimal("1.6")
    assert efficiency.budget_used == Decimal("0.64")
    assert efficiency.budget_exceeded_jobs == 1
    assert efficiency.budget_exceeded_share == Decimal("0.333333")
    # Every job counts for records per dollar: 300 records for $2.
    assert efficiency.records_per_usd == Decimal(150)
    assert efficiency.cost_per_record_usd == Decimal("0.0066666667")
    assert report.jobs_by_status == {
        "BUDGET_EXCEEDED": 1,
        "COMPLETED": 1,
        "FAILED": 1,
        "RUNNING": 1,
    }


def test_an_empty_window_has_no_ratios() -> None:
    report = build_report([], Window.ending(90, TODAY))
    assert len(report.by_day) == 90 and all(row.spend_usd == 0 for row in report.by_day)
    assert report.spend_usd == 0 and report.by_model == [] and report.by_template == []
    efficiency = report.efficiency
    assert efficiency.budget_used is None and efficiency.records_per_usd is None
    assert efficiency.cost_per_record_usd is None and efficiency.budget_exceeded_share is None


class FakeDynamo:
    """Answers Query with pages of ``page`` items and records every request."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.requests: list[dict[str, Any]] = []

    def query(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        start = int(request.get("ExclusiveStartKey", {}).get("at", {"N": "0"})["N"])
        page = self.items[start : start + request["Limit"]]
        response: dict[str, Any] = {"Items": page}
        if start + request["Limit"] < len(self.items):
            response["LastEvaluatedKey"] = {"at": {"N": str(start + request["Limit"])}}
        return response


def test_the_reader_pages_through_one_query_with_the_window_as_key_condition() -> None:
    items = [
        to_item(
            {
                "job_id": f"job-{index}",
                "status": "COMPLETED",
                "created_at": f"2026-12-01T0{index}:00:00.000000Z",
                "template_id": "poem-questions",
                "budget_usd": Decimal(1),
                "cost_usd": Decimal("0.01"),
                "records_generated": 3,
                "cost_by_model": {"haiku": Decimal("0.01")},
            }
        )
        for index in range(5)
    ]
    dynamo = FakeDynamo(items)
    report = cost_report(JobCostReader(dynamo, "jobs", page_size=2), "alice", 7, TODAY)
    assert report.jobs == 5 and report.spend_usd == Decimal("0.05") and report.records == 15
    # 5 jobs in pages of 2: three requests, each the same Query with a new start key.
    assert len(dynamo.requests) == 3
    first = dynamo.requests[0]
    assert first["IndexName"] == "user-id-index"
    assert first["KeyConditionExpression"] == ("#user = :user AND #created BETWEEN :start AND :end")
    assert first["ExpressionAttributeValues"] == {
        ":user": {"S": "alice"},
        ":start": {"S": "2026-11-25T00:00:00.000000Z"},
        ":end": {"S": "2026-12-01T23:59:59.999999Z"},
    }
    assert "ExclusiveStartKey" not in first
    assert dynamo.requests[2]["ExclusiveStartKey"] == {"at": {"N": "4"}}


def test_a_job_item_is_read_with_exact_numbers_and_its_judge_model() -> None:
    item = to_item(
        {
            "job_id": "j",
            "status": "COMPLETED",
            "created_at": "2026-12-01T00:00:00.000000Z",
            "cost_usd": 0.1234567891,
            "quality_cost_usd": 0.0004,
            "quality": json.dumps({"status": "COMPLETED", "judge": {"model": "claude-sonnet"}}),
        }
    )
    read = job_cost(item)
    assert read.cost_usd == Decimal("0.1234567891")
    assert read.judge_model == "claude-sonnet" and read.judge_cost_usd == Decimal("0.0004")
    assert read.template_id == "inline" and read.budget_usd == 0 and read.cost_by_model == {}
