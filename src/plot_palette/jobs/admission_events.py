"""The admission function's events: park, release, abnormal execution end, scheduled dispatch.

One function serves the four ways a slot changes hands, so the ordering rules live in one place
(``admission.py``). Events from the state machine carry an ``action``; EventBridge events are
recognised by their ``detail-type``.
"""

from __future__ import annotations

from typing import Any

from plot_palette.jobs.admission import Admission, dispatch, park, release_slot
from plot_palette.jobs.slots import release_after_abnormal_end
from plot_palette.jobs.store import JobsStore

STATUS_CHANGE = "Step Functions Execution Status Change"
SCHEDULED = "Scheduled Event"


def handle_admission_event(
    event: dict[str, Any], *, admission: Admission, jobs: JobsStore
) -> dict[str, Any]:
    """Route one event; every branch is safe to repeat."""
    action = event.get("action")
    if action == "park":
        admitted = park(admission, event["job_id"], event["queue_key"], event["task_token"])
        return {"parked": event["job_id"], "admitted": admitted}
    if action == "release":
        released = release_slot(admission, event["job_id"])
        return {"released": released, "admitted": dispatch(admission)}
    if event.get("detail-type") == STATUS_CHANGE:
        return release_after_abnormal_end(event, admission=admission, jobs=jobs)
    if event.get("detail-type") == SCHEDULED or action == "dispatch":
        return {"admitted": dispatch(admission)}
    raise ValueError(
        f"unknown admission event: action={action!r} detail-type={event.get('detail-type')!r}"
    )
