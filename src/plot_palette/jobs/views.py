"""Reading a job item the way people want it: its exports by format, its failure in words."""

from __future__ import annotations

import json
from typing import Any


def export_keys(job: dict[str, Any]) -> dict[str, str]:
    """``{format: S3 key}`` of the exports the state machine recorded on the job."""
    raw = job.get("exports")
    if not raw:
        return {}
    entries = json.loads(raw) if isinstance(raw, str) else raw
    return {entry["format"]: entry["key"] for entry in entries if entry.get("key")}


def failure_message(job: dict[str, Any]) -> str:
    """Why a job failed, without the JSON envelope a Lambda error arrives in."""
    code = job.get("error_code", "")
    message = job.get("error_message", "")
    try:
        decoded = json.loads(message)
    except (TypeError, ValueError):
        decoded = None
    if isinstance(decoded, dict) and "errorMessage" in decoded:
        message = decoded["errorMessage"]
    return f"{code}: {message}".strip(": ")
