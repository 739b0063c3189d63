"""Worker entrypoint (``python -m plot_palette.worker``): build clients from the env, then run."""

from __future__ import annotations

import logging
import sys

import boto3
from botocore.config import Config

from plot_palette.errors import ConfigurationError
from plot_palette.worker.service import Clients, run_worker
from plot_palette.worker.settings import WorkerSettings


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        format='{"level":"%(levelname)s","logger":"%(name)s","message":"%(message)s"}',
    )
    try:
        settings = WorkerSettings.from_env()
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # ConverseClient retries throttling itself (2/4/8 s) and adapts its limit to it: botocore
    # must not retry underneath, or throttling would be hidden from the limiter.
    pool = Config(
        max_pool_connections=max(10, settings.worker_concurrency * 2),
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    clients = Clients(
        s3=boto3.client("s3"),
        dynamodb=boto3.client("dynamodb"),
        sfn=boto3.client("stepfunctions"),
        # A named profile lets a local run call real Bedrock while the rest stays local.
        bedrock=boto3.Session(profile_name=settings.bedrock_profile).client(
            "bedrock-runtime", config=pool
        ),
        sns=boto3.client("sns"),
    )
    return run_worker(settings, clients)


if __name__ == "__main__":
    sys.exit(main())
