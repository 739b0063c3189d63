"""Export function: write one export format of a finished job (started by the state machine)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from plot_palette.exports import run_export

logger = Logger()
s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
BUCKET = os.environ["BUCKET_NAME"]


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    summary = run_export(event, s3_client=s3, bucket=BUCKET)
    logger.info("export written", extra={k: v for k, v in summary.items() if k != "sha256"})
    return summary
