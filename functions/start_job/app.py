"""Pipe target: start one job execution per queued job, named by the job id (idempotent)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from plot_palette.jobs.execution import queued_job_ids, start_job_execution

logger = Logger()
sfn = boto3.client("stepfunctions")
STATE_MACHINE_ARN = os.environ["STATE_MACHINE_ARN"]
HEARTBEAT_SECONDS = int(os.environ["WORKER_HEARTBEAT_SECONDS"])


@logger.inject_lambda_context
def lambda_handler(event: list[dict[str, Any]], context: Any) -> dict[str, Any]:
    started, duplicates = [], []
    for job_id in queued_job_ids(event):
        fresh = start_job_execution(
            sfn, STATE_MACHINE_ARN, job_id, heartbeat_seconds=HEARTBEAT_SECONDS
        )
        (started if fresh else duplicates).append(job_id)
    logger.info("queued jobs dispatched", extra={"started": started, "duplicates": duplicates})
    return {"started": started, "duplicates": duplicates}
