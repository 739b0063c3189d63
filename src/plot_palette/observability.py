"""Metrics an operator watches, as CloudWatch embedded-metric-format (EMF) log lines, and the
functions' library logs in their Powertools format.

Powertools Metrics writes each flush as one JSON log line; CloudWatch Logs turns it into
metrics in the ``PlotPalette`` namespace, from a Lambda's log group and from the worker's
(awslogs) alike, so no ``PutMetricData`` permission or call is needed. The job id travels as
metadata, searchable in the logs, not as a dimension: one metric stream per job would cost a
custom metric each.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "PlotPalette"


def metrics(service: str) -> Metrics:
    """A metrics sink for one component (the ``service`` dimension)."""
    return Metrics(namespace=NAMESPACE, service=service)


def emit(sink: Metrics, values: dict[str, tuple[float, MetricUnit]], **metadata: Any) -> None:
    """Write these metrics now, as one EMF line (zero values included: a steady zero is data)."""
    for name, (value, unit) in values.items():
        sink.add_metric(name=name, unit=unit, value=value)
    for key, value in metadata.items():
        if value is not None:
            sink.add_metadata(key=key, value=value)
    sink.flush_metrics()


def route_library_logs(logger: Logger) -> None:
    """In a Lambda execution environment, ``plot_palette.*`` loggers write through the
    function's Powertools handler: JSON, with the function's keys (request and correlation id,
    job id) and each line's ``extra`` fields, instead of Lambda's plain runtime format.

    The package logger gets the handler, so loggers created later are covered too. Only on
    Lambda, where a process runs one function: the local cloud runs every function in one
    process, where the package logger would write with whichever function set it up last.
    """
    if not os.environ.get("LAMBDA_TASK_ROOT"):
        return
    package = logging.getLogger("plot_palette")
    package.handlers = [logger.registered_handler]
    package.setLevel(logger.log_level)
    package.propagate = False
