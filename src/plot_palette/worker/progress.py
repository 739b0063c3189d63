"""Progress for the dashboard: the Jobs item after each batch, and a CostTracking row.

Spend is not written here: ``cost_usd`` and ``cost_by_model`` belong to the job's spend ledger
(``budget.ledger``), which records every settled call, committed or not. Each commit flushes the
ledger (``flush_spend``), so the dashboard's cost and analytics' split by model move with the
records, and the CostTracking row carries the settled spend it returns (cost over time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from plot_palette.jobs.dynamo import to_item
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import JobsStore, utc_now

if TYPE_CHECKING:
    from plot_palette.generation import GeneratedRecord
    from plot_palette.worker.checkpoint import Checkpoint

COST_ROW_TTL = timedelta(days=90)


class ProgressReporter:
    """Writes progress after each committed batch and tells the caller if the job was cancelled."""

    def __init__(
        self,
        *,
        dynamodb: Any,
        jobs: JobsStore,
        cost_table: str,
        job_id: str,
        s3_requests: Callable[[], int] = lambda: 0,
        flush_spend: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self._dynamodb = dynamodb
        self._jobs = jobs
        self._cost_table = cost_table
        self._job_id = job_id
        self._s3_requests = s3_requests
        self._started = time.monotonic()
        self._last_commit = self._started
        self._requests_reported = 0
        self._records_this_run = 0
        self._flush_spend = flush_spend
        self.cancelled = False

    def on_commit(self, checkpoint: Checkpoint, records: list[GeneratedRecord]) -> None:
        """Record progress; notice a cancellation (the update is skipped for a final job)."""
        self._records_this_run += len(records)
        spent = self._flush_spend()
        now_monotonic = time.monotonic()
        elapsed = max(now_monotonic - self._started, 1e-6)
        # Compute time and S3 requests accumulate across relaunches (ADD), priced when read.
        compute_seconds = round(now_monotonic - self._last_commit, 3)
        self._last_commit = now_monotonic
        requests = self._s3_requests()
        new_requests = requests - self._requests_reported
        self._requests_reported = requests
        values: dict[str, Any] = {
            "records_generated": checkpoint.records_generated,
            "tokens_used": checkpoint.tokens_used,
            "records_per_second": round(self._records_this_run / elapsed, 3),
            "updated_at": utc_now(),
        }
        if checkpoint.records_failed:
            # the records given up on, by error, with the first reasons (record_failures.py)
            values["records_failed"] = checkpoint.records_failed
            values["record_failures"] = checkpoint.failures
        status = self._jobs.record_progress(
            self._job_id,
            values,
            {"compute_seconds": compute_seconds, "s3_requests": new_requests},
        )
        self.cancelled = status is JobStatus.CANCELLED
        now = datetime.now(UTC)
        self._dynamodb.put_item(
            TableName=self._cost_table,
            Item=to_item(
                {
                    "job_id": self._job_id,
                    "timestamp": utc_now(),
                    "records_generated": checkpoint.records_generated,
                    "tokens_used": checkpoint.tokens_used,
                    "cost_usd": spent,
                    "expires_at": int((now + COST_ROW_TTL).timestamp()),
                }
            ),
        )
