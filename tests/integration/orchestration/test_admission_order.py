"""20 jobs at once with MaxConcurrentJobs 5, through the real state machine and real workers."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.jobs.admission import slots_in_use
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import (
    admission,
    job,
    local_cloud,
    submit,
    wait_final,
    wait_until,
    worker_of,
)

pytestmark = pytest.mark.slow(seconds=300)


def parked(cloud: LocalCloud) -> int:
    """Jobs waiting in the queue with their task token parked."""
    items = cloud.client("dynamodb").query(
        TableName=cloud.endpoints.queue_table,
        KeyConditionExpression="queue_id = :q",
        ExpressionAttributeValues={":q": {"S": "QUEUED"}},
    )["Items"]
    return sum(1 for item in items if "task_token" in item)


def hold_workers(cloud: LocalCloud, job_ids: list[str], timeout: float = 120) -> list[Any]:
    """SIGSTOP each job's worker the moment it appears, so none can finish before it is held.

    Waiting for the jobs one after another let an early worker finish its records while the test
    still waited for a later one, and then never find it.
    """
    held: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while len(held) < len(job_ids):
        for job_id in job_ids:
            if job_id in held:
                continue
            task = worker_of(cloud, job_id)
            if task is not None:
                cloud.ecs.signal_task(task.arn, signal.SIGSTOP)
                held[job_id] = task
            else:
                status = job(cloud, job_id)["status"]
                assert status in ("QUEUED", "RUNNING"), f"{job_id} became {status} before held"
        assert time.monotonic() < deadline, f"workers held: {len(held)} of {len(job_ids)}"
        time.sleep(0.02)
    return [held[job_id] for job_id in job_ids]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with local_cloud(
        tmp_path_factory.mktemp("home"),
        # held workers send no heartbeat: give them far longer than parking can take
        parameters={"MaxConcurrentJobs": 5, "WorkerHeartbeatSeconds": 600},
        model_latency_ms=40,
    ) as running:
        yield running


def test_never_more_than_five_run_and_waiting_jobs_start_by_priority_then_fifo(
    cloud: LocalCloud,
) -> None:
    samples: list[tuple[int, int]] = []
    submitted: list[str] = []
    sampling = threading.Event()

    def sample() -> None:
        gate = admission(cloud)
        while not sampling.is_set():
            # one scan, not twenty reads: a sweep spread over time could count a job that just
            # ended and the one that just took its slot together
            items = cloud.client("dynamodb").scan(
                TableName=cloud.endpoints.jobs_table, ConsistentRead=True
            )["Items"]
            statuses = [item["status"]["S"] for item in items]
            running = sum(status in ("RUNNING", "EXPORTING") for status in statuses)
            samples.append((slots_in_use(gate), running))
            sampling.wait(0.2)  # each scan holds the local DynamoDB lock: not too often

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Enough records that a worker cannot finish before it is held (it is held on sight).
    first_five = [submit(cloud, 80, budget=20) for _ in range(5)]
    submitted.extend(first_five)
    # Hold the five running workers (SIGSTOP) so every other job is parked before a slot frees,
    # whatever the machine's speed; they resume (SIGCONT) well within their heartbeat time.
    held = hold_workers(cloud, first_five)
    assert slots_in_use(admission(cloud)) == 5
    # Fifteen more arrive while every slot is taken: they wait, then start in queue order.
    priorities = [5, 1, 9, 5, 9, 1, 5, 5, 9, 1, 5, 9, 1, 5, 5]
    waiting = [
        (submit(cloud, 20, priority=priority), priority, n) for n, priority in enumerate(priorities)
    ]
    submitted.extend(job_id for job_id, _, _ in waiting)
    wait_until(lambda: parked(cloud) == 15, timeout=240, what="fifteen parked jobs")
    assert all(job(cloud, job_id)["status"] == "RUNNING" for job_id in first_five)
    for task in held:
        cloud.ecs.signal_task(task.arn, signal.SIGCONT)
    finals = [
        wait_final(cloud, job_id, timeout=300) for job_id in first_five + [w[0] for w in waiting]
    ]
    sampling.set()
    sampler.join()

    assert all(item["status"] == "COMPLETED" for item in finals)
    assert max(slots for slots, _ in samples) <= 5
    assert max(running for _, running in samples) == 5
    expected = [job_id for job_id, _, _ in sorted(waiting, key=lambda w: (-w[1], w[2]))]
    admitted = sorted(waiting, key=lambda w: job(cloud, w[0])["admitted_at"])
    assert [job_id for job_id, _, _ in admitted] == expected, [
        (job(cloud, w[0])["admitted_at"], w[1], w[2], job(cloud, w[0]).get("parked"))
        for w in admitted
    ]
    assert slots_in_use(admission(cloud)) == 0
