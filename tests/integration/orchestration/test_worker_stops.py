"""A worker task that stops without calling back ends its wait at once, by ECS's stop event.

The heartbeat timeout is set to ten minutes, so a test can only pass if the stop event (the
local ECS runner announces every stop as EventBridge's "ECS Task State Change") ended the wait:
before, a task that never started or died silently held its job for heartbeat timeouts.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.jobs.admission import slots_in_use
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.faults import Fault, FaultKind
from tests.integration.orchestration.helpers import (
    admission,
    assert_exact,
    job,
    local_cloud,
    submit,
    tasks_of,
    wait_final,
    wait_until,
    worker_of,
)

pytestmark = pytest.mark.slow(seconds=45)

HEARTBEAT_SECONDS = 600


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {"WorkerHeartbeatSeconds": HEARTBEAT_SECONDS, "CheckpointInterval": 10}
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=20
    ) as running:
        yield running


def register_revision(ecs: Any, definition: dict[str, Any]) -> str:
    """A new revision of ``definition``'s family with the same containers, as a stack update
    registers one; its ARN."""
    return str(
        ecs.register_task_definition(
            family=definition["family"],
            networkMode=definition["networkMode"],
            requiresCompatibilities=definition["requiresCompatibilities"],
            cpu=definition["cpu"],
            memory=definition["memory"],
            containerDefinitions=definition["containerDefinitions"],
        )["taskDefinition"]["taskDefinitionArn"]
    )


def test_a_task_that_never_starts_fails_its_job_with_the_stop_reason(cloud: LocalCloud) -> None:
    reason = "CannotPullContainerError: failed to resolve ref worker:latest: not found"
    cloud.ecs.fail_next_starts(1, reason=reason)
    job_id = submit(cloud, 20)
    task = wait_until(lambda: tasks_of(cloud, job_id), timeout=120, what="the task")[0]
    wait_until(lambda: task.stopped_at is not None, timeout=60, what="the task stopped")
    # Within a minute of the stop (the heartbeat would have taken ten): the event, one Lambda
    # invocation and a few transitions.
    wait_until(lambda: job(cloud, job_id)["status"] == "FAILED", timeout=60, what="the job failed")
    item = wait_final(cloud, job_id)
    assert item["error_code"] == "WorkerFailedToStart"
    assert reason in item["error_message"]
    assert "TaskFailedToStart" in item["error_message"]
    assert len(tasks_of(cloud, job_id)) == 1  # a relaunch would fail the same way
    wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=60, what="slot released")
    # The event as EventBridge sends it: the token travels in the container overrides.
    event = next(
        event
        for _, event in cloud.rules.delivered
        if event["source"] == "aws.ecs" and event["detail"]["taskArn"] == task.arn
    )
    assert event["detail-type"] == "ECS Task State Change"
    detail = event["detail"]
    assert (detail["lastStatus"], detail["stopCode"]) == ("STOPPED", "TaskFailedToStart")
    assert detail["clusterArn"].rsplit("/", 1)[-1] == cloud.endpoints.cluster.rsplit("/", 1)[-1]
    names = {
        variable["name"]
        for container in detail["overrides"]["containerOverrides"]
        for variable in container["environment"]
    }
    assert {"JOB_ID", "TASK_TOKEN"} <= names
    assert isinstance(detail["stoppedAt"], str)


def test_a_worker_that_dies_without_calling_back_is_relaunched_at_once(cloud: LocalCloud) -> None:
    job_id = submit(cloud, 40)
    # The first worker is killed (SIGKILL, not by Spot) right after its first checkpoint write.
    crash = Fault("s3", "PutObject", FaultKind.CRASH_AFTER, site="s3.PutObject checkpoint")
    cloud.ecs.arm_faults([crash], job_id=job_id)
    item = wait_final(cloud, job_id, timeout=240)
    assert item["status"] == "COMPLETED", item
    assert item["last_interruption"] == "WorkerStopped"
    assert int(item["attempts"]) == 1
    first = tasks_of(cloud, job_id)[0]
    assert first.describe()["stopCode"] == "EssentialContainerExited"
    assert_exact(cloud, job_id, 40)


def test_a_relaunch_after_a_stack_update_runs_the_new_task_definition(cloud: LocalCloud) -> None:
    """CloudFormation replaces the task definition on update and deregisters the old revision;
    a job interrupted afterwards must still get a worker."""
    job_id = submit(cloud, 300)
    spot = wait_until(
        lambda: (
            (task := worker_of(cloud, job_id))
            and job(cloud, job_id).get("records_generated", 0) >= 20
            and task
        ),
        timeout=120,
        what="the first worker's progress",
    )
    ecs = cloud.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=spot.request["taskDefinition"])[
        "taskDefinition"
    ]
    old = definition["taskDefinitionArn"]
    new = register_revision(ecs, definition)
    ecs.deregister_task_definition(taskDefinition=old)
    cloud.ecs.signal_task(spot.arn, signal.SIGTERM)
    item = wait_final(cloud, job_id, timeout=240)
    assert item["status"] == "COMPLETED", item
    # Both RunTask requests name the family; the first ran revision 1, the relaunch the new one.
    assert {task.request["taskDefinition"] for task in tasks_of(cloud, job_id)} == {
        definition["family"]
    }
    assert (
        ecs.describe_task_definition(taskDefinition=definition["family"])["taskDefinition"][
            "taskDefinitionArn"
        ]
        == new
    )
    assert_exact(cloud, job_id, 300)
    # Each worker's committed batches are counted once in its EMF metrics (observability.py).
    written = relaunches = 0
    for task in tasks_of(cloud, job_id):
        for line in task.log_path.read_text().splitlines():
            if line.startswith("{") and '"_aws"' in line:
                metric = json.loads(line)
                assert metric["job_id"] == job_id
                written += int(sum(metric.get("RecordsWritten", [0])))
                relaunches += int(sum(metric.get("WorkerRelaunches", [0])))
    assert written == 300
    assert relaunches == 1  # the second worker took the job over from the first


def test_a_pinned_inactive_revision_is_refused_as_ecs_does(cloud: LocalCloud) -> None:
    ecs = cloud.client("ecs")
    family = ecs.list_task_definition_families()["families"][0]
    current = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    spare = register_revision(ecs, current)
    ecs.deregister_task_definition(taskDefinition=spare)
    with pytest.raises(ecs.exceptions.ClientException, match="inactive"):
        ecs.run_task(cluster=cloud.endpoints.cluster, taskDefinition=spare)
