"""A batch's status and comparison rows, derived from its jobs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plot_palette.batches.compare import batch_status, batch_view, comparison_row


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "QUEUED"),
        (["QUEUED", "QUEUED"], "QUEUED"),
        (["QUEUED", "RUNNING"], "RUNNING"),
        (["COMPLETED", "QUEUED"], "RUNNING"),
        (["EXPORTING", "COMPLETED"], "RUNNING"),
        (["COMPLETED", "COMPLETED"], "COMPLETED"),
        (["CANCELLED", "CANCELLED"], "CANCELLED"),
        (["FAILED"], "FAILED"),
        (["COMPLETED", "FAILED"], "PARTIAL"),
        (["COMPLETED", "BUDGET_EXCEEDED"], "PARTIAL"),
        (["BUDGET_EXCEEDED", "BUDGET_EXCEEDED"], "PARTIAL"),
        (["CANCELLED", "FAILED"], "PARTIAL"),
    ],
)
def test_status_is_derived_from_the_jobs(statuses: list[str], expected: str) -> None:
    assert batch_status(statuses) == expected


def job(job_id: str, **values: Any) -> dict[str, Any]:
    base = {
        "job_id": job_id,
        "name": job_id,
        "status": "COMPLETED",
        "record_count": 10,
        "records_generated": 10,
        "cost_usd": 0.02,
        "created_at": f"2026-11-25T10:00:0{job_id[-1]}.000000Z",
        "started_at": "2026-11-25T10:00:00.000000Z",
        "finished_at": "2026-11-25T10:01:30.500000Z",
        "batch_params": json.dumps({"records": 10}),
    }
    return {**base, **values}


def quality(overall: float | None) -> str:
    judge = None if overall is None else {"model": "m", "sampled": 5, "overall": overall}
    return json.dumps({"status": "COMPLETED", "reason": None, "stats": {}, "judge": judge})


def test_a_row_has_cost_per_record_duration_and_the_judges_score() -> None:
    row = comparison_row(job("j1", quality=quality(4.5)))
    assert row["params"] == {"records": 10}
    assert row["cost_per_record_usd"] == pytest.approx(0.002)
    assert row["duration_seconds"] == 90.5
    assert row["quality_score"] == 4.5 and row["quality"]["status"] == "COMPLETED"


def test_a_row_without_records_quality_or_end_has_nulls() -> None:
    row = comparison_row(
        job("j1", records_generated=0, status="RUNNING", finished_at=None, quality="not json")
    )
    assert row["cost_per_record_usd"] is None and row["duration_seconds"] is None
    assert row["quality"] is None and row["quality_score"] is None


def test_best_is_the_judged_best_else_the_cheapest_completed_per_record() -> None:
    jobs = [
        job("j1", cost_usd=0.05),
        job("j2", cost_usd=0.01, status="BUDGET_EXCEEDED"),
        job("j3", cost_usd=0.03, records_generated=20, finished_at="2026-11-25T10:00:10Z"),
    ]
    view = batch_view({"batch_id": "b", "name": "B", "created_at": "t", "job_count": 3}, jobs)
    assert view["status"] == "PARTIAL" and view["records"] == 40
    assert view["best"] == {
        "cost_per_record": "j2",
        "quality": None,
        "duration": "j3",
        "records": "j3",
        "overall": "j3",  # j2 is cheaper per record but was cut short by its budget
    }
    jobs[0]["quality"] = quality(4.8)
    jobs[2]["quality"] = quality(3.0)
    best = batch_view({"batch_id": "b", "job_count": 3}, jobs)["best"]
    assert best["quality"] == "j1" and best["overall"] == "j1"


def test_overall_best_breaks_a_score_tie_by_cost_and_waits_for_a_job_to_finish() -> None:
    jobs = [
        job("j1", cost_usd=0.05, quality=quality(4.5)),
        job("j2", cost_usd=0.02, quality=quality(4.5)),
        # judged higher, but its execution has not ended yet (quality is written while EXPORTING)
        job("j3", cost_usd=0.01, status="EXPORTING", finished_at=None, quality=quality(5.0)),
    ]
    best = batch_view({"batch_id": "b", "job_count": 3}, jobs)["best"]
    assert best["quality"] == "j3"
    assert best["overall"] == "j2"
