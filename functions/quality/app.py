"""Quality function: statistics and a judged sample of a finished job (after the exports).

Errors are not caught here: the state machine's Catch records the quality as FAILED and the job
still ends as it would have.
"""

from __future__ import annotations

import os
import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer

from plot_palette.models import ConverseClient, ModelRegistry
from plot_palette.observability import route_library_logs
from plot_palette.quality import QualityContext, assess

REPORT_MARGIN_S = 60
logger = Logger(service="quality")
tracer = Tracer(service="quality")
route_library_logs(logger)
context_ = QualityContext(
    s3=boto3.client("s3"),
    dynamodb=boto3.client("dynamodb"),
    bucket=os.environ["BUCKET_NAME"],
    jobs_table=os.environ["JOBS_TABLE_NAME"],
    registry=ModelRegistry.load(),
    client=ConverseClient(max_concurrency=4),
    judge_tier=os.environ.get("QUALITY_JUDGE_TIER", "tier-2"),
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # responses hold user data
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job_id = str(event["job_id"])
    logger.append_keys(job_id=job_id)
    # stop judging a minute before the function's timeout: the report still gets written
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - REPORT_MARGIN_S
    quality = assess(context_, job_id, deadline=deadline)
    logger.info("quality assessed", extra={"status": quality["status"]})
    return {"job_id": job_id, "status": quality["status"]}
