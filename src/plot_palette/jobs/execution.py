"""Starting a job's execution from the queue stream, once per job, named by the job id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError


@dataclass(frozen=True)
class QueuedJob:
    """What the queue stream tells about a job that just entered the queue."""

    job_id: str
    queue_key: str


@dataclass(frozen=True)
class ExecutionLimits:
    """Deployment settings an execution needs (template parameters, via the function's env)."""

    heartbeat_seconds: int
    on_demand_fallback: bool


def queued_jobs(records: list[dict[str, Any]]) -> list[QueuedJob]:
    """The jobs in the queue-stream records a pipe delivered (INSERTs of QUEUED items)."""
    jobs = []
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage", {})
        if "job_id" in image and "queue_key" in image:
            jobs.append(QueuedJob(image["job_id"]["S"], image["queue_key"]["S"]))
    return jobs


def start_job_execution(
    sfn: Any, state_machine_arn: str, job: QueuedJob, limits: ExecutionLimits
) -> bool:
    """Start the job's execution; False when it already ran (a stream record redelivered late).

    StartExecution is idempotent for a standard workflow: the same name and input while that
    execution still runs answers with the running execution, so a record redelivered early (or
    a retry after a lost response) is True without a second execution. Only an execution that
    has closed answers ExecutionAlreadyExists, and the job is never started twice either way.
    """
    payload = {
        "job_id": job.job_id,
        "queue_key": job.queue_key,
        "limits": {
            "heartbeat_seconds": limits.heartbeat_seconds,
            "on_demand_fallback": limits.on_demand_fallback,
        },
    }
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn, name=job.job_id, input=json.dumps(payload)
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise
    return True
