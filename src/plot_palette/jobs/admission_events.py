"""The admission function's events: park, release, abnormal ends, stopped workers, dispatch.

One function serves the four ways a slot changes hands, so the ordering rules live in one place
(``admission.py``). Events from the state machine carry an ``action``; EventBridge events are
recognised by their ``detail-type``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from plot_palette.jobs.admission import (
    Admission,
    dispatch,
    finish_cancels,
    park,
    release_slot,
    resume_stale_grants,
)
from plot_palette.jobs.quotas import QuotaStore, settle_job
from plot_palette.jobs.slots import release_abandoned_slots, release_after_abnormal_end
from plot_palette.jobs.store import JobsStore
from plot_palette.jobs.task_stops import TASK_STATE_CHANGE, report_stopped_task

LOGGER = logging.getLogger(__name__)
STATUS_CHANGE = "Step Functions Execution Status Change"
SCHEDULED = "Scheduled Event"


def handle_admission_event(
    event: dict[str, Any],
    *,
    admission: Admission,
    jobs: JobsStore,
    quotas: QuotaStore | None = None,
) -> dict[str, Any]:
    """Route one event; every branch is safe to repeat.

    A job that ends (its release, or its execution's abnormal end) gives its user back the
    part of its reserved budget it did not spend (``quotas``).
    """
    action = event.get("action")
    if action == "park":
        admitted = park(admission, event["job_id"], event["queue_key"], event["task_token"])
        return {"parked": event["job_id"], "admitted": admitted}
    if action == "release":
        released = release_slot(admission, event["job_id"])
        result = {"released": released, "admitted": dispatch(admission)}
        if quotas is not None:
            result["unspent_released_usd"] = settle_job(quotas, jobs, event["job_id"])
        return result
    if event.get("detail-type") == STATUS_CHANGE:
        result = release_after_abnormal_end(event, admission=admission, jobs=jobs)
        if quotas is not None:
            result["unspent_released_usd"] = settle_job(quotas, jobs, event["detail"]["name"])
        return result
    if event.get("detail-type") == TASK_STATE_CHANGE:
        return report_stopped_task(event, sfn=admission.sfn)
    if event.get("detail-type") == SCHEDULED or action == "dispatch":
        return safety_dispatch(admission, jobs)
    raise ValueError(
        f"unknown admission event: action={action!r} detail-type={event.get('detail-type')!r}"
    )


def safety_dispatch(
    admission: Admission, jobs: JobsStore, *, now: datetime | None = None
) -> dict[str, Any]:
    """The periodic pass that repairs what a lost event or a crash left behind.

    In order: release slots nobody will release (a release that kept failing, a cleanup event
    that never came), send again grants left unanswered (a dispatcher died between its claim
    and ``SendTaskSuccess``), then grant free slots. Each step runs even if an earlier one
    failed — a failing reconciliation must not stop admissions — and the first failure is
    raised afterwards, so the invocation still reports it.
    """
    steps: dict[str, Callable[[], list[str]]] = {
        "released": lambda: release_abandoned_slots(admission, jobs, now=now),
        "resumed": lambda: resume_stale_grants(admission, now=now),
        "cancelled": lambda: finish_cancels(admission),
        "admitted": lambda: dispatch(admission),
    }
    result: dict[str, Any] = {}
    failure: Exception | None = None
    for name, step in steps.items():
        try:
            result[name] = step()
        except (ClientError, BotoCoreError) as error:
            LOGGER.exception("safety dispatch step failed", extra={"step": name})
            result[name] = []
            failure = failure or error
    if failure is not None:
        raise failure
    return result
