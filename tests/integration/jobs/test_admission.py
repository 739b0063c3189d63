"""Admission on moto: the limit holds, grants follow priority then FIFO, races stay safe."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from plot_palette.jobs.admission import (
    Admission,
    cancel_waiting,
    dispatch,
    finish_cancels,
    leave_queue,
    park,
    release_slot,
    slots_in_use,
    take_slot,
)
from plot_palette.jobs.store import QueueStore
from plot_palette.local import moto_seams
from plot_palette.local.faults import Fault, FaultKind, InjectedCrash, injected
from tests.integration.jobs.test_stores import create_tables


class FakeSfn:
    """Records which parked tokens were resumed; tokens in ``gone`` behave like ended executions."""

    def __init__(self) -> None:
        self.successes: list[str] = []
        self.failures: list[tuple[str, str]] = []
        self.gone: set[str] = set()
        self._lock = threading.Lock()

    def send_task_success(self, taskToken: str, output: str) -> None:
        if taskToken in self.gone:
            raise ClientError(
                {"Error": {"Code": "TaskTimedOut", "Message": "gone"}}, "SendTaskSuccess"
            )
        assert json.loads(output) == {"granted": True}
        with self._lock:
            self.successes.append(taskToken)

    def send_task_failure(self, taskToken: str, error: str, cause: str) -> None:
        self.failures.append((taskToken, error))

    def describe_execution(self, executionArn: str) -> dict[str, str]:
        """A gone token's execution has ended (it was aborted); every other one waits."""
        job_id = executionArn.rsplit(":", 1)[-1]
        return {"status": "ABORTED" if f"tok-{job_id}" in self.gone else "RUNNING"}


@pytest.fixture
def admission() -> Iterator[Admission]:
    # moto as the local cloud patches it: its DynamoDB applies concurrent conditional writes
    # one at a time, as DynamoDB does per item (moto as shipped lets two pass one condition)
    moto_seams.attach(ecs=None, lambda_=None)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client)
        yield Admission(
            dynamodb=client,
            sfn=FakeSfn(),
            queue_table="QueueTable",
            limit=2,
            state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:jobs",
        )
    moto_seams.detach()


def enqueue(admission: Admission, job_id: str, priority: int, at: str) -> str:
    return QueueStore(admission.dynamodb, admission.queue_table).enqueue(job_id, priority, at)


def test_the_limit_holds_and_waiting_jobs_are_granted_by_priority_then_fifo(
    admission: Admission,
) -> None:
    jobs = [
        ("a", 5, "2026-01-01T00:00:01Z"),
        ("b", 5, "2026-01-01T00:00:02Z"),
        ("c", 5, "2026-01-01T00:00:03Z"),
        ("d", 9, "2026-01-01T00:00:04Z"),
        ("e", 0, "2026-01-01T00:00:05Z"),
        ("f", 5, "2026-01-01T00:00:06Z"),
    ]
    keys = {job_id: enqueue(admission, job_id, priority, at) for job_id, priority, at in jobs}
    sfn: FakeSfn = admission.sfn
    assert park(admission, "a", keys["a"], "tok-a") == ["a"]
    assert park(admission, "b", keys["b"], "tok-b") == ["b"]
    for job_id in "cdef":
        assert park(admission, job_id, keys[job_id], f"tok-{job_id}") == []
    assert slots_in_use(admission) == 2

    order = []
    for finished in ["a", "b", "d", "c", "f", "e"]:
        assert release_slot(admission, finished)
        order.extend(dispatch(admission))
        assert slots_in_use(admission) <= 2
    assert order == ["d", "c", "f", "e"]
    assert sfn.successes == ["tok-a", "tok-b", "tok-d", "tok-c", "tok-f", "tok-e"]
    assert slots_in_use(admission) == 0


def test_release_is_idempotent_and_a_slot_is_never_taken_twice(admission: Admission) -> None:
    assert take_slot(admission, "x")
    # Taking again (the SDK's retry of a take whose response was lost) holds the same slot.
    assert take_slot(admission, "x")
    assert slots_in_use(admission) == 1
    assert release_slot(admission, "x")
    assert not release_slot(admission, "x")
    assert slots_in_use(admission) == 0


