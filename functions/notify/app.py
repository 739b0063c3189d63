"""Notify function: a job's execution ended - tell its owner (email and/or signed webhook)."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer

from plot_palette.notifications.setup import NotifySettings, build_notifier
from plot_palette.observability import route_library_logs

logger = Logger(service="notify")
tracer = Tracer(service="notify")
route_library_logs(logger)
notifier = build_notifier(NotifySettings.from_environment(), boto3.session.Session())


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)  # responses hold user data
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = notifier.handle_execution_event(event)
    logger.info("notification handled", extra=result)
    return result
