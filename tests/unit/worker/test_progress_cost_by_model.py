"""The worker's progress write carries each job's cost split by model (for cost analytics)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from plot_palette.generation import GeneratedRecord
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


def reporter(jobs: FakeJobs, base: dict[str, float] | None = None) -> ProgressReporter:
    return ProgressReporter(
        dynamodb=FakeDynamo(),
        jobs=jobs,  # type: ignore[arg-type]
        cost_table="costs",
        job_id="job-1",
        cost_by_model=base,
    )


def test_each_commit_writes_the_running_split_by_model_exactly() -> None:
    jobs = FakeJobs()
    progress = reporter(jobs)
    progress.on_commit(
        Checkpoint(job_id="job-1", records_generated=2),
        [
            made(("haiku", 0.1), ("sonnet", 0.2)),
            made(("haiku", 0.2), ("sonnet", 0.0000000001)),
        ],
    )
    assert jobs.writes[-1]["cost_by_model"] == {
        "haiku": Decimal("0.3"),
        "sonnet": Decimal("0.2000000001"),
    }
    progress.on_commit(Checkpoint(job_id="job-1", records_generated=3), [made(("haiku", 0.7))])
    assert jobs.writes[-1]["cost_by_model"] == {
        "haiku": Decimal("1.0"),
        "sonnet": Decimal("0.2000000001"),
    }


def test_a_relaunched_worker_carries_on_from_the_split_on_the_job() -> None:
    jobs = FakeJobs()
    progress = reporter(jobs, base={"haiku": 0.25, "sonnet": 1})
    progress.on_commit(Checkpoint(job_id="job-1"), [made(("haiku", 0.05))])
    assert jobs.writes[-1]["cost_by_model"] == {"haiku": Decimal("0.30"), "sonnet": Decimal(1)}
