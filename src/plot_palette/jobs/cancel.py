"""Cancelling a job: a waiting job leaves the queue, a running job's worker is stopped.

A waiting job's wait ends with ``JobCancelled`` and nothing is made. A running job is marked
CANCELLED first, then its task is stopped: the worker gets SIGTERM, checkpoints what it made,
and reports ``JobCancelled`` (a wedged worker is killed when the task's stop timeout passes, and
the state machine, finding the job CANCELLED, does not relaunch it). Whatever the worker or the
export report afterwards, the state machine keeps CANCELLED: a cancel always wins.

A cancelled job whose execution has not ended yet (it has no ``finished_at``: the state machine
writes it on every way a cancelled job ends) can be cancelled again: the answer is the job, as
for the first cancel, and its task is stopped again, so a client that retries a cancel or a user
who clicks twice never sees a conflict for a cancel that is still taking effect.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError, NotFoundError
from plot_palette.jobs.admission import Admission, cancel_waiting
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import JobsStore, utc_now

LOGGER = logging.getLogger(__name__)


def cancel_job(
    job_id: str,
    user_id: str,
    *,
    jobs: JobsStore,
    admission: Admission,
    ecs: Any,
    cluster: str,
) -> dict[str, Any]:
    """Cancel the caller's job; another user's job is ``NotFoundError`` (never a 403).

    Raises ``ConflictError`` for a job that ended (COMPLETED, FAILED, BUDGET_EXCEEDED, or
    CANCELLED with its execution over).
    """
    job = jobs.get(job_id)
    if job.get("user_id") != user_id:
        raise NotFoundError(f"job {job_id} not found")
    if job["status"] == JobStatus.CANCELLED.value and not job.get("finished_at"):
        _stop_worker(ecs, cluster, job)
        return job
    finals = frozenset(status.value for status in FINAL_STATUSES)
    if job["status"] in finals:
        raise ConflictError(f"job {job_id} already ended ({job['status']})")
    now = utc_now()
    if not jobs.update(
        job_id,
        {"status": JobStatus.CANCELLED.value, "cancelled_at": now, "updated_at": now},
        unless_status=finals,
    ):
        raise ConflictError(f"job {job_id} ended before it could be cancelled")
    if job["status"] == JobStatus.QUEUED.value and job.get("queue_key"):
        cancel_waiting(admission, job["queue_key"], job_id)
    else:
        _stop_worker(ecs, cluster, job)
    return jobs.get(job_id)


def _stop_worker(ecs: Any, cluster: str, job: dict[str, Any]) -> None:
    """Stop the job's worker task, if it has registered one (StopTask again is harmless).

    A worker that has not registered yet finds the job CANCELLED at its first commit and stops
    itself; should it finish first, the state machine still records CANCELLED.
    """
    if not job.get("task_arn"):
        return
    try:
        ecs.stop_task(cluster=cluster, task=job["task_arn"], reason="Cancelled by the job's owner")
    except ClientError as error:  # the task may have stopped on its own meanwhile
        LOGGER.warning("stop_task failed", extra={"code": error.response["Error"]["Code"]})
