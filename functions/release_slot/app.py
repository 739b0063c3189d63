"""EventBridge target: clean up after a job execution that ended ABORTED, FAILED or TIMED_OUT."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from plot_palette.jobs.slots import release_after_abnormal_end
from plot_palette.jobs.store import JobsStore

logger = Logger()
dynamodb = boto3.client("dynamodb")
QUEUE_TABLE = os.environ["QUEUE_TABLE_NAME"]
jobs = JobsStore(dynamodb, os.environ["JOBS_TABLE_NAME"])


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = release_after_abnormal_end(event, client=dynamodb, queue_table=QUEUE_TABLE, jobs=jobs)
    logger.info("abnormal execution end handled", extra=result)
    return result
