"""Cleaning up after executions that died outside their own error handling.

The state machine releases its own slot on every path it controls. An execution that is
aborted, times out or fails outright cannot, so an EventBridge rule on those status changes
calls ``release_after_abnormal_end``: it frees the slot (conditionally, so a second release
changes nothing), fails the job unless it already ended, and admits the next waiting job.
"""

from __future__ import annotations

from typing import Any

from plot_palette.jobs.admission import Admission, dispatch, release_slot
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import JobsStore, utc_now


def release_after_abnormal_end(
    event: dict[str, Any], *, admission: Admission, jobs: JobsStore
) -> dict[str, Any]:
    """Handle an execution status-change event for an ABORTED, FAILED or TIMED_OUT execution."""
    detail = event["detail"]
    job_id = detail["name"]
    released = release_slot(admission, job_id)
    marked = jobs.update(
        job_id,
        {
            "status": JobStatus.FAILED.value,
            "error_code": f"Execution{detail['status'].title().replace('_', '')}",
            "error_message": detail.get("cause") or f"the job's execution ended {detail['status']}",
            "finished_at": utc_now(),
            "updated_at": utc_now(),
        },
        unless_status=frozenset(status.value for status in FINAL_STATUSES),
    )
    admitted = dispatch(admission)
    return {
        "job_id": job_id,
        "slot_released": released,
        "job_marked_failed": marked,
        "admitted": admitted,
    }
