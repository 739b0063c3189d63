"""Progress for the dashboard: the Jobs item after each batch, and a CostTracking row.

The Jobs item also carries ``cost_by_model`` (``{model_id: USD}``), the committed records' cost
split by the model each step ran on, so cost analytics can group spend by model from the job
items alone (one Query per user, never a read per job).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from plot_palette.jobs.dynamo import to_item
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import JobsStore, utc_now

if TYPE_CHECKING:
    from plot_palette.generation import GeneratedRecord
    from plot_palette.worker.checkpoint import Checkpoint

COST_ROW_TTL = timedelta(days=90)
ZERO = Decimal(0)


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
        cost_by_model: Mapping[str, float | int] | None = None,
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
        self.cancelled = False
        # Sums in Decimal: thousands of tiny float costs would drift from the checkpoint's sum.
        self._cost_by_model = {
            model: Decimal(str(cost)) for model, cost in (cost_by_model or {}).items()
        }

    def on_commit(self, checkpoint: Checkpoint, records: list[GeneratedRecord]) -> None:
        """Record progress; notice a cancellation (the update is skipped for a final job)."""
        committed = len(records)
        self._records_this_run += committed
        for record in records:
            for step in record.record["provenance"]["steps"].values():
                model = str(step["model_id"])
                self._cost_by_model[model] = self._cost_by_model.get(model, ZERO) + Decimal(
                    str(step["cost"])
                )
        now_monotonic = time.monotonic()
        elapsed = max(now_monotonic - self._started, 1e-6)
        # Compute time and S3 requests accumulate across relaunches (ADD), priced when read.
        compute_seconds = round(now_monotonic - self._last_commit, 3)
        self._last_commit = now_monotonic
        requests = self._s3_requests()
        new_requests = requests - self._requests_reported
        self._requests_reported = requests
        status = self._jobs.record_progress(
            self._job_id,
            {
                "records_generated": checkpoint.records_generated,
                "tokens_used": checkpoint.tokens_used,
                "cost_usd": checkpoint.cost_accumulated,
                "records_per_second": round(self._records_this_run / elapsed, 3),
                "cost_by_model": dict(self._cost_by_model),
                "updated_at": utc_now(),
            },
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
                    "cost_usd": checkpoint.cost_accumulated,
                    "expires_at": int((now + COST_ROW_TTL).timestamp()),
                }
            ),
        )
