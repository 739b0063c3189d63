"""The worker's progress write: records and rates; spend comes from the spend ledger."""

from __future__ import annotations

from typing import Any

from plot_palette.generation import GeneratedRecord
from plot_palette.jobs.dynamo import from_item
from plot_palette.jobs.status import JobStatus
from plot_palette.worker.checkpoint import Checkpoint
from plot_palette.worker.progress import ProgressReporter


class FakeJobs:
    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []

    def record_progress(
        self, job_id: str, values: dict[str, Any], increments: dict[str, Any]
    ) -> JobStatus:
        self.writes.append(values)
        return JobStatus.RUNNING


class FakeDynamo:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def put_item(self, **request: Any) -> None:
        self.rows.append(request)


def made(*steps: tuple[str, float]) -> GeneratedRecord:
    provenance = {
        f"step-{index}": {"model_id": model, "cost": cost}
        for index, (model, cost) in enumerate(steps)
    }
    total = sum(cost for _, cost in steps)
    record = {"id": "r", "provenance": {"steps": provenance}}
    return GeneratedRecord(record=record, input_tokens=1, output_tokens=1, cost=total)


def reporter(jobs: FakeJobs, dynamo: FakeDynamo, flushed: list[float]) -> ProgressReporter:
    def flush_spend() -> float:
        flushed.append(0.5 * (len(flushed) + 1))
        return flushed[-1]

    return ProgressReporter(
        dynamodb=dynamo,
        jobs=jobs,  # type: ignore[arg-type]
        cost_table="costs",
        job_id="job-1",
        flush_spend=flush_spend,
    )


def test_each_commit_flushes_the_spend_ledger_and_leaves_cost_to_it() -> None:
    """GIVEN committed records WHEN progress is written THEN the job's cost and its split by
    model are not set from the records (calls paid for records never committed would be lost
    from the books, issue 21): the spend ledger, flushed first, owns both, and the CostTracking
    row carries the settled spend the flush returns."""
    jobs, dynamo, flushed = FakeJobs(), FakeDynamo(), []
    progress = reporter(jobs, dynamo, flushed)
    progress.on_commit(
        Checkpoint(job_id="job-1", records_generated=2, cost_accumulated=0.3),
        [made(("haiku", 0.1), ("sonnet", 0.2))],
    )
    progress.on_commit(Checkpoint(job_id="job-1", records_generated=3), [made(("haiku", 0.7))])
    assert flushed == [0.5, 1.0]
    assert all("cost_usd" not in write and "cost_by_model" not in write for write in jobs.writes)
    assert [write["records_generated"] for write in jobs.writes] == [2, 3]
    rows = [from_item(row["Item"]) for row in dynamo.rows]
    assert [row["cost_usd"] for row in rows] == [0.5, 1]
