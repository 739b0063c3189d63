"""Admission: park a waiting job, release a slot, clean up dead executions, safety dispatch,
and tell an execution at once when its worker task stopped without calling back."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from plot_palette.jobs.admission import Admission
from plot_palette.jobs.admission_events import handle_admission_event
from plot_palette.jobs.quotas import QuotaLimits, QuotaStore
from plot_palette.jobs.store import JobsStore
from plot_palette.observability import emit, metrics, route_library_logs

logger = Logger()
tracer = Tracer()
route_library_logs(logger)
stops = metrics("admission")
dynamodb = boto3.client("dynamodb")
admission = Admission(
    dynamodb=dynamodb,
    sfn=boto3.client("stepfunctions"),
    queue_table=os.environ["QUEUE_TABLE_NAME"],
    limit=int(os.environ["MAX_CONCURRENT_JOBS"]),
    per_user_limit=int(os.environ.get("MAX_SLOTS_PER_USER", "0")),
    jobs_table=os.environ["JOBS_TABLE_NAME"],
    # Lets admission ask whether a job's execution still runs before freeing its slot.
    state_machine_arn=os.environ.get("STATE_MACHINE_ARN") or None,
)
jobs = JobsStore(dynamodb, os.environ["JOBS_TABLE_NAME"])
# Settling a job's reservation needs no limits: the defaults stand in for them.
quotas = QuotaStore(
    dynamodb, os.environ["QUOTAS_TABLE_NAME"], os.environ["JOBS_TABLE_NAME"], QuotaLimits()
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # responses hold user data
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("job_id"):
        logger.append_keys(job_id=event["job_id"])
    result = handle_admission_event(event, admission=admission, jobs=jobs, quotas=quotas)
    if result.get("reported"):  # a worker that stopped without calling back: WorkerFailedToStart…
        emit(stops, {str(result["reported"]): (1, MetricUnit.Count)}, job_id=result.get("job_id"))
    logger.info("admission event handled", extra={"action": event.get("action"), **result})
    return result
