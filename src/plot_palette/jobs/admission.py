"""Admission: at most ``MaxConcurrentJobs`` jobs hold a slot; waiting jobs are granted one in order.

No execution polls for a slot. Each execution parks its task token on its queue item
(``lambda:invoke.waitForTaskToken``) and waits without spending state transitions. Whoever
frees a slot — the job's own release, the cleanup rule for executions that died, or a periodic
safety dispatch — calls ``dispatch``, which grants free slots to parked jobs in order (higher
priority first; within a priority, fairly between users, see ``fair_share``) and resumes them
with ``SendTaskSuccess``.

Every step is a conditional write, so concurrent dispatchers never grant more slots than the
limit nor the same slot twice, and releasing twice changes nothing. Every step is also safe to
repeat by the one who made it, because the SDK repeats a write whose response was lost after it
applied: taking a slot the job already holds counts as taken, and a grant is claimed with an id
of its own, so a claim's retry finds its own id and succeeds. A dispatcher that loses a claim
frees nothing: the slot is the job's, whoever took it, and the winner resumes the job.

A grant whose ``SendTaskSuccess`` never happened (the dispatcher died after the claim) is found
by the safety dispatch (``resume_stale_grants``) and sent again. An answer that the task token
is gone never frees a slot blindly: only an execution that has ended gives its slot up here.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from plot_palette.jobs.fair_share import fair_order
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import QUEUED_PARTITION, utc_now
from plot_palette.jobs.task_stops import TOKEN_GONE

LOGGER = logging.getLogger(__name__)
SLOTS_KEY = {"queue_id": {"S": "SLOTS"}, "queue_key": {"S": "SLOTS"}}
_SLOTS_ATTRIBUTES = frozenset({"queue_id", "queue_key", "running_count"})
# An execution in these states may still use (and will itself release) its slot. A redrive
# turns a FAILED execution back into RUNNING, so one waiting for it counts as live too.
LIVE_EXECUTION_STATUSES = frozenset({"RUNNING", "PENDING_REDRIVE"})
_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Admission:
    """The Queue table and the Step Functions client admission works with.

    ``state_machine_arn`` lets admission ask whether a job's execution (named by the job id) is
    still running before it frees that job's slot; without it, doubtful slots are left for the
    cleanup rule. ``grant_grace_seconds`` is how long a grant may stay unanswered before the
    safety dispatch sends it again; ``release_grace_seconds`` how long a slot is left to its
    execution's own release before the safety dispatch checks whether it was abandoned.
    """

    dynamodb: Any
    sfn: Any
    queue_table: str
    limit: int
    jobs_table: str | None = None
    state_machine_arn: str | None = None
    grant_grace_seconds: float = 30.0
    release_grace_seconds: float = 60.0
    per_user_limit: int = 0


def _conditional(call: Any, **request: Any) -> tuple[bool, dict[str, Any] | None]:
    """Apply a conditional write; on a failed condition return the item as it was then.

    The item comes with the failure itself (``ReturnValuesOnConditionCheckFailure``), so the
    caller learns why the condition failed from the same atomic read, not from a later one.
    """
    try:
        call(**request, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            item = error.response.get("Item")
            return False, item if isinstance(item, dict) else None
        raise
    return True, None


def slot_holders(slots_item: dict[str, Any]) -> dict[str, str]:
    """The holders on a SLOTS item: job id → when its slot was taken."""
    return {
        name: value.get("S", "")
        for name, value in slots_item.items()
        if name not in _SLOTS_ATTRIBUTES
    }


def _take(admission: Admission, holder: str) -> tuple[bool, dict[str, Any] | None]:
    """Take a slot for ``holder``; ``(held, slots item when the take was refused)``."""
    taken, old = _conditional(
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
    if taken:
        return True, None
    # Refused: either every slot is taken, or ``holder`` holds one already — this very take,
    # applied once and retried by the SDK after its response was lost, or a take by another
    # dispatcher. A slot the job holds is the job's: it counts as taken.
    return holder in (old or {}), old


def take_slot(admission: Admission, holder: str) -> bool:
    """Take a slot for ``holder``; True when it holds one now (taken here or before), False when
    every slot is taken by others."""
    return _take(admission, holder)[0]


def release_slot(admission: Admission, holder: str) -> bool:
    """Release ``holder``'s slot; False when it held none (released already, or never granted)."""
    released, _ = _conditional(
        admission.dynamodb.update_item,
        TableName=admission.queue_table,
        Key=SLOTS_KEY,
        UpdateExpression="SET #count = #count - :one REMOVE #holder",
        ConditionExpression="attribute_exists(#holder)",
        ExpressionAttributeNames={"#count": "running_count", "#holder": holder},
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    return released


def _slots_item(admission: Admission) -> dict[str, Any]:
    item: dict[str, Any] = admission.dynamodb.get_item(
        TableName=admission.queue_table, Key=SLOTS_KEY, ConsistentRead=True
    ).get("Item", {})
    return item


def slots_in_use(admission: Admission) -> int:
    """How many slots are held now."""
    return int(_slots_item(admission).get("running_count", {"N": "0"})["N"])


def held_slots(admission: Admission) -> dict[str, str]:
    """Every holder of a slot now: job id → when it took the slot."""
    return slot_holders(_slots_item(admission))


def execution_arn(state_machine_arn: str, job_id: str) -> str:
    """The ARN of a job's execution: ``start_job`` names each execution by its job id."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{job_id}"


def execution_status(admission: Admission, job_id: str) -> str | None:
    """The status of the job's execution (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED,
    PENDING_REDRIVE); None when it cannot be known (no state machine ARN, no such execution)."""
    if not admission.state_machine_arn:
        return None
    try:
        described = admission.sfn.describe_execution(
            executionArn=execution_arn(admission.state_machine_arn, job_id)
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return None
        raise
    status: str = described["status"]
    return status


def park(admission: Admission, job_id: str, queue_key: str, task_token: str) -> list[str]:
    """Park a job's task token on its queue item, then dispatch (it may be admitted at once).

    A job whose queue item is gone was cancelled while its execution started: its execution is
    told so at once (``JobCancelled``) instead of waiting for a slot it must not take. Once the
    token is parked the job is safe in the queue: a dispatch that fails here is left to the next
    one (every release, and the safety dispatch each minute), instead of failing the job.
    """
    try:
        response = admission.dynamodb.update_item(
            TableName=admission.queue_table,
            Key={"queue_id": {"S": QUEUED_PARTITION}, "queue_key": {"S": queue_key}},
            UpdateExpression="SET task_token = :token, parked_at = :now",
            ConditionExpression="attribute_exists(queue_key)",
            ExpressionAttributeValues={":token": {"S": task_token}, ":now": {"S": utc_now()}},
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        _send_failure(admission, task_token, "JobCancelled", f"job {job_id} left the queue")
        return []
    if "cancelled_at" in response.get("Attributes", {}):
        # Cancelled while this execution was starting: the cancel may not have seen the token.
        finish_cancel(admission, response["Attributes"])
        return []
    try:
        return dispatch(admission)
    except (ClientError, BotoCoreError):
        LOGGER.warning("dispatch after parking failed; the next dispatch admits", exc_info=True)
        return []


def dispatch(admission: Admission) -> list[str]:
    """Grant free slots to parked jobs in queue order; return the job ids resumed.

    Once every slot is taken, later jobs keep waiting in order, except a job that holds a slot
    already: its take applied and its grant never followed (a dispatcher died in between), so it
    is granted now rather than left holding a slot it cannot use.
    """
    granted: list[str] = []
    holders_when_full: set[str] | None = None
    for item in _parked_in_order(admission):
        job_id = item["job_id"]["S"]
        if holders_when_full is None:
            held, slots = _take(admission, job_id)
            if not held:
                holders_when_full = set(slot_holders(slots or {}))
                continue
        elif job_id not in holders_when_full:
            continue
        if _grant(admission, item):
            granted.append(job_id)
    if granted:
        LOGGER.info("admitted waiting jobs", extra={"job_ids": granted})
    return granted


def _grant(admission: Admission, item: dict[str, Any]) -> bool:
    """Claim the grant of a parked job that holds a slot, then resume its execution."""
    job_id = item["job_id"]["S"]
    granted_at = utc_now()
    grant_id = uuid.uuid4().hex
    claimed, current = _conditional(
        admission.dynamodb.update_item,
        TableName=admission.queue_table,
        Key={"queue_id": item["queue_id"], "queue_key": item["queue_key"]},
        UpdateExpression="SET granted_at = :now, granted_by = :me",
        # ``granted_by = :me``: the SDK's retry of this very claim, applied once already
        ConditionExpression=(
            "attribute_exists(task_token) AND "
            "(attribute_not_exists(granted_at) OR granted_by = :me)"
        ),
        ExpressionAttributeValues={":now": {"S": granted_at}, ":me": {"S": grant_id}},
    )
    if not claimed:
        if current is None:
            # The job left the queue since it was read: cancelled, its execution ended, or
            # another dispatcher granted it and it moved on. Only an ended execution's slot is
            # surely free to give back; any other is left to its execution and the safety net.
            status = execution_status(admission, job_id)
            if status is not None and status not in LIVE_EXECUTION_STATUSES:
                _give_back(admission, job_id, status)
        # Otherwise another dispatcher claimed it: the slot is the job's, the winner resumes it.
        return False
    return _resume(admission, item, granted_at)


def _resume(admission: Admission, item: dict[str, Any], granted_at: str) -> bool:
    """Send ``SendTaskSuccess`` for a claimed grant; True when the job was resumed."""
    job_id = item["job_id"]["S"]
    try:
        admission.sfn.send_task_success(
            taskToken=item["task_token"]["S"], output=json.dumps({"granted": True})
        )
    except ClientError as error:
        if error.response["Error"]["Code"] not in TOKEN_GONE:
            raise
        # The token was answered already — by this very call, applied once and retried after
        # its response was lost, or by an earlier send — or the execution stopped waiting.
        # Only an ended execution gives its slot back; a live one owns it (and releases it).
        status = execution_status(admission, job_id)
        if status is None:
            LOGGER.warning("token gone, execution unknown: slot left", extra={"job": job_id})
            return False
        if status not in LIVE_EXECUTION_STATUSES:
            _give_back(admission, job_id, status, item)
            return False
    if admission.jobs_table:
        _note_admission(admission, job_id, granted_at)
    return True


def _note_admission(admission: Admission, job_id: str, granted_at: str) -> None:
    """When the job was admitted (the dashboard shows how long it waited); the first grant's
    time stays, and a job that does not exist is not created by it."""
    _conditional(
        admission.dynamodb.update_item,
        TableName=admission.jobs_table,
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET admitted_at = if_not_exists(admitted_at, :at)",
        ConditionExpression="attribute_exists(job_id)",
        ExpressionAttributeValues={":at": {"S": granted_at}},
    )


def _give_back(
    admission: Admission, job_id: str, status: str, item: dict[str, Any] | None = None
) -> None:
    """Release the slot of a job whose execution has ended, and drop its queue item.

    An ended execution can neither use the slot nor release it any more (its release states
    are behind it); releasing is conditional, so a release that raced this one changes nothing.
    """
    release_slot(admission, job_id)
    if item is not None:
        _drop(admission, item)
    LOGGER.info("slot of an ended execution given back", extra={"job": job_id, "status": status})


def _drop(admission: Admission, item: dict[str, Any]) -> None:
    """Delete a queue item, only as it was read (same task token)."""
    _conditional(
        admission.dynamodb.delete_item,
        TableName=admission.queue_table,
        Key={"queue_id": item["queue_id"], "queue_key": item["queue_key"]},
        ConditionExpression="task_token = :token",
        ExpressionAttributeValues={":token": item["task_token"]},
    )


def _query_queued(
    admission: Admission, filter_expression: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    paginator = admission.dynamodb.get_paginator("query")
    items: list[dict[str, Any]] = []
    for page in paginator.paginate(
        TableName=admission.queue_table,
        KeyConditionExpression="queue_id = :queued",
        FilterExpression=filter_expression,
        ExpressionAttributeValues={":queued": {"S": QUEUED_PARTITION}, **values},
        ConsistentRead=True,
    ):
        items.extend(page["Items"])
    return items


def _parked_in_order(admission: Admission) -> list[dict[str, Any]]:
    """Parked jobs in the order they get slots: by priority, then fairly between users
    (``fair_share``), leaving out users at their cap."""
    parked = _query_queued(
        admission,
        "attribute_exists(task_token) AND attribute_not_exists(granted_at)"
        " AND attribute_not_exists(cancelled_at)",
        {},
    )
    if not parked:
        return []
    running = _query_queued(admission, "attribute_exists(granted_at)", {})
    return fair_order(parked, running, admission.per_user_limit)


def finish_cancels(admission: Admission) -> list[str]:
    """End the waits of cancelled jobs whose cancel stopped half-way (the safety pass's part).

    A cancel marks the queue item first, then tells the execution and removes the item; one
    that died in between leaves a marked item, found and finished here.
    """
    finished = []
    for item in _query_queued(admission, "attribute_exists(cancelled_at)", {}):
        finish_cancel(admission, item)
        finished.append(item["job_id"]["S"])
    return finished


def finish_cancel(admission: Admission, item: dict[str, Any]) -> None:
    """Tell a cancelled job's waiting execution (if it has parked) and remove its queue item."""
    job_id = item["job_id"]["S"]
    if "task_token" in item:
        _send_failure(admission, item["task_token"]["S"], "JobCancelled", f"job {job_id} cancelled")
    leave_queue(admission, item["queue_key"]["S"])


def resume_stale_grants(admission: Admission, *, now: datetime | None = None) -> list[str]:
    """Send again the grants left unanswered longer than ``grant_grace_seconds``.

    A dispatcher that died after claiming a grant and before ``SendTaskSuccess`` leaves its job
    waiting (up to the 14-day timeout) while holding a slot. The job is resumed only while it
    still waits (status QUEUED) and still holds its slot; should its slot be gone and none be
    free, the grant is withdrawn and the job waits in line again.
    """
    moment = now or datetime.now(UTC)
    cutoff = (moment - timedelta(seconds=admission.grant_grace_seconds)).strftime(_TIMESTAMP)
    resumed: list[str] = []
    for item in _query_queued(
        admission,
        "attribute_exists(task_token) AND granted_at <= :cutoff"
        " AND attribute_not_exists(cancelled_at)",
        {":cutoff": {"S": cutoff}},
    ):
        job_id = item["job_id"]["S"]
        status = _job_status(admission, job_id)
        if status is not None and status != JobStatus.QUEUED.value:
            # The grant took effect (the execution marked the job RUNNING and is about to leave
            # the queue) or the job ended: nothing to resume. A leftover of an ended execution
            # goes; its slot is the reconciler's to judge.
            _drop_if_ended(admission, job_id, item)
            continue
        if not take_slot(admission, job_id):
            _withdraw(admission, item)
            continue
        if _resume(admission, item, item["granted_at"]["S"]):
            resumed.append(job_id)
    if resumed:
        LOGGER.info("resumed unanswered grants", extra={"job_ids": resumed})
    return resumed


def _job_status(admission: Admission, job_id: str) -> str | None:
    if not admission.jobs_table:
        return None
    item = admission.dynamodb.get_item(
        TableName=admission.jobs_table,
        Key={"job_id": {"S": job_id}},
        ConsistentRead=True,
        ProjectionExpression="#status",
        ExpressionAttributeNames={"#status": "status"},
    ).get("Item")
    return None if item is None else str(item["status"]["S"])


def _drop_if_ended(admission: Admission, job_id: str, item: dict[str, Any]) -> None:
    status = execution_status(admission, job_id)
    if status is not None and status not in LIVE_EXECUTION_STATUSES:
        _drop(admission, item)


def _withdraw(admission: Admission, item: dict[str, Any]) -> None:
    """Put a granted job that holds no slot back in line (only the grant that was read)."""
    _conditional(
        admission.dynamodb.update_item,
        TableName=admission.queue_table,
        Key={"queue_id": item["queue_id"], "queue_key": item["queue_key"]},
        UpdateExpression="REMOVE granted_at, granted_by",
        ConditionExpression="granted_at = :at",
        ExpressionAttributeValues={":at": item["granted_at"]},
    )


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
        if failure.response["Error"]["Code"] not in TOKEN_GONE:
            raise


def cancel_waiting(admission: Admission, queue_key: str, job_id: str) -> bool:
    """Take a waiting job out of the queue and end its wait with ``JobCancelled``.

    The wait is ended whether or not a grant was claimed: a grant whose ``SendTaskSuccess``
    never came would otherwise keep the execution waiting, slot held, for 14 days. The
    execution releases its slot on ``JobCancelled``; a token already answered (the grant took
    effect) refuses the failure, and the execution finds the job CANCELLED when it marks it
    running.

    The queue item is marked cancelled first, so every later step can be driven again: a job
    that parks its token after the mark is told by ``park`` itself, and a cancel that dies after
    the mark is finished by the safety pass (``finish_cancels``). Deleting the item first, as an
    earlier version did, lost the token for good when the cancel died before telling it.
    """
    try:
        response = admission.dynamodb.update_item(
            TableName=admission.queue_table,
            Key={"queue_id": {"S": QUEUED_PARTITION}, "queue_key": {"S": queue_key}},
            UpdateExpression="SET cancelled_at = if_not_exists(cancelled_at, :now)",
            ConditionExpression="attribute_exists(queue_key)",
            ExpressionAttributeValues={":now": {"S": utc_now()}},
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    finish_cancel(admission, response["Attributes"])
    return True


@dataclass(frozen=True)
class SlotReport:
    """Slots as they stand, against the jobs that run: what the invariants are checked on.

    ``holders`` maps each job holding a slot to when it took it; ``counter`` is the SLOTS
    item's ``running_count``; ``running`` the jobs whose status is RUNNING or EXPORTING.
    """

    holders: dict[str, str]
    counter: int
    running: frozenset[str]

    @property
    def balanced(self) -> bool:
        """The counter counts the holders."""
        return self.counter == len(self.holders)

    @property
    def matches_running(self) -> bool:
        """Slots held == running jobs: exactly the running jobs hold a slot."""
        return self.balanced and set(self.holders) == set(self.running)

    @property
    def quiet(self) -> bool:
        """Nothing runs and no slot is held."""
        return self.counter == 0 and not self.holders and not self.running


def slot_report(admission: Admission, jobs_table: str | None = None) -> SlotReport:
    """Read the SLOTS item and the running jobs (a consistent scan of the Jobs table: for tests
    and checks, not for the request path)."""
    table = jobs_table or admission.jobs_table
    if not table:
        raise ValueError("slot_report needs the Jobs table (Admission.jobs_table or jobs_table)")
    item = _slots_item(admission)
    running: set[str] = set()
    paginator = admission.dynamodb.get_paginator("scan")
    for page in paginator.paginate(
        TableName=table,
        ConsistentRead=True,
        FilterExpression="#status IN (:running, :exporting)",
        ProjectionExpression="job_id",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":running": {"S": JobStatus.RUNNING.value},
            ":exporting": {"S": JobStatus.EXPORTING.value},
        },
    ):
        running.update(job["job_id"]["S"] for job in page["Items"])
    return SlotReport(
        holders=slot_holders(item),
        counter=int(item.get("running_count", {"N": "0"})["N"]),
        running=frozenset(running),
    )