def test_concurrent_dispatchers_never_exceed_the_limit(admission: Admission) -> None:
    keys = {
        f"j{n:02d}": enqueue(admission, f"j{n:02d}", 5, f"2026-01-01T00:00:{n:02d}Z")
        for n in range(12)
    }
    for job_id, key in keys.items():
        admission.dynamodb.update_item(
            TableName="QueueTable",
            Key={"queue_id": {"S": "QUEUED"}, "queue_key": {"S": key}},
            UpdateExpression="SET task_token = :t",
            ExpressionAttributeValues={":t": {"S": f"tok-{job_id}"}},
        )
    granted: list[str] = []
    threads = [
        threading.Thread(target=lambda: granted.extend(dispatch(admission))) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(granted) == ["j00", "j01"]
    assert slots_in_use(admission) == 2
    assert len(admission.sfn.successes) == 2


def test_a_grant_to_an_execution_that_stopped_waiting_frees_the_slot_again(
    admission: Admission,
) -> None:
    sfn: FakeSfn = admission.sfn
    sfn.gone.add("tok-dead")
    dead = enqueue(admission, "dead", 9, "2026-01-01T00:00:01Z")
    alive = enqueue(admission, "alive", 5, "2026-01-01T00:00:02Z")
    assert take_slot(admission, "x") and take_slot(admission, "y")
    assert park(admission, "dead", dead, "tok-dead") == []
    assert park(admission, "alive", alive, "tok-alive") == []
    release_slot(admission, "x")
    assert dispatch(admission) == ["alive"]
    assert slots_in_use(admission) == 2


def test_a_cancelled_waiting_job_leaves_the_queue_and_its_wait_ends(admission: Admission) -> None:
    key = enqueue(admission, "c", 5, "2026-01-01T00:00:01Z")
    assert take_slot(admission, "x") and take_slot(admission, "y")
    park(admission, "c", key, "tok-c")
    assert cancel_waiting(admission, key, "c")
    assert admission.sfn.failures == [("tok-c", "JobCancelled")]
    assert not cancel_waiting(admission, key, "c")
    release_slot(admission, "x")
    assert dispatch(admission) == []


def test_parking_after_a_cancellation_ends_the_wait_at_once(admission: Admission) -> None:
    assert park(admission, "gone", "5#2026#gone", "tok-gone") == []
    assert admission.sfn.failures == [("tok-gone", "JobCancelled")]


def test_a_cancel_that_dies_before_telling_the_execution_is_finished_by_the_safety_pass(
    admission: Admission,
) -> None:
    # GIVEN a job parked behind two taken slots
    key = enqueue(admission, "c", 5, "2026-01-01T00:00:01Z")
    assert take_slot(admission, "x") and take_slot(admission, "y")
    park(admission, "c", key, "tok-c")
    # WHEN its cancel dies right after its first write (the queue item's mark)
    with (
        injected(Fault("dynamodb", "UpdateItem", FaultKind.CRASH_AFTER, match={"Key": key})),
        pytest.raises(InjectedCrash),
    ):
        cancel_waiting(admission, key, "c")
    assert admission.sfn.failures == []
    # THEN a freed slot is not granted to it, and the next safety pass ends its wait
    release_slot(admission, "x")
    assert dispatch(admission) == []
    assert finish_cancels(admission) == ["c"]
    assert admission.sfn.failures == [("tok-c", "JobCancelled")]
    assert finish_cancels(admission) == []  # its queue item is gone


def test_a_job_that_parks_after_its_cancel_was_marked_is_told_by_park(
    admission: Admission,
) -> None:
    key = enqueue(admission, "c", 5, "2026-01-01T00:00:01Z")
    # GIVEN a cancel that marked the item and died before removing it (no token to tell yet)
    with (
        injected(Fault("dynamodb", "UpdateItem", FaultKind.CRASH_AFTER, match={"Key": key})),
        pytest.raises(InjectedCrash),
    ):
        cancel_waiting(admission, key, "c")
    # WHEN the execution parks its token afterwards, THEN its wait ends at once
    assert park(admission, "c", key, "tok-c") == []
    assert admission.sfn.failures == [("tok-c", "JobCancelled")]
    assert admission.sfn.successes == []


def test_a_second_user_is_not_starved_by_the_first_users_queue(admission: Admission) -> None:
    """A queues 20 jobs, then B queues 2, five slots: B's first job starts before A's sixth."""
    fair = dataclasses.replace(admission, limit=5)
    queue = QueueStore(fair.dynamodb, fair.queue_table)
    keys = {
        f"a{n:02d}": queue.enqueue(f"a{n:02d}", 5, f"2026-01-01T00:00:{n:02d}Z", user_id="A")
        for n in range(20)
    }
    keys |= {
        f"b{n}": queue.enqueue(f"b{n}", 5, f"2026-01-01T00:01:{n:02d}Z", user_id="B")
        for n in range(2)
    }
    started: list[str] = []
    for job_id, key in keys.items():  # each execution parks as it starts, in queue order
        started.extend(park(fair, job_id, key, f"tok-{job_id}"))
    assert started == ["a00", "a01", "a02", "a03", "a04"]
    finished: list[str] = []
    while len(finished) < len(keys):  # the oldest running job ends, its slot frees
        job_id = next(job for job in started if job not in finished)
        assert release_slot(fair, job_id)
        leave_queue(fair, keys[job_id])
        finished.append(job_id)
        started.extend(dispatch(fair))
        assert slots_in_use(fair) <= 5
    assert started.index("b0") < started.index("a05")
    assert started.index("b1") < started.index("a06")
    assert sorted(started) == sorted(keys)


def test_a_user_at_the_per_user_cap_leaves_free_slots_to_others(admission: Admission) -> None:
    capped = dataclasses.replace(admission, limit=4, per_user_limit=2)
    queue = QueueStore(capped.dynamodb, capped.queue_table)
    started: list[str] = []
    for n in range(4):
        key = queue.enqueue(f"a{n}", 5, f"2026-01-01T00:00:0{n}Z", user_id="A")
        started.extend(park(capped, f"a{n}", key, f"tok-a{n}"))
    assert started == ["a0", "a1"]  # two free slots stay free: A is at its cap
    assert slots_in_use(capped) == 2
    key = queue.enqueue("b0", 5, "2026-01-01T00:01:00Z", user_id="B")
    assert park(capped, "b0", key, "tok-b0") == ["b0"]
