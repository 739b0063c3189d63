"""Which ECS task this worker is, so a cancellation can stop exactly this task."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Mapping

LOGGER = logging.getLogger(__name__)


def task_arn(environ: Mapping[str, str] | None = None) -> str | None:
    """The task ARN from the ECS task metadata endpoint (v4), or ``ECS_TASK_ARN`` locally."""
    environ = os.environ if environ is None else environ
    if "ECS_TASK_ARN" in environ:
        return environ["ECS_TASK_ARN"]
    base = environ.get("ECS_CONTAINER_METADATA_URI_V4")
    if not base or not base.startswith("http://"):
        return None
    try:
        with urllib.request.urlopen(f"{base}/task", timeout=2) as response:  # noqa: S310 - ECS link-local
            arn = json.load(response).get("TaskARN")
    except (OSError, ValueError):
        LOGGER.warning("task metadata endpoint unavailable")
        return None
    return str(arn) if arn else None
