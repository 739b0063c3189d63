"""Starting a job's execution from the queue stream, once per job, named by the job id."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


def queued_job_ids(records: list[dict[str, Any]]) -> list[str]:
    """Job ids of the queue-stream records a pipe delivered (INSERTs of QUEUED items)."""
    ids = []
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage", {})
        if "job_id" in image:
            ids.append(image["job_id"]["S"])
    return ids


def start_job_execution(
    sfn: Any, state_machine_arn: str, job_id: str, *, heartbeat_seconds: int
) -> bool:
    """Start the job's execution; False when it already exists (a redelivered stream record)."""
    payload = {"job_id": job_id, "limits": {"heartbeat_seconds": heartbeat_seconds}}
    try:
        sfn.start_execution(
            stateMachineArn=state_machine_arn, name=job_id, input=json.dumps(payload)
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise
    return True
