"""Cleaning up slots that their executions will never release.

The state machine releases its own slot on every path it controls. An execution that is
aborted, times out or fails outright cannot, so an EventBridge rule on those status changes
calls ``release_after_abnormal_end``: it frees the slot (conditionally, so a second release
changes nothing), fails the job unless it already ended, and admits the next waiting job.

Neither covers a release that keeps failing until the execution gives up on it, nor a rule
event that never arrives. The safety dispatch therefore reconciles the SLOTS item each minute
(``release_abandoned_slots``): a holder whose execution has ended, whose job does not exist, or
whose job ended long enough ago, is released.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from plot_palette.errors import NotFoundError
from plot_palette.jobs.admission import (
    LIVE_EXECUTION_STATUSES,
    Admission,
    dispatch,
    execution_status,
    held_slots,
    release_slot,
)
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import JobsStore, utc_now

LOGGER = logging.getLogger(__name__)
_FINALS = frozenset(status.value for status in FINAL_STATUSES)
_ABNORMAL_ENDS = frozenset({"FAILED", "ABORTED", "TIMED_OUT"})


def release_after_abnormal_end(
    event: dict[str, Any], *, admission: Admission, jobs: JobsStore
) -> dict[str, Any]:
    """Handle an execution status-change event for an ABORTED, FAILED or TIMED_OUT execution."""
    detail = event["detail"]
    job_id = detail["name"]
    released = release_slot(admission, job_id)
    marked = _fail_unless_ended(jobs, job_id, detail["status"], detail.get("cause"))
    admitted = dispatch(admission)
    return {
        "job_id": job_id,
        "slot_released": released,
        "job_marked_failed": marked,
        "admitted": admitted,
    }


def _fail_unless_ended(jobs: JobsStore, job_id: str, status: str, cause: str | None) -> bool:
    """Mark a job FAILED after its execution ended abnormally, unless it already ended."""
    now = utc_now()
    return jobs.update(
        job_id,
        {
            "status": JobStatus.FAILED.value,
            "error_code": f"Execution{status.title().replace('_', '')}",
            "error_message": cause or f"the job's execution ended {status}",
            "finished_at": now,
            "updated_at": now,
        },
        unless_status=_FINALS,
    )


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as written by ``utc_now`` or Step Functions; None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _older_than(value: Any, seconds: float, now: datetime) -> bool:
    """Whether a timestamp is at least ``seconds`` old; a missing or unreadable one counts as
    old (nothing tells when it was, so nothing argues for waiting longer)."""
    moment = parse_time(value)
    return moment is None or (now - moment).total_seconds() >= seconds


def slot_is_abandoned(
    job: dict[str, Any] | None,
    execution: str | None,
    *,
    now: datetime,
    grace_seconds: float,
) -> bool:
    """Whether nothing will use or release the slot of this job any more.

    ``execution`` is the status of the job's execution (None when unknown). A live execution
    keeps its slot whatever the job's status: a CANCELLED job's worker may still be stopping,
    checkpointing and exporting, and the execution releases the slot when it ends. An ended
    execution can do neither. Without the execution, the job decides: one that does not exist
    never releases; one that ended ``grace_seconds`` ago is past its own release — except a
    CANCELLED job not yet finished (``finished_at`` unset), whose worker may still run.
    """
    if execution is not None:
        return execution not in LIVE_EXECUTION_STATUSES
    if job is None:
        return True
    if job.get("status") not in _FINALS:
        return False
    if job["status"] == JobStatus.CANCELLED.value and not job.get("finished_at"):
        return False
    ended = job.get("finished_at") or job.get("updated_at") or job.get("cancelled_at")
    return _older_than(ended, grace_seconds, now)


def release_abandoned_slots(
    admission: Admission, jobs: JobsStore, *, now: datetime | None = None
) -> list[str]:
    """Release every slot whose holder will never release it (see ``slot_is_abandoned``).

    A slot taken less than ``release_grace_seconds`` ago is left alone: its job may be between
    the take and the grant. A job whose execution ended abnormally while it still looked alive
    (the cleanup rule's event never came) is marked FAILED as the rule would have.
    """
    moment = now or datetime.now(UTC)
    released: list[str] = []
    for job_id, taken_at in held_slots(admission).items():
        if not _older_than(taken_at, admission.release_grace_seconds, moment):
            continue
        execution = execution_status(admission, job_id)
        try:
            job: dict[str, Any] | None = jobs.get(job_id)
        except NotFoundError:
            job = None
        if not slot_is_abandoned(
            job, execution, now=moment, grace_seconds=admission.release_grace_seconds
        ):
            continue
        if release_slot(admission, job_id):
            released.append(job_id)
        if job is not None and execution in _ABNORMAL_ENDS:
            _fail_unless_ended(jobs, job_id, execution, None)
    if released:
        LOGGER.warning("released abandoned slots", extra={"job_ids": released})
    return released
