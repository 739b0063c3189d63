"""Worker entrypoint (``python -m plot_palette.worker``): build clients from the env, then run.

The stop signals are taken over before anything else, and only then come the heavy imports
(boto3, pyarrow, pydantic take a second or more on a small Fargate task): a Spot interruption
or a StopTask during that time is remembered and reported as an interruption, never fatal
(``signals.py``). Nothing leaves this process without a callback when it holds a task token: an
error before the run starts (bad configuration, a client that cannot be built) is reported as
well, named after its class.
"""

from __future__ import annotations

import os
import sys

from plot_palette.worker.signals import StopSignals


def main() -> int:
    signals = StopSignals()
    signals.install()

    from plot_palette.worker.logs import configure_logging

    logger = configure_logging(os.environ.get("JOB_ID"))

    from plot_palette.worker.task_identity import task_arn

    logger.append_keys(task_arn=task_arn())

    import boto3
    from botocore.config import Config

    from plot_palette.worker.service import Clients, report_failure, run_worker
    from plot_palette.worker.settings import WorkerSettings

    sfn = None
    try:
        # Heartbeats and callbacks must not hang for botocore's default 60 s timeouts: a
        # heartbeat stuck that long can outlast HeartbeatSeconds and make a live worker a zombie.
        sfn = boto3.client(
            "stepfunctions",
            config=Config(
                connect_timeout=5, read_timeout=15, retries={"mode": "standard", "max_attempts": 4}
            ),
        )
        settings = WorkerSettings.from_env()
        # ConverseClient retries throttling itself (2/4/8 s) and adapts its limit to it: botocore
        # must not retry underneath, or throttling would be hidden from the limiter.
        pool = Config(
            max_pool_connections=max(10, settings.worker_concurrency * 2),
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        clients = Clients(
            s3=boto3.client("s3"),
            dynamodb=boto3.client("dynamodb"),
            sfn=sfn,
            # A named profile lets a local run call real Bedrock while the rest stays local.
            bedrock=boto3.Session(profile_name=settings.bedrock_profile).client(
                "bedrock-runtime", config=pool
            ),
            sns=boto3.client("sns"),
        )
    except Exception as error:
        logger.exception("worker could not start", extra={"error": type(error).__name__})
        report_failure(sfn, os.environ.get("TASK_TOKEN"), type(error).__name__, str(error))
        return 2
    return run_worker(settings, clients, signals)


if __name__ == "__main__":
    sys.exit(main())
