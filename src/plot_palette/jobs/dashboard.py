"""The job page's data in one read: progress, speed, ETA, cost against budget, samples, downloads.

Everything comes from the job item, the job's CostTracking rows (one Query), the first output
batch (a few sample records) and a listing of its exports: a handful of requests however large
the job is.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.exports.downloads import presign_downloads
from plot_palette.jobs.dynamo import from_item
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.views import cost_breakdown, export_keys, failure_message
from plot_palette.quality.summary import quality_summary
from plot_palette.records import batch_key

SAMPLE_RECORDS = 5
COST_POINTS = 500
# Lifecycle (ADR-014): outputs move to Glacier Instant Retrieval after three days. Instant
# Retrieval needs no restore: reads work at once and cost more per GB retrieved.
ARCHIVE_AFTER_DAYS = 3


def _parse_time(value: str | None) -> datetime | None:
    """Our timestamps (``…Z``) and Step Functions' (``…+00:00``) alike; junk reads as unknown."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def progress_view(job: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Done/total, records per second and the ETA of a job (no I/O: unit-testable)."""
    now = now or datetime.now(UTC)
    total = int(job.get("record_count", 0))
    done = int(job.get("records_generated", 0))
    failed = int(job.get("records_failed", 0))
    status = JobStatus(job["status"])
    rate = float(job.get("records_per_second", 0.0))
    started = _parse_time(job.get("started_at"))
    if rate <= 0 and started and done:
        elapsed = max((now - started).total_seconds(), 1e-6)
        rate = done / elapsed
    eta = None
    settled = done + failed  # a record given up on is as finished as one written
    if status is JobStatus.RUNNING and rate > 0 and total > settled:
        eta = round((total - settled) / rate, 1)
    return {
        "records_generated": done,
        "records_failed": failed,
        "record_count": total,
        "percent": round(100.0 * settled / total, 2) if total else 0.0,
        "records_per_second": round(rate, 3),
        "eta_seconds": eta,
    }


def cost_view(job: dict[str, Any]) -> dict[str, Any]:
    """Cost so far by service, against the budget."""
    breakdown = cost_breakdown(job)
    budget = float(job.get("budget_usd", 0.0))
    return {
        "bedrock_usd": round(breakdown.bedrock, 6),
        "fargate_usd": round(breakdown.fargate, 6),
        "s3_usd": round(breakdown.s3, 6),
        "total_usd": round(breakdown.total, 6),
        "budget_usd": budget,
        "budget_used_percent": round(100.0 * breakdown.bedrock / budget, 2) if budget else 0.0,
        "estimated_usd": job.get("estimated_cost_usd"),
    }


def archive_view(job: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Whether the job's outputs have moved to Glacier Instant Retrieval, and what that means."""
    now = now or datetime.now(UTC)
    finished = _parse_time(job.get("finished_at"))
    archived = finished is not None and (now - finished).days >= ARCHIVE_AFTER_DAYS
    return {
        "archived": archived,
        "storage_class": "GLACIER_IR" if archived else "STANDARD",
        "note": (
            "Outputs older than three days are kept in S3 Glacier Instant Retrieval: downloads "
            "work at once, with no restore, at a retrieval charge of about $0.03 per GB."
        ),
    }


class DashboardReader:
    """Reads what the job page shows for a job the caller owns (checked by the caller)."""

    def __init__(self, *, s3: Any, dynamodb: Any, bucket: str, cost_table: str) -> None:
        self._s3 = s3
        self._dynamodb = dynamodb
        self._bucket = bucket
        self._cost_table = cost_table

    def cost_history(self, job_id: str) -> list[dict[str, Any]]:
        """Cost and records over time (the worker writes one row per committed batch)."""
        response = self._dynamodb.query(
            TableName=self._cost_table,
            KeyConditionExpression="job_id = :job",
            ExpressionAttributeValues={":job": {"S": job_id}},
            ScanIndexForward=True,
            Limit=COST_POINTS,
        )
        return [
            {
                "timestamp": row["timestamp"],
                "cost_usd": float(row.get("cost_usd", 0.0)),
                "records_generated": int(row.get("records_generated", 0)),
            }
            for row in map(from_item, response["Items"])
        ]

    def sample_records(self, job_id: str, limit: int = SAMPLE_RECORDS) -> list[dict[str, Any]]:
        """The first few records the job made (empty until its first batch is written)."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=batch_key(job_id, 0))["Body"]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return []
            raise
        records: list[dict[str, Any]] = []
        for line in body.iter_lines():
            if line.strip():
                records.append(json.loads(line))
            if len(records) >= limit:
                break
        return records

    def view(self, job: dict[str, Any]) -> dict[str, Any]:
        """The whole dashboard payload of one job."""
        job_id = job["job_id"]
        downloads = presign_downloads(self._s3, self._bucket, job_id) if export_keys(job) else {}
        return {
            "job": public_job(job),
            "progress": progress_view(job),
            "cost": cost_view(job),
            "cost_history": self.cost_history(job_id),
            "interruptions": {
                "relaunches": int(job.get("attempts", 0)),
                "last_interruption": job.get("last_interruption"),
            },
            "sample_records": self.sample_records(job_id),
            "downloads": downloads,
            "archive": archive_view(job),
        }


_PUBLIC_FIELDS = (
    "job_id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
    "cancelled_at",
    "template_id",
    "template_version",
    "record_count",
    "records_generated",
    "records_failed",
    "budget_usd",
    "cost_usd",
    "estimated_cost_usd",
    "tokens_used",
    "priority",
    "category_field",
    "chat_format",
    "quality_sample",
    "batch_id",
)


def public_job(job: dict[str, Any]) -> dict[str, Any]:
    """A job as the API shows it: no task tokens, queue keys or internal bookkeeping."""
    shown = {name: job[name] for name in _PUBLIC_FIELDS if job.get(name) is not None}
    shown.setdefault("records_generated", 0)
    shown.setdefault("cost_usd", 0.0)
    if job.get("status") == JobStatus.FAILED.value:
        shown["error"] = failure_message(job)
    if job.get("record_failures"):
        shown["record_failures"] = job["record_failures"]
    exports = export_keys(job)
    if exports:
        shown["exports"] = sorted(exports)
    quality = quality_summary(job)
    if quality is not None:
        shown["quality"] = quality
    return shown
