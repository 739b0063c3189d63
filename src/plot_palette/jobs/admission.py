"""Admission: at most ``MaxConcurrentJobs`` jobs hold a slot; waiting jobs are granted one in order.

No execution polls for a slot. Each execution parks its task token on its queue item
(``lambda:invoke.waitForTaskToken``) and waits without spending state transitions. Whoever
frees a slot — the job's own release, the cleanup rule for executions that died, or a periodic
safety dispatch — calls ``dispatch``, which grants free slots to parked jobs in queue order
(higher priority first, FIFO within a priority) and resumes them with ``SendTaskSuccess``.

Every step is a conditional write, so concurrent dispatchers never grant more slots than the
limit nor the same slot twice, and releasing twice changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.jobs.store import QUEUED_PARTITION, utc_now

LOGGER = logging.getLogger(__name__)
SLOTS_KEY = {"queue_id": {"S": "SLOTS"}, "queue_key": {"S": "SLOTS"}}
_TOKEN_GONE = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"}


@dataclass(frozen=True)
class Admission:
    """The Queue table and the Step Functions client admission works with."""

    dynamodb: Any
    sfn: Any
    queue_table: str
    limit: int
    jobs_table: str | None = None


def _conditional(call: Any, **request: Any) -> bool:
    try:
        call(**request)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def take_slot(admission: Admission, holder: str) -> bool:
    """Take a slot for ``holder`` if one is free; False when all are taken or it holds one."""
    return _conditional(
        admission.dynamodb.update_item,
        TableName=admission.queue_table,
        Key=SLOTS_KEY,
        UpdateExpression="SET #count = if_not_exists(#count, :zero) + :one, #holder = :now",
        ConditionExpression=(
            "(attribute_not_exists(#count) OR #count < :limit) AND attribute_not_exists(#holder)"
        ),
        ExpressionAttributeNames={"#count": "running_count", "#holder": holder},
        ExpressionAttributeValues={
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
            ":limit": {"N": str(admission.limit)},
            ":now": {"S": utc_now()},
        },
    )


def release_slot(admission: Admission, holder: str) -> bool:
    """Release ``holder``'s slot; False when it held none (released already, or never granted)."""
    return _conditional(
        admission.dynamodb.update_item,
        TableName=admission.queue_table,
        Key=SLOTS_KEY,
        UpdateExpression="SET #count = #count - :one REMOVE #holder",
        ConditionExpression="attribute_exists(#holder)",
        ExpressionAttributeNames={"#count": "running_count", "#holder": holder},
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def slots_in_use(admission: Admission) -> int:
    """How many slots are held now."""
    item = admission.dynamodb.get_item(
        TableName=admission.queue_table, Key=SLOTS_KEY, ConsistentRead=True
    ).get("Item", {})
    return int(item.get("running_count", {"N": "0"})["N"])


def _holds_slot(admission: Admission, holder: str) -> bool:
    item = admission.dynamodb.get_item(
        TableName=admission.queue_table, Key=SLOTS_KEY, ConsistentRead=True
    ).get("Item", {})
    return holder in item


def park(admission: Admission, job_id: str, queue_key: str, task_token: str) -> list[str]:
    """Park a job's task token on its queue item, then dispatch (it may be admitted at once).

    A job whose queue item is gone was cancelled while its execution started: its execution is
    told so at once (``JobCancelled``) instead of waiting for a slot it must not take.
    """
    parked = _conditional(
        admission.dynamodb.update_item,
        TableName=admission.queue_table,
        Key={"queue_id": {"S": QUEUED_PARTITION}, "queue_key": {"S": queue_key}},
        UpdateExpression="SET task_token = :token, parked_at = :now",
        ConditionExpression="attribute_exists(queue_key)",
        ExpressionAttributeValues={":token": {"S": task_token}, ":now": {"S": utc_now()}},
    )
    if not parked:
        _send_failure(admission, task_token, "JobCancelled", f"job {job_id} left the queue")
        return []
    return dispatch(admission)


def dispatch(admission: Admission) -> list[str]:
    """Grant free slots to parked jobs in queue order; return the job ids resumed."""
    granted: list[str] = []
    for item in _parked_in_order(admission):
        job_id = item["job_id"]["S"]
        if not take_slot(admission, job_id):
            if _holds_slot(admission, job_id):
                continue  # another dispatcher is granting this job right now
            break  # every slot is taken: the rest keep waiting, in order
        granted_at = utc_now()
        claimed = _conditional(
            admission.dynamodb.update_item,
            TableName=admission.queue_table,
            Key={"queue_id": item["queue_id"], "queue_key": item["queue_key"]},
            UpdateExpression="SET granted_at = :now",
            ConditionExpression="attribute_exists(task_token) AND attribute_not_exists(granted_at)",
            ExpressionAttributeValues={":now": {"S": granted_at}},
        )
        if not claimed:
            release_slot(admission, job_id)
            continue
        try:
            admission.sfn.send_task_success(
                taskToken=item["task_token"]["S"], output=json.dumps({"granted": True})
            )
        except ClientError as error:
            if error.response["Error"]["Code"] not in _TOKEN_GONE:
                raise
            # The execution stopped waiting (aborted or timed out): free its slot again.
            release_slot(admission, job_id)
            admission.dynamodb.delete_item(
                TableName=admission.queue_table,
                Key={"queue_id": item["queue_id"], "queue_key": item["queue_key"]},
            )
            continue
        granted.append(job_id)
        if admission.jobs_table:
            # When the job was admitted: the dashboard shows how long it waited.
            admission.dynamodb.update_item(
                TableName=admission.jobs_table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="SET admitted_at = :at",
                ExpressionAttributeValues={":at": {"S": granted_at}},
            )
    if granted:
        LOGGER.info("admitted waiting jobs", extra={"job_ids": granted})
    return granted


def _parked_in_order(admission: Admission) -> list[dict[str, Any]]:
    paginator = admission.dynamodb.get_paginator("query")
    items: list[dict[str, Any]] = []
    for page in paginator.paginate(
        TableName=admission.queue_table,
        KeyConditionExpression="queue_id = :queued",
        FilterExpression="attribute_exists(task_token) AND attribute_not_exists(granted_at)",
        ExpressionAttributeValues={":queued": {"S": QUEUED_PARTITION}},
        ConsistentRead=True,
    ):
        items.extend(page["Items"])
    return items


def leave_queue(admission: Admission, queue_key: str) -> dict[str, Any] | None:
    """Delete a job's queue item; return it as it was (None when it had already left)."""
    response = admission.dynamodb.delete_item(
        TableName=admission.queue_table,
        Key={"queue_id": {"S": QUEUED_PARTITION}, "queue_key": {"S": queue_key}},
        ReturnValues="ALL_OLD",
    )
    attributes: dict[str, Any] | None = response.get("Attributes")
    return attributes


def _send_failure(admission: Admission, token: str, error: str, cause: str) -> None:
    try:
        admission.sfn.send_task_failure(taskToken=token, error=error, cause=cause)
    except ClientError as failure:
        if failure.response["Error"]["Code"] not in _TOKEN_GONE:
            raise


def cancel_waiting(admission: Admission, queue_key: str, job_id: str) -> bool:
    """Take a waiting job out of the queue and end its wait with ``JobCancelled``."""
    item = leave_queue(admission, queue_key)
    if item is None:
        return False
    if "task_token" in item and "granted_at" not in item:
        _send_failure(admission, item["task_token"]["S"], "JobCancelled", f"job {job_id} cancelled")
    return True
