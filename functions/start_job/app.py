"""Pipe target: start one job execution per queued job, named by the job id (idempotent)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer

from plot_palette.jobs.execution import ExecutionLimits, queued_jobs, start_job_execution
from plot_palette.observability import route_library_logs

logger = Logger()
tracer = Tracer()
route_library_logs(logger)
sfn = boto3.client("stepfunctions")
STATE_MACHINE_ARN = os.environ["STATE_MACHINE_ARN"]
LIMITS = ExecutionLimits(
    heartbeat_seconds=int(os.environ["WORKER_HEARTBEAT_SECONDS"]),
    on_demand_fallback=os.environ.get("ON_DEMAND_FALLBACK", "false") == "true",
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # responses hold user data
def lambda_handler(event: list[dict[str, Any]], context: Any) -> dict[str, Any]:
    started, duplicates = [], []
    for job in queued_jobs(event):
        fresh = start_job_execution(sfn, STATE_MACHINE_ARN, job, LIMITS)
        (started if fresh else duplicates).append(job.job_id)
    logger.info("queued jobs dispatched", extra={"started": started, "duplicates": duplicates})
    return {"started": started, "duplicates": duplicates}
