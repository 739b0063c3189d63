"""Concurrency slots: the release that cleans up after executions that died abnormally.

The state machine releases its own slot on every path it controls. An execution that is
aborted, times out or fails outside its handlers cannot, so an EventBridge rule calls
``release_after_abnormal_end``. Both releases are conditional on this execution still holding
the slot, so releasing twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import JobsStore, utc_now

SLOTS_KEY = {"queue_id": {"S": "SLOTS"}, "queue_key": {"S": "SLOTS"}}


def release_slot(client: Any, queue_table: str, holder: str) -> bool:
    """Release ``holder``'s slot; False when it held none (already released, or never had one)."""
    try:
        client.update_item(
            TableName=queue_table,
            Key=SLOTS_KEY,
            UpdateExpression="SET #count = #count - :one REMOVE #holder",
            ConditionExpression="attribute_exists(#holder)",
            ExpressionAttributeNames={"#count": "running_count", "#holder": holder},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_after_abnormal_end(
    event: dict[str, Any], *, client: Any, queue_table: str, jobs: JobsStore
) -> dict[str, Any]:
    """Handle an execution status-change event: free its slot and fail its unfinished job."""
    detail = event["detail"]
    job_id = detail["name"]
    released = release_slot(client, queue_table, job_id)
    marked = jobs.update(
        job_id,
        {
            "status": JobStatus.FAILED.value,
            "error_code": f"Execution{detail['status'].title().replace('_', '')}",
            "error_message": detail.get("cause") or f"execution {detail['status']}",
            "finished_at": utc_now(),
            "updated_at": utc_now(),
        },
        unless_status=frozenset(status.value for status in FINAL_STATUSES),
    )
    return {"job_id": job_id, "slot_released": released, "job_marked_failed": marked}
