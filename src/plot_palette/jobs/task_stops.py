"""A worker task that stopped: tell the waiting execution at once, with ECS's reason.

The state machine waits on ``ecs:runTask.waitForTaskToken`` for the worker to call back. A task
that never starts (the image is not pushed yet: ``CannotPullContainerError``; no network:
``ResourceInitializationError``) or that dies without reporting (killed by the OOM killer, a
crash before its handler runs) never calls back, and the execution would wait out heartbeat
timeouts (about 30 minutes) and then blame a Spot interruption.

EventBridge announces every stop as an "ECS Task State Change" whose detail carries the task's
container overrides, so the task token the execution gave it, and ECS's ``stopCode`` and
``stoppedReason``. This module turns that event into ``SendTaskFailure`` on that token:

- ``SpotInterruption``: ``SpotInterrupted``, the error a worker reports itself on SIGTERM, so the
  execution relaunches from the checkpoint;
- ``TaskFailedToStart``: ``WorkerFailedToStart``; nothing ran, a relaunch would fail the same
  way, so the job fails with the reason;
- anything else (the container exited, the task was stopped): ``WorkerStopped``, relaunched
  from the checkpoint and counted against ``MaxWorkerRelaunches`` like an interruption.

A worker that did call back spent its token first: the failure is then refused
(``TaskTimedOut``/``InvalidToken``), which is the normal case and not an error. Tasks that carry
no token (not started by the state machine) are ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

LOGGER = logging.getLogger(__name__)
TASK_STATE_CHANGE = "ECS Task State Change"
TOKEN_GONE = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
MAX_CAUSE = 32768  # SendTaskFailure's limit on ``cause``

# What the state machine's Catch on "Run Generation Worker" does with each error.
SPOT_INTERRUPTED = "SpotInterrupted"
FAILED_TO_START = "WorkerFailedToStart"
STOPPED = "WorkerStopped"


def _environment(detail: dict[str, Any]) -> dict[str, str]:
    """The environment overrides of the task's containers (where the token travels)."""
    found: dict[str, str] = {}
    for container in detail.get("overrides", {}).get("containerOverrides", []):
        for variable in container.get("environment", []):
            found[str(variable.get("name"))] = str(variable.get("value"))
    return found


def stop_error(detail: dict[str, Any]) -> tuple[str, str]:
    """The error and cause a stopped task means for its execution."""
    code = str(detail.get("stopCode") or "")
    reason = str(detail.get("stoppedReason") or "no reason given")
    exits = [
        f"{container.get('name', 'container')} exit code {container['exitCode']}"
        for container in detail.get("containers", [])
        if container.get("exitCode") is not None
    ]
    cause = f"ECS stopped the worker task ({code or 'no stop code'}): {reason}"
    if exits:
        cause += f" [{', '.join(exits)}]"
    if code == "SpotInterruption":
        return SPOT_INTERRUPTED, cause
    if code == "TaskFailedToStart":
        return FAILED_TO_START, cause
    return STOPPED, cause


def report_stopped_task(event: dict[str, Any], *, sfn: Any) -> dict[str, Any]:
    """Fail the execution's wait for a task that stopped; safe to repeat."""
    detail = event.get("detail", {})
    token = _environment(detail).get("TASK_TOKEN")
    job_id = _environment(detail).get("JOB_ID")
    if detail.get("lastStatus") != "STOPPED" or not token:
        return {"task": detail.get("taskArn"), "reported": None}
    error, cause = stop_error(detail)
    try:
        sfn.send_task_failure(taskToken=token, error=error, cause=cause[:MAX_CAUSE])
    except ClientError as failure:
        if failure.response["Error"]["Code"] not in TOKEN_GONE:
            raise
        # The worker called back before it stopped (or an earlier delivery did): nothing waits.
        return {"task": detail.get("taskArn"), "job_id": job_id, "reported": None}
    LOGGER.warning(
        "worker task stopped before it called back",
        extra={"job_id": job_id, "task_arn": detail.get("taskArn"), "error": error, "cause": cause},
    )
    return {"task": detail.get("taskArn"), "job_id": job_id, "reported": error}
