"""The job item's ``quality`` attribute (a JSON string) as the API shows it."""

from __future__ import annotations

import json
from typing import Any


def quality_summary(job: dict[str, Any]) -> dict[str, Any] | None:
    """The decoded ``quality`` of a job, or ``None`` before the quality step wrote one."""
    raw = job.get("quality")
    if not raw:
        return None
    try:
        decoded = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None
