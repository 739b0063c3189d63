"""api Lambda: every HTTP API route. Builds the services once, then routes with powertools."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths

from plot_palette.api import ApiServices, ApiSettings, build_resolver
from plot_palette.observability import route_library_logs

logger = Logger()
tracer = Tracer()
route_library_logs(logger)
services = ApiServices.build(ApiSettings.from_environment(), boto3.session.Session())
app = build_resolver(services)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)  # responses hold user data
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
