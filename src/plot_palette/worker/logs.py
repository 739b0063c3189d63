"""The worker's logs: one JSON object a line (Powertools Logger), the job on every line.

Powertools' formatter sits on the root logger, so every logger in the process writes through
it: ``plot_palette.*``, botocore, urllib3, asyncio and Python warnings, including loggers that
libraries create after this runs (which ``copy_config_to_registered_loggers`` would miss).
``extra=`` fields become keys, and quotes or newlines in a message stay valid JSON.

Never log seed text or tokens: the AWS SDK and HTTP loggers are held at INFO or above whatever
level is asked for, since their DEBUG output holds request bodies (prompts made from seed data,
task tokens).
"""

from __future__ import annotations

import logging
from typing import IO

from aws_lambda_powertools import Logger

SERVICE = "plot-palette-worker"
# DEBUG on these prints request and response bodies.
_BODY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "aiobotocore")
_MARK = "plot_palette_worker_handler"


def configure_logging(
    job_id: str | None,
    *,
    task_arn: str | None = None,
    level: str | int | None = None,
    stream: IO[str] | None = None,
) -> Logger:
    """Route every log record of the process through one Powertools JSON handler.

    ``level`` defaults to ``POWERTOOLS_LOG_LEVEL`` (else INFO); ``stream`` to stdout. Calling it
    again replaces the handler it added before (tests run it more than once in one process).
    """
    logger = Logger(service=SERVICE, level=level, stream=stream)
    logger.setLevel(level)  # also when the service logger existed already (a second call)
    handler = logger.registered_handler
    if stream is not None and isinstance(handler, logging.StreamHandler):
        handler.setStream(stream)
    logger.append_keys(name="%(name)s", job_id=job_id, task_arn=task_arn)
    # The service logger writes through the root handler below, once.
    logging.getLogger(SERVICE).propagate = False
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _MARK, False):
            root.removeHandler(existing)
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(logger.log_level)
    for name in _BODY_LOGGERS:
        logging.getLogger(name).setLevel(max(logger.log_level, logging.INFO))
    logging.captureWarnings(True)
    return logger
