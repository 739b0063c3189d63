"""A cancel answered CANCELLED ends the job CANCELLED, whenever it comes (issue #21).

Through the real state machine, the real workers and the real cancel: before the worker has
registered its task, while the exports run, and while the worker is wedged (it neither
heartbeats nor answers SIGTERM, so the stop ends it with SIGKILL and the state machine sees a
heartbeat timeout). Each ends CANCELLED with ``finished_at`` and its exports recorded, its slot
released and no relaunch; a second cancel while the execution still runs answers the job.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.exports import run_export
from plot_palette.jobs.admission import slots_in_use
from plot_palette.jobs.cancel import cancel_job
from plot_palette.jobs.views import export_keys
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import (
    admission,
    assert_exact,
    dataset,
    entered_states,
    job,
    local_cloud,
    stores,
    submit,
    wait_final,
    wait_until,
    worker_of,
)

pytestmark = pytest.mark.slow(seconds=90)

# Long enough that a worker starting on a busy machine sends its first heartbeat in time.
HEARTBEAT_SECONDS = 15


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {"WorkerHeartbeatSeconds": HEARTBEAT_SECONDS, "MaxWorkerRelaunches": 2}
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=25, stop_timeout=20
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def no_slot_leaks(cloud: LocalCloud) -> Iterator[None]:
    yield
    wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=60, what="every slot released")


def cancel(cloud: LocalCloud, job_id: str) -> dict[str, Any]:
    return cancel_job(
        job_id,
        "u",
        jobs=stores(cloud).jobs,
        admission=admission(cloud),
        ecs=cloud.client("ecs"),
        cluster=cloud.endpoints.cluster,
    )


def launches(cloud: LocalCloud, job_id: str) -> int:
    return sum(1 for request in cloud.ecs.requests if request.get("startedBy") == job_id)


def committed(cloud: LocalCloud, job_id: str) -> int:
    """Records in the job's checkpoint (a cancelled job's worker no longer writes progress);
    0 when its worker stopped before it committed anything."""
    s3 = cloud.client("s3")
    try:
        body = s3.get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job_id}/checkpoint.json")[
            "Body"
        ].read()
    except s3.exceptions.NoSuchKey:
        return 0
    return int(json.loads(body)["records_generated"])


def assert_exports_what_was_committed(cloud: LocalCloud, job_id: str) -> None:
    made = committed(cloud, job_id)
    if made:
        assert_exact(cloud, job_id, made)
    else:
        assert dataset(cloud, job_id) == []


def assert_cancelled_and_closed(cloud: LocalCloud, job_id: str) -> dict[str, Any]:
    final = wait_final(cloud, job_id)
    assert final["status"] == "CANCELLED", final
    assert final.get("finished_at"), final
    assert "jsonl" in export_keys(final), final
    return final


def test_a_cancel_before_the_worker_registers_ends_the_job_cancelled(cloud: LocalCloud) -> None:
    # GIVEN a job whose worker has started but not yet registered its task on the job
    cloud.ecs.pause_next_run_tasks(1)
    job_id = submit(cloud, 20)
    worker = wait_until(lambda: worker_of(cloud, job_id), timeout=120, what="worker started")
    assert "task_arn" not in job(cloud, job_id)
    # WHEN the job is cancelled (nothing to stop yet) and the worker then runs to its end
    assert cancel(cloud, job_id)["status"] == "CANCELLED"
    cloud.ecs.signal_task(worker.arn, signal.SIGCONT)
    # THEN the job ends CANCELLED, with what the worker made exported
    assert_cancelled_and_closed(cloud, job_id)
    assert_exports_what_was_committed(cloud, job_id)


def test_a_cancel_during_the_export_ends_the_job_cancelled_with_its_exports(
    cloud: LocalCloud,
) -> None:
    export = next(spec for spec in cloud.lambdas.functions() if "ExportFunction" in spec.name)
    exporting, resume = threading.Event(), threading.Event()

    def slow_export(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event.get("format") == "jsonl":
            exporting.set()
            resume.wait(timeout=120)
        return run_export(event, s3_client=cloud.client("s3"), bucket=cloud.endpoints.bucket)

    with cloud.lambdas.override(export.name, slow_export):
        # GIVEN a job whose worker completed and whose exports are running
        job_id = submit(cloud, 20)
        wait_until(exporting.is_set, timeout=120, what="the export started")
        # WHEN it is cancelled before the exports end
        assert cancel(cloud, job_id)["status"] == "CANCELLED"
        resume.set()
        # THEN it stays CANCELLED, with its finish time and its (complete) exports recorded
        assert_cancelled_and_closed(cloud, job_id)
    assert_exact(cloud, job_id, 20)
    assert "Record Cancelled Job Outcome" in entered_states(cloud, job_id)


def test_cancelling_a_wedged_worker_ends_the_job_without_a_relaunch(cloud: LocalCloud) -> None:
    # GIVEN a running job whose worker wedges: no heartbeat, no answer to SIGTERM
    job_id = submit(cloud, 5000, budget=50)
    worker = wait_until(
        lambda: (
            (task := worker_of(cloud, job_id))
            and job(cloud, job_id).get("records_generated", 0) >= 50
            and task
        ),
        timeout=120,
        what="50 records committed",
    )
    cloud.ecs.signal_task(worker.arn, signal.SIGSTOP)
    # WHEN it is cancelled, and cancelled again while the execution still runs
    assert cancel(cloud, job_id)["status"] == "CANCELLED"
    again = cancel(cloud, job_id)
    assert again["status"] == "CANCELLED" and not again.get("finished_at")
    # THEN the stop kills the worker, no worker is relaunched, and the job ends CANCELLED
    assert_cancelled_and_closed(cloud, job_id)
    worker.process.wait(timeout=120)
    assert launches(cloud, job_id) == 1
    states = entered_states(cloud, job_id)
    assert "Count Worker Relaunch" not in states
    assert "Note Cancellation" in states
    assert 50 <= committed(cloud, job_id) < 5000
    assert_exact(cloud, job_id, committed(cloud, job_id))
