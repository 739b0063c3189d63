"""A batch's status and comparison, derived from its jobs (never stored, so never stale)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.quality.summary import quality_summary

FINAL = {status.value for status in FINAL_STATUSES}


def batch_status(statuses: list[str]) -> str:
    """QUEUED, RUNNING, COMPLETED, CANCELLED, FAILED or PARTIAL, from the jobs' statuses.

    While any job is unfinished the batch is QUEUED (all are still waiting) or RUNNING. Once all
    have ended it is COMPLETED, CANCELLED or FAILED when every job ended that way, and PARTIAL
    when they ended differently (some datasets whole, some cut short or missing).
    """
    if not statuses:
        return JobStatus.QUEUED.value
    unfinished = [status for status in statuses if status not in FINAL]
    if unfinished:
        if all(status == JobStatus.QUEUED.value for status in statuses):
            return JobStatus.QUEUED.value
        return JobStatus.RUNNING.value
    ended = set(statuses)
    if len(ended) == 1:
        (only,) = ended
        if only in (JobStatus.COMPLETED.value, JobStatus.CANCELLED.value, JobStatus.FAILED.value):
            return only
    return "PARTIAL"


def quality_score(quality: dict[str, Any] | None) -> float | None:
    """The judge's overall score (1-5), when the quality run had a judge."""
    judge = (quality or {}).get("judge")
    if isinstance(judge, dict) and isinstance(judge.get("overall"), int | float):
        return float(judge["overall"])
    return None


def _seconds(start: Any, end: Any) -> float | None:
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        elapsed = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None
    return round(elapsed.total_seconds(), 3)


def comparison_row(job: dict[str, Any]) -> dict[str, Any]:
    """One job's line in the batch's side-by-side table."""
    records = int(job.get("records_generated") or 0)
    cost = float(job.get("cost_usd") or 0.0)
    quality = quality_summary(job)
    try:
        params = json.loads(job.get("batch_params") or "{}")
    except ValueError:
        params = {}
    return {
        "job_id": job["job_id"],
        "name": job.get("name", ""),
        "params": params,
        "status": job.get("status", ""),
        "records": records,
        "record_count": int(job.get("record_count") or 0),
        "cost_usd": round(cost, 6),
        "cost_per_record_usd": round(cost / records, 8) if records else None,
        "estimated_cost_usd": job.get("estimated_cost_usd"),
        "duration_seconds": _seconds(job.get("started_at"), job.get("finished_at")),
        "quality": quality,
        "quality_score": quality_score(quality),
        "created_at": job.get("created_at"),
    }


def best_of(rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """Which job is best on each measure, among jobs that made records.

    ``overall`` is the one to download first: among finished jobs, the best quality score (a
    tie goes to the lower cost per record) when any was judged, otherwise the cheapest cost per
    record among COMPLETED jobs. (The dashboard's ``bestJob`` applies the same rule.)
    """
    made = [row for row in rows if row["records"] > 0]
    priced = [row for row in made if row["cost_per_record_usd"] is not None]
    scored = [row for row in made if row["quality_score"] is not None]
    finished_scored = [row for row in scored if row["status"] in FINAL]
    timed = [row for row in made if row["duration_seconds"] is not None]
    cheapest = min(priced, key=lambda row: row["cost_per_record_usd"], default=None)
    finest = max(scored, key=lambda row: row["quality_score"], default=None)
    fastest = min(timed, key=lambda row: row["duration_seconds"], default=None)
    most = max(made, key=lambda row: row["records"], default=None)
    completed = [row for row in priced if row["status"] == JobStatus.COMPLETED.value]
    judged_best = min(
        finished_scored,
        key=lambda row: (-row["quality_score"], row["cost_per_record_usd"] or float("inf")),
        default=None,
    )
    overall = judged_best or min(
        completed, key=lambda row: row["cost_per_record_usd"], default=None
    )
    return {
        "cost_per_record": cheapest["job_id"] if cheapest else None,
        "quality": finest["job_id"] if finest else None,
        "duration": fastest["job_id"] if fastest else None,
        "records": most["job_id"] if most else None,
        "overall": overall["job_id"] if overall else None,
    }


def batch_view(batch: dict[str, Any], jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """The batch as its owner sees it: what was swept, its derived status, and the table."""
    rows = sorted((comparison_row(job) for job in jobs), key=lambda row: row["created_at"] or "")
    statuses = [row["status"] for row in rows]
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return {
        "batch_id": batch["batch_id"],
        "name": batch.get("name", ""),
        "created_at": batch.get("created_at", ""),
        # a batch that could not queue all its jobs failed, whatever its cancelled jobs say
        "status": JobStatus.FAILED.value if batch.get("error") else batch_status(statuses),
        "error": batch.get("error"),
        "job_count": int(batch.get("job_count") or len(rows)),
        "status_counts": counts,
        "dimensions": json.loads(batch.get("dimensions") or "[]"),
        "sweep": json.loads(batch.get("sweep") or "{}"),
        "estimated_cost_usd": batch.get("estimated_cost_usd"),
        "cost_usd": round(sum(row["cost_usd"] for row in rows), 6),
        "records": sum(row["records"] for row in rows),
        "jobs": rows,
        "best": best_of(rows),
    }
