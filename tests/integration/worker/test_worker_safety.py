"""Real worker processes under the faults of issues #21 and #15: each must end reported, exact.

A zombie resumed after its relaunch committed loses no record; a SIGTERM before the worker
registered, a job cancelled before it started or while it runs, and any error the worker did not
expect all reach Step Functions as a callback (recorded by a stand-in endpoint) instead of a
silent exit; and every line the worker writes is JSON naming the job.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import ANY

import pytest

from plot_palette.exports import run_export
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.faults import Fault, FaultKind
from plot_palette.records import batch_key
from tests.integration.orchestration.helpers import local_cloud, stores
from tests.integration.worker.helpers import (
    RecordingStepFunctions,
    is_stopped,
    log_lines,
    queue_direct,
    start_worker,
    wait_until,
)

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/plot-palette/abc"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with local_cloud(tmp_path_factory.mktemp("home"), model_latency_ms=10) as running:
        yield running


def s3_keys(cloud: LocalCloud, prefix: str) -> list[str]:
    listed = cloud.client("s3").list_objects_v2(Bucket=cloud.endpoints.bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_a_zombie_resumed_after_its_relaunch_committed_loses_no_record(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    # GIVEN a worker (batches of 10) that stops dead right after checkpointing its 2nd batch,
    # as a worker does that Step Functions presumed dead but that is still alive
    job_id = queue_direct(cloud, 200)
    frozen = Fault(
        "s3",
        "PutObject",
        FaultKind.STOP_AFTER,
        match={"Key": "checkpoint.json", "Body": '"current_batch": 2,'},
    )
    zombie = start_worker(
        cloud,
        job_id,
        tmp_path / "zombie.log",
        faults=[frozen],
        CHECKPOINT_INTERVAL="10",
        WORKER_CONCURRENCY="4",
    )
    try:
        wait_until(
            lambda: is_stopped(zombie.pid) or zombie.poll() is not None, what="the zombie to stop"
        )
        assert zombie.poll() is None, (tmp_path / "zombie.log").read_text()
        # WHEN its relaunch (batches of 25) runs the job to the end, committing batch 2 as
        # records 20-44, and only then the zombie resumes with its stale view (batch 2 next)
        relaunch = start_worker(cloud, job_id, tmp_path / "relaunch.log")
        assert relaunch.wait(timeout=300) == 0, (tmp_path / "relaunch.log").read_text()
        os.kill(zombie.pid, signal.SIGCONT)
        assert zombie.wait(timeout=120) == 0, (tmp_path / "zombie.log").read_text()
    finally:
        if zombie.poll() is None:
            zombie.kill()
            zombie.wait()

    # THEN the zombie wrote nothing over the relaunch's batch, and the export has every record
    s3, bucket = cloud.client("s3"), cloud.endpoints.bucket
    batch = s3.get_object(Bucket=bucket, Key=batch_key(job_id, 2))["Body"].read().splitlines()
    assert [json.loads(line)["seed_index"] for line in batch] == [n % 10 for n in range(20, 45)]
    summary = run_export({"job_id": job_id, "format": "jsonl"}, s3_client=s3, bucket=bucket)
    body = s3.get_object(Bucket=bucket, Key=summary["key"])["Body"].read().decode()
    records = [json.loads(line) for line in body.splitlines()]
    assert len(records) == 200
    assert sorted((r["seed_index"], r["sample_index"]) for r in records) == sorted(
        (n % 10, n // 10) for n in range(200)
    )
    superseded = [r for r in log_lines(tmp_path / "zombie.log", job_id) if "outcome" in r]
    assert [r["outcome"] for r in superseded] == ["SUPERSEDED"]


def test_a_sigterm_before_the_worker_registered_is_reported_as_an_interruption(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    # GIVEN a worker that gets SIGTERM as soon as it has read its job's config (long before it
    # registers or installs anything on an event loop)
    job_id = queue_direct(cloud, 50)
    sigterm = Fault("s3", "GetObject", FaultKind.SIGTERM_AFTER, match={"Key": "config.json"})
    with RecordingStepFunctions() as sfn:
        process = start_worker(
            cloud, job_id, tmp_path / "w.log", faults=[sigterm], env=sfn.environment("token-1")
        )
        code = process.wait(timeout=120)
    # THEN it reports a Spot interruption at once (not a silent death): the state machine
    # relaunches without waiting for the heartbeat timeout
    assert sfn.callbacks() == [
        ("SendTaskFailure", {"taskToken": "token-1", "error": "SpotInterrupted", "cause": ANY})
    ], (tmp_path / "w.log").read_text()
    assert code == 0
    job = stores(cloud).jobs.get(job_id)
    assert "task_arn" not in job and "worker_started_at" not in job
    assert s3_keys(cloud, f"jobs/{job_id}/outputs/") == []
    log_lines(tmp_path / "w.log", job_id)


def test_a_job_cancelled_before_the_worker_started_is_not_run(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    # GIVEN a job cancelled before its worker registered
    job_id = queue_direct(cloud, 50)
    stores(cloud).jobs.update(job_id, {"status": "CANCELLED"})
    # WHEN its worker starts
    with RecordingStepFunctions() as sfn:
        process = start_worker(cloud, job_id, tmp_path / "w.log", env=sfn.environment("token-2"))
        code = process.wait(timeout=120)
    # THEN it reports the cancellation at once and generates nothing
    assert sfn.callbacks() == [
        ("SendTaskFailure", {"taskToken": "token-2", "error": "JobCancelled", "cause": ANY})
    ], (tmp_path / "w.log").read_text()
    assert code == 0
    job = stores(cloud).jobs.get(job_id)
    assert job["status"] == "CANCELLED"
    assert "task_arn" not in job and "worker_started_at" not in job
    assert s3_keys(cloud, f"jobs/{job_id}/outputs/") == []
    assert s3_keys(cloud, f"jobs/{job_id}/checkpoint.json") == []


def test_a_job_cancelled_while_running_stops_at_the_next_commit(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    job_id = queue_direct(cloud, 2000)
    jobs = stores(cloud).jobs
    with RecordingStepFunctions() as sfn:
        process = start_worker(
            cloud,
            job_id,
            tmp_path / "w.log",
            CHECKPOINT_INTERVAL="10",
            WORKER_CONCURRENCY="2",
            env=sfn.environment("token-3"),
        )
        try:
            wait_until(lambda: jobs.get(job_id).get("records_generated", 0) >= 10, what="records")
            jobs.update(job_id, {"status": "CANCELLED"})
            code = process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [call[1]["error"] for call in sfn.callbacks()] == ["JobCancelled"]
    assert code == 0
    assert jobs.get(job_id)["records_generated"] < 2000
    log_lines(tmp_path / "w.log", job_id)


def test_an_unexpected_error_loading_the_job_fails_the_task_with_its_name(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    # GIVEN a worker whose read of its config cannot reach S3 (a botocore error, not ours)
    job_id = queue_direct(cloud, 20)
    unreachable = Fault(
        "s3",
        "GetObject",
        FaultKind.FAIL_BEFORE,
        match={"Key": "config.json"},
        error_code="EndpointConnectionError",
    )
    with RecordingStepFunctions() as sfn:
        process = start_worker(
            cloud,
            job_id,
            tmp_path / "w.log",
            faults=[unreachable],
            ECS_TASK_ARN=TASK_ARN,
            env=sfn.environment("token-4"),
        )
        code = process.wait(timeout=120)
    # THEN the task fails at once, named after the error, with its message, and the exit is non-zero
    ((operation, body),) = sfn.callbacks()
    assert operation == "SendTaskFailure"
    assert body["error"] == "EndpointConnectionError"
    assert "Could not connect to the endpoint URL" in body["cause"]
    assert code != 0
    lines = log_lines(tmp_path / "w.log", job_id)
    assert all(line.get("task_arn") == TASK_ARN for line in lines)
    failed = [line for line in lines if line.get("error") == "EndpointConnectionError"]
    assert failed and "Traceback" in failed[0]["exception"]


def test_an_aws_error_is_reported_under_its_own_code(cloud: LocalCloud, tmp_path: Path) -> None:
    job_id = queue_direct(cloud, 20)
    with RecordingStepFunctions() as sfn:
        process = start_worker(
            cloud,
            job_id,
            tmp_path / "w.log",
            BUCKET_NAME="no-such-bucket",
            env=sfn.environment("token-5"),
        )
        code = process.wait(timeout=120)
    ((operation, body),) = sfn.callbacks()
    # The task role covers the job bucket only: IAM refuses before S3 looks for the bucket, and
    # the worker reports the code AWS gave (not botocore's generic class name, ClientError).
    assert (operation, body["error"]) == ("SendTaskFailure", "AccessDenied")
    assert "not authorized to perform: s3:GetObject" in body["cause"]
    assert code != 0
    log_lines(tmp_path / "w.log", job_id)


def test_a_worker_that_cannot_read_its_configuration_reports_it(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    job_id = queue_direct(cloud, 20)
    with RecordingStepFunctions() as sfn:
        process = start_worker(
            cloud, job_id, tmp_path / "w.log", CHECKPOINT_INTERVAL="0", env=sfn.environment("t6")
        )
        code = process.wait(timeout=120)
    ((operation, body),) = sfn.callbacks()
    assert (operation, body["error"]) == ("SendTaskFailure", "ConfigurationError")
    assert "CHECKPOINT_INTERVAL" in body["cause"]
    assert code == 2
    log_lines(tmp_path / "w.log", job_id)


def test_every_line_a_worker_writes_is_json_with_the_job(cloud: LocalCloud, tmp_path: Path) -> None:
    # GIVEN a worker that runs a small job to the end, heartbeating and calling back
    job_id = queue_direct(cloud, 30)
    with RecordingStepFunctions() as sfn:
        process = start_worker(
            cloud,
            job_id,
            tmp_path / "w.log",
            ECS_TASK_ARN=TASK_ARN,
            HEARTBEAT_SECONDS="4",
            env=sfn.environment("token-7"),
        )
        code = process.wait(timeout=120)
    assert code == 0
    assert [call[0] for call in sfn.callbacks()] == ["SendTaskSuccess"]
    # THEN every line of its output parses as JSON and names the job and the task
    lines = log_lines(tmp_path / "w.log", job_id)
    assert lines and all(line["task_arn"] == TASK_ARN for line in lines)
    finished = [line for line in lines if line["message"] == "worker finished"]
    assert finished[0]["outcome"] == "COMPLETED" and finished[0]["records"] == 30
    assert "token-7" not in (tmp_path / "w.log").read_text()
