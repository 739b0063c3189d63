"""A record whose render hangs is skipped as poison; the job completes with every other record.

The render of one record (seed 3, sample 1: record 13 of 30) never returns, in every worker:
the fault blocks the event loop's thread as a render stuck in C code would, while the heartbeat
thread would keep beating. The real state machine, worker and local ECS runner must then: notice
that nothing settles (``WorkerStallSeconds``), name record 13 in the checkpoint, relaunch; see it
wedge the second worker too; and have the third skip it as poison and finish the job. The
heartbeat timeout is ten minutes, so only the stall watchdog can end a stuck worker in time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from plot_palette.jobs.admission import slots_in_use
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.faults import Fault, FaultKind
from plot_palette.records import record_id
from tests.integration.orchestration.helpers import (
    admission,
    dataset,
    local_cloud,
    submit,
    tasks_of,
    wait_final,
    wait_until,
)

pytestmark = pytest.mark.slow(seconds=90)

RECORDS = 30
STALL_SECONDS = 15
# Two stalls of STALL_SECONDS, three worker starts and 30 records: well inside this on a loaded
# machine; a worker left hanging would hold the job for the 600 s heartbeat timeout.
BOUND_SECONDS = 300


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {
        "WorkerHeartbeatSeconds": 600,
        "WorkerStallSeconds": STALL_SECONDS,
        "CheckpointInterval": 5,
        "MaxWorkerRelaunches": 3,
    }
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=20
    ) as running:
        yield running


def test_a_record_that_hangs_the_render_is_skipped_as_poison(cloud: LocalCloud) -> None:
    # Armed before the job exists, so its first worker cannot start without it: the next three
    # tasks (this cloud runs no other job). Record seeds are "<job seed>:<seed>:<sample>".
    hang = Fault("template", "render", FaultKind.HANG, match={"record_seed": ":3:1"})
    for _ in range(3):  # every worker of the job would hang on it
        cloud.ecs.arm_faults([hang])
    job_id = submit(cloud, RECORDS)

    item = wait_final(cloud, job_id, timeout=BOUND_SECONDS)

    assert item["status"] == "COMPLETED", item
    assert "records_failed" in item, item
    assert (int(item["records_generated"]), int(item["records_failed"])) == (RECORDS - 1, 1)
    assert item["record_failures"]["by_error"] == {"PoisonRecord": 1}
    (example,) = item["record_failures"]["examples"]
    assert example["record"] == 13 and "stopped 2 workers" in example["reason"]
    # two stalls, two relaunches, the last for the stall
    assert int(item["attempts"]) == 2
    assert "WorkerStalled" in json.dumps(item["last_interruption"])
    assert len(tasks_of(cloud, job_id)) == 3

    records = dataset(cloud, job_id)
    ids = {record["id"] for record in records}
    assert len(records) == len(ids) == RECORDS - 1
    assert record_id(job_id, 3, 1) not in ids
    expected = {record_id(job_id, index % 10, index // 10) for index in range(RECORDS)}
    assert ids == expected - {record_id(job_id, 3, 1)}
    checkpoint = json.loads(
        cloud.client("s3")
        .get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job_id}/checkpoint.json")["Body"]
        .read()
    )
    assert (checkpoint["records_generated"], checkpoint["records_failed"]) == (RECORDS - 1, 1)
    assert checkpoint["wedged"] == {}
    wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=60, what="the slot released")
