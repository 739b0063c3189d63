"""Pure helpers of the jobs package: queue ordering, DynamoDB values, statuses."""

from __future__ import annotations

from plot_palette.jobs.dynamo import from_item, to_item
from plot_palette.jobs.execution import QueuedJob, queued_jobs
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import queue_key


def test_queue_keys_sort_by_priority_then_arrival() -> None:
    keys = [
        queue_key(5, "2026-01-01T00:00:02Z", "late-normal"),
        queue_key(9, "2026-01-01T00:00:03Z", "latest-urgent"),
        queue_key(5, "2026-01-01T00:00:01Z", "early-normal"),
        queue_key(0, "2026-01-01T00:00:00Z", "earliest-low"),
    ]
    assert [key.rsplit("#", 1)[1] for key in sorted(keys)] == [
        "latest-urgent",
        "early-normal",
        "late-normal",
        "earliest-low",
    ]


def test_dynamo_round_trip_keeps_numbers_exact() -> None:
    values = {"a": 0.1, "b": 3, "c": "x", "d": {"e": [1.5, 2]}, "f": None, "g": True}
    item = to_item(values)
    assert "f" not in item
    assert item["a"] == {"N": "0.1"}
    assert from_item(item) == {"a": 0.1, "b": 3, "c": "x", "d": {"e": [1.5, 2]}, "g": True}


def test_final_statuses() -> None:
    assert [status for status in JobStatus if status.final] == [
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
        JobStatus.BUDGET_EXCEEDED,
    ]


def test_pipe_records_to_job_ids() -> None:
    records = [
        {
            "eventName": "INSERT",
            "dynamodb": {"NewImage": {"job_id": {"S": "j1"}, "queue_key": {"S": "k"}}},
        },
        {"eventName": "INSERT", "dynamodb": {"NewImage": {"queue_id": {"S": "QUEUED"}}}},
        {"eventName": "REMOVE", "dynamodb": {}},
    ]
    assert queued_jobs(records) == [QueuedJob("j1", "k")]
