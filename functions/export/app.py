"""Export function: write one export format of a finished job (started by the state machine).

Errors are not caught: an ``ExportError`` (bad event, too many partitions) reaches the state
machine under its own name, where the Catch routes it.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from plot_palette.exports import run_export
from plot_palette.exports.snapshot import write_snapshot
from plot_palette.observability import route_library_logs

logger = Logger(service="export")
tracer = Tracer(service="export")
route_library_logs(logger)
s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET_NAME"]


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # responses hold user data
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(job_id=event.get("job_id"), export_format=event.get("format"))
    if event.get("snapshot"):
        # asked by the API (asynchronously) for a partial download of a job still running
        manifest = write_snapshot(s3, BUCKET, str(event["job_id"]), event.get("requested_at"))
        logger.info("snapshot written", extra={"records": manifest["records"]})
        return manifest
    summary = run_export(event, s3_client=s3, bucket=BUCKET)
    logger.info("export written", extra={"records": summary["records"], "bytes": summary["bytes"]})
    return summary
