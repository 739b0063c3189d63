"""Faults through the real state machine and real workers: every job ends right, no slot leaks.

Spot interruptions (SIGTERM), silent and dead workers (SIGSTOP, SIGKILL: heartbeat timeout),
the relaunch limit, an export that raises, an execution aborted from outside, a redelivered
stream record, and cancellation of queued and running jobs.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plot_palette.errors import ExportError
from plot_palette.jobs.admission import slots_in_use
from plot_palette.jobs.cancel import cancel_job
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import (
    admission,
    assert_exact,
    entered_states,
    job,
    local_cloud,
    stores,
    submit,
    wait_final,
    wait_until,
    worker_of,
)

pytestmark = pytest.mark.slow(seconds=190)

# Long enough that a worker starting on a busy machine (make test runs three test files at
# once) sends its first heartbeat in time: at 6 s, slow starts were taken for dead workers.
HEARTBEAT_SECONDS = 20


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
    wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=30, what="every slot released")


def progressed(cloud: LocalCloud, job_id: str, records: int) -> Any:
    """The job's running worker once the job has committed at least ``records``."""

    def ready() -> Any:
        task = worker_of(cloud, job_id)
        return (
            task
            if task is not None and job(cloud, job_id).get("records_generated", 0) >= records
            else None
        )

    return wait_until(ready, timeout=120, what=f"{records} records committed")


def test_a_spot_interruption_relaunches_the_worker_from_its_checkpoint(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 600)
    first = progressed(cloud, job_id, 100)
    cloud.ecs.signal_task(first.arn, signal.SIGTERM)
    final = wait_final(cloud, job_id)
    assert final["status"] == "COMPLETED"
    assert final["attempts"] == 1 and final["last_interruption"] == "SpotInterrupted"
    assert entered_states(cloud, job_id).count("Run Generation Worker") == 2
    assert "Count Worker Relaunch" in entered_states(cloud, job_id)
    assert_exact(cloud, job_id, 600)
    log = Path(first.log_path).read_text()
    assert first.process.returncode == 0, log


def test_a_dead_worker_is_relaunched_after_its_heartbeat_times_out(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 400)
    # Its stop event is lost (EventBridge delivers at most once): only the heartbeat can tell.
    cloud.ecs.lose_stop_events(job_id)
    cloud.ecs.signal_task(progressed(cloud, job_id, 50).arn, signal.SIGKILL)
    final = wait_final(cloud, job_id)
    assert final["status"] == "COMPLETED"
    assert final["last_interruption"] == "States.HeartbeatTimeout"
    assert_exact(cloud, job_id, 400)


def test_a_silent_zombie_cannot_corrupt_the_dataset(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 500)
    zombie = progressed(cloud, job_id, 50)
    cloud.ecs.signal_task(zombie.arn, signal.SIGSTOP)
    wait_until(
        lambda: any(
            task.request.get("startedBy") == job_id and task.arn != zombie.arn
            for task in cloud.ecs.running()
        ),
        timeout=60,
        what="relaunch",
    )
    cloud.ecs.signal_task(zombie.arn, signal.SIGCONT)  # it wakes up believing it still owns the job
    final = wait_final(cloud, job_id)
    assert final["status"] == "COMPLETED"
    assert_exact(cloud, job_id, 500)
    zombie.process.wait(timeout=60)


def test_the_relaunch_limit_fails_the_job(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 3000, budget=50)
    for attempt in range(3):
        task = progressed(cloud, job_id, 50 * (attempt + 1))
        cloud.ecs.signal_task(task.arn, signal.SIGTERM)
        wait_until(
            lambda task=task: task.process.poll() is not None, timeout=60, what="worker exit"
        )
    final = wait_final(cloud, job_id)
    assert final["status"] == "FAILED"
    assert final["error_code"] == "RelaunchLimitReached"
    assert final["attempts"] == 2


def test_an_export_that_raises_fails_the_job(cloud: LocalCloud) -> None:
    export = next(spec for spec in cloud.lambdas.functions() if "ExportFunction" in spec.name)

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise ExportError("the export bucket is full")

    with cloud.lambdas.override(export.name, broken):
        final = wait_final(cloud, submit(cloud, 20))
    assert final["status"] == "FAILED"
    assert final["error_code"] == "ExportError"
    assert "the export bucket is full" in final["error_message"]


def test_an_execution_aborted_from_outside_is_cleaned_up(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 5000, budget=50)
    worker = progressed(cloud, job_id, 50)
    arn = cloud.endpoints.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"
    cloud.client("stepfunctions").stop_execution(
        executionArn=arn, error="Operator", cause="stopped by hand"
    )
    final = wait_until(
        lambda: job(cloud, job_id) if job(cloud, job_id)["status"] == "FAILED" else None,
        timeout=30,
        what="cleanup",
    )
    assert final["error_code"] == "ExecutionAborted"
    worker.process.wait(timeout=60)  # its heartbeat finds the token gone: it stops


def test_a_redelivered_stream_record_starts_one_execution(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 10)
    wait_final(cloud, job_id)
    record = next(
        r for r in cloud.pipes.delivered if r["dynamodb"]["NewImage"]["job_id"]["S"] == job_id
    )
    start_job = next(spec for spec in cloud.lambdas.functions() if "StartJobFunction" in spec.name)
    assert cloud.lambdas.invoke_arn(start_job.arn, [record]) == {
        "started": [],
        "duplicates": [job_id],
    }
    executions = cloud.client("stepfunctions").list_executions(
        stateMachineArn=cloud.endpoints.state_machine_arn
    )
    assert [e["name"] for e in executions["executions"]].count(job_id) == 1


def cancel(cloud: LocalCloud, job_id: str, user: str = "u") -> dict[str, Any]:
    return cancel_job(
        job_id,
        user,
        jobs=stores(cloud).jobs,
        admission=admission(cloud),
        ecs=cloud.client("ecs"),
        cluster=cloud.endpoints.cluster,
    )


def test_cancelling_a_running_job_exports_what_it_made(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 5000, budget=50)
    progressed(cloud, job_id, 100)
    assert cancel(cloud, job_id)["status"] == "CANCELLED"
    final = wait_final(cloud, job_id)
    assert final["status"] == "CANCELLED"
    made = final["records_generated"]
    assert 100 <= made < 5000
    assert_exact(cloud, job_id, made)
    assert "Note Cancellation" in entered_states(cloud, job_id)


def test_cancelling_a_queued_job_removes_it_from_the_queue(cloud: LocalCloud) -> None:
    blockers = [submit(cloud, 5000, budget=50) for _ in range(5)]
    for blocker in blockers:
        progressed(cloud, blocker, 1)
    queued = submit(cloud, 10)
    wait_until(
        lambda: "Wait For A Concurrency Slot" in entered_states(cloud, queued),
        timeout=30,
        what="parked",
    )
    assert cancel(cloud, queued)["status"] == "CANCELLED"
    assert wait_final(cloud, queued)["status"] == "CANCELLED"
    assert "Job Cancelled" in entered_states(cloud, queued)
    assert worker_of(cloud, queued) is None
    for blocker in blockers:
        cancel(cloud, blocker)
    for blocker in blockers:
        assert wait_final(cloud, blocker)["status"] == "CANCELLED"


def test_another_users_job_cannot_be_cancelled(cloud: LocalCloud) -> None:
    from plot_palette.errors import NotFoundError

    job_id = submit(cloud, 5)
    with pytest.raises(NotFoundError):
        cancel(cloud, job_id, user="someone-else")
    assert wait_final(cloud, job_id)["status"] == "COMPLETED"
