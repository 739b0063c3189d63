"""Submitting jobs to a local cloud, waiting for them and checking datasets, for the tests."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from plot_palette.jobs.admission import Admission
from plot_palette.jobs.quotas import QuotaLimits, QuotaStore
from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import ConfigStore, JobsStore, QueueStore
from plot_palette.jobs.submit import Stores, queue_job
from plot_palette.jobs.views import export_keys
from plot_palette.local.cloud import LocalCloud

ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def local_cloud(home: Path, **options: Any) -> Iterator[LocalCloud]:
    """A local cloud whose state and logs stay under ``home``."""
    previous = os.environ.get("PLOT_PALETTE_HOME")
    os.environ["PLOT_PALETTE_HOME"] = str(home)
    try:
        with LocalCloud(write_state_file=False, **options) as cloud:
            yield cloud
    finally:
        if previous is None:
            os.environ.pop("PLOT_PALETTE_HOME", None)
        else:
            os.environ["PLOT_PALETTE_HOME"] = previous


ROOMY_QUOTAS = QuotaLimits(
    jobs_queued=10_000,
    records_per_job=1_000_000,
    budget_per_job_usd=10_000.0,
    spend_per_day_usd=1e9,
    spend_per_month_usd=1e9,
)


def stores(cloud: LocalCloud) -> Stores:
    s3, dynamodb = cloud.client("s3"), cloud.client("dynamodb")
    return Stores(
        s3=s3,
        bucket=cloud.endpoints.bucket,
        jobs=JobsStore(dynamodb, cloud.endpoints.jobs_table),
        queue=QueueStore(dynamodb, cloud.endpoints.queue_table),
        configs=ConfigStore(s3, cloud.endpoints.bucket),
        # Orchestration tests queue many jobs as one user; quotas are tested on their own
        # (tests/integration/jobs/test_quotas.py).
        quotas=QuotaStore(
            dynamodb, cloud.endpoints.quotas_table, cloud.endpoints.jobs_table, ROOMY_QUOTAS
        ),
    )


def admission(cloud: LocalCloud, limit: int = 5) -> Admission:
    return Admission(
        dynamodb=cloud.client("dynamodb"),
        sfn=cloud.client("stepfunctions"),
        queue_table=cloud.endpoints.queue_table,
        limit=limit,
    )


def submit(
    cloud: LocalCloud, records: int, *, priority: int = 5, budget: float = 5.0, user: str = "u"
) -> str:
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    spec = parse_job_spec(
        {**spec.model_dump(), "records": records, "priority": priority, "budget_usd": budget}
    )
    return str(queue_job(spec, template, seeds, user_id=user, stores=stores(cloud)).job["job_id"])


def job(cloud: LocalCloud, job_id: str) -> dict[str, Any]:
    return stores(cloud).jobs.get(job_id)


def wait_final(cloud: LocalCloud, job_id: str, timeout: float = 180) -> dict[str, Any]:
    """Wait for the job's execution to end, then return the job item."""
    cloud.wait_for_execution(job_id, timeout=timeout)
    item = job(cloud, job_id)
    assert JobStatus(item["status"]).final, item
    return item


def wait_until(predicate: Any, timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def worker_of(cloud: LocalCloud, job_id: str) -> Any:
    """The running worker task of a job, if any."""
    for task in cloud.ecs.running():
        if task.request.get("startedBy") == job_id:
            return task
    return None


def tasks_of(cloud: LocalCloud, job_id: str) -> list[Any]:
    """The worker tasks the job's execution started, oldest first."""
    return [task for task in cloud.ecs.all_tasks() if task.request.get("startedBy") == job_id]


def dataset(cloud: LocalCloud, job_id: str) -> list[dict[str, Any]]:
    key = export_keys(job(cloud, job_id))["jsonl"]
    body = cloud.client("s3").get_object(Bucket=cloud.endpoints.bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in body.decode().splitlines()]


def history(cloud: LocalCloud, job_id: str) -> list[dict[str, Any]]:
    """The job's execution history ([] while its execution has not started)."""
    sfn = cloud.client("stepfunctions")
    arn = cloud.endpoints.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"
    try:
        events: list[dict[str, Any]] = sfn.get_execution_history(executionArn=arn, maxResults=1000)[
            "events"
        ]
    except sfn.exceptions.ExecutionDoesNotExist:
        return []
    return events


def entered_states(cloud: LocalCloud, job_id: str) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in history(cloud, job_id)
        if "stateEnteredEventDetails" in event
    ]


def assert_exact(cloud: LocalCloud, job_id: str, count: int) -> None:
    records = dataset(cloud, job_id)
    assert len(records) == count
    assert len({record["id"] for record in records}) == count
    checkpoint = json.loads(
        cloud.client("s3")
        .get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job_id}/checkpoint.json")["Body"]
        .read()
    )
    assert checkpoint["records_generated"] == count
    steps = [step for record in records for step in record["provenance"]["steps"].values()]
    assert checkpoint["tokens_used"] == sum(s["input_tokens"] + s["output_tokens"] for s in steps)
    assert checkpoint["cost_accumulated"] == pytest.approx(sum(s["cost"] for s in steps), abs=1e-9)
