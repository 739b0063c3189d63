"""Reading a job item the way people want it: its exports by format, its failure in words."""

from __future__ import annotations

import json
from typing import Any

from plot_palette.budget import CostBreakdown, fargate_cost, s3_request_cost


def export_keys(job: dict[str, Any]) -> dict[str, str]:
    """``{format: S3 key}`` of the exports the state machine recorded on the job."""
    raw = job.get("exports")
    if not raw:
        return {}
    entries = json.loads(raw) if isinstance(raw, str) else raw
    return {entry["format"]: entry["key"] for entry in entries if entry.get("key")}


def cost_breakdown(job: dict[str, Any]) -> CostBreakdown:
    """Bedrock, Fargate Spot and S3 cost of a job so far, priced from the data files.

    The worker's S3 requests are almost all PUTs (batches, checkpoints), so all are priced as
    PUTs: a slight overestimate, never an underestimate.
    """
    return CostBreakdown(
        bedrock=float(job.get("cost_usd", 0.0)),
        fargate=fargate_cost(
            float(job.get("worker_vcpu", 1.0)),
            float(job.get("worker_memory_gb", 2.0)),
            float(job.get("compute_seconds", 0.0)),
        ),
        s3=s3_request_cost(puts=int(job.get("s3_requests", 0)), gets=0),
    )


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
