"""Pins the local cloud's patches of moto that the job state machine's Retry and Catch rely on.

- ECS errors reach ``Retry``/``Catch`` under the names Step Functions gives them: ``ECS.<name>``
  for the exceptions the ECS API models, ``ECS.AmazonECSException`` for the others (throttling)
  and for a RunTask that places no task because Fargate has no capacity (AWS knowledge center,
  "How do I troubleshoot an Amazon ECS RunTask API for a Fargate task that fails with a
  'Capacity is unavailable' error?").
- ``Retry`` waits what the Amazon States Language specifies: ``IntervalSeconds`` times
  ``BackoffRate`` to the power of the attempt, at most ``MaxDelaySeconds``, and with
  ``JitterStrategy: FULL`` a random wait between 0 and that; tests may shorten the sleeps.
- The local ECS runner refuses RunTask on request, as ECS does.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from plot_palette.errors import LocalCloudError
from plot_palette.local import moto_seams
from plot_palette.local.ecs_runner import CAPACITY_UNAVAILABLE, EcsRunner
from plot_palette.local.moto_seams import RunTaskRefused
from tests.integration.local.test_moto_seams import register_worker

# moto warns that ECS models no ThrottlingException; ECS answers it all the same.
UNMODELED_THROTTLING = pytest.mark.filterwarnings(
    r"ignore:Exception\(ECSException\) with code ThrottlingException:UserWarning"
)
RUN_TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::ecs:runTask.waitForTaskToken",
    "Parameters": {
        "Cluster": "plot-palette",
        "TaskDefinition": "worker:1",
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
        "Overrides": {
            "ContainerOverrides": [
                {
                    "Name": "worker",
                    "Environment": [{"Name": "TASK_TOKEN", "Value.$": "$$.Task.Token"}],
                }
            ]
        },
    },
    "TimeoutSeconds": 60,
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
    "Next": "Caught",
}
CAUGHT = {"Type": "Pass", "End": True}


class RefusingEcs:
    """An ECS seam whose every RunTask is refused the given way."""

    def __init__(self, refusal: RunTaskRefused) -> None:
        self.refusal = refusal
        self.requests: list[dict[str, Any]] = []

    def run_task(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        raise self.refusal

    def describe_tasks(self, cluster: str, tasks: list[str]) -> list[dict[str, Any]]:
        return []

    def stop_task(self, cluster: str, task: str, reason: str | None) -> dict[str, Any]:
        return {}


class NoLambda:
    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        return "{}", False, ""


def execute(client_for: Any, states: dict[str, Any], start: str) -> dict[str, Any]:
    """Run a one-off state machine to its end; return its description."""
    register_worker(client_for)
    role = client_for("iam").create_role(
        RoleName=f"r{time.time_ns()}", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    sfn = client_for("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"sm{time.time_ns()}",
        definition=json.dumps({"StartAt": start, "States": states}),
        roleArn=role,
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="run", input="{}")["executionArn"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        description: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if description["status"] != "RUNNING":
            return description
        time.sleep(0.1)
    raise AssertionError("the execution did not end within 60 s")


def caught_error(client_for: Any, refusal: RunTaskRefused) -> dict[str, Any]:
    moto_seams.attach(ecs=RefusingEcs(refusal), lambda_=NoLambda())
    description = execute(client_for, {"Run": RUN_TASK, "Caught": CAUGHT}, "Run")
    assert description["status"] == "SUCCEEDED", description
    error: dict[str, Any] = json.loads(description["output"])["error"]
    return error


def test_a_run_task_without_fargate_capacity_fails_as_ecs_amazon_ecs_exception(
    client_for: Any,
) -> None:
    error = caught_error(client_for, RunTaskRefused(CAPACITY_UNAVAILABLE))
    assert error["Error"] == "ECS.AmazonECSException"
    assert "Capacity is unavailable at this time" in error["Cause"]


@UNMODELED_THROTTLING
def test_ecs_throttling_is_named_ecs_amazon_ecs_exception_as_the_ecs_api_models_no_such_error(
    client_for: Any,
) -> None:
    error = caught_error(
        client_for, RunTaskRefused("Rate exceeded", error_code="ThrottlingException")
    )
    assert error["Error"] == "ECS.AmazonECSException"
    assert "Rate exceeded" in error["Cause"]


def test_an_ecs_error_the_api_models_keeps_its_name(client_for: Any) -> None:
    error = caught_error(
        client_for, RunTaskRefused("no such task definition", error_code="ClientException")
    )
    assert error == {"Error": "ECS.ClientException", "Cause": "no such task definition"}


def failing_get_item(retry: dict[str, Any]) -> dict[str, Any]:
    """A task that always fails (the table does not exist) with this retrier."""
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "no-such-table", "Key": {"id": {"S": "x"}}},
        "TimeoutSeconds": 30,
        "Retry": [{"ErrorEquals": ["States.ALL"], **retry}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
        "Next": "Caught",
    }


def test_retry_waits_grow_by_the_backoff_rate_up_to_max_delay_seconds(client_for: Any) -> None:
    moto_seams.attach(ecs=None, lambda_=NoLambda())
    retry = {"IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 4, "MaxDelaySeconds": 3}
    with moto_seams.retry_delays_scaled(0.01) as clock:
        clock.waits.clear()
        description = execute(client_for, {"Get": failing_get_item(retry), "Caught": CAUGHT}, "Get")
        waits = list(clock.waits)
    assert json.loads(description["output"])["error"]["Error"].startswith("DynamoDB.")
    assert waits == [1, 2, 3, 3]
    assert moto_seams.retry_clock.scale == 1.0  # the block restored the real clock


def test_full_jitter_waits_a_random_time_up_to_the_backoff_interval(client_for: Any) -> None:
    moto_seams.attach(ecs=None, lambda_=NoLambda())
    retry = {
        "IntervalSeconds": 2,
        "BackoffRate": 2,
        "MaxAttempts": 5,
        "MaxDelaySeconds": 10,
        "JitterStrategy": "FULL",
    }
    with moto_seams.retry_delays_scaled(0.01) as clock:
        clock.waits.clear()
        execute(client_for, {"Get": failing_get_item(retry), "Caught": CAUGHT}, "Get")
        waits = list(clock.waits)
    assert len(waits) == 5
    assert all(0 <= wait <= cap for wait, cap in zip(waits, [2, 4, 8, 10, 10], strict=True))
    assert waits != [2, 4, 8, 10, 10]


def runner(tmp_path: Path) -> EcsRunner:
    ecs = EcsRunner(
        entrypoint=[sys.executable, "-c", "import time; time.sleep(30)"],
        base_environment={},
        log_dir=tmp_path,
        region="us-east-1",
        account_id="123456789012",
    )
    ecs.register_task_definition(
        "arn:aws:ecs:us-east-1:123456789012:task-definition/worker:1",
        {"ContainerDefinitions": [{"Name": "worker", "Environment": []}]},
    )
    return ecs


def request(provider: str) -> dict[str, Any]:
    return {
        "taskDefinition": "worker:1",
        "cluster": "c",
        "capacityProviderStrategy": [{"capacityProvider": provider, "weight": 1}],
    }


def test_the_ecs_runner_refuses_as_many_run_tasks_as_asked_on_the_provider_named(
    tmp_path: Path,
) -> None:
    ecs = runner(tmp_path)
    try:
        ecs.fail_next_run_tasks(2, capacity_provider="FARGATE_SPOT")
        for _ in range(2):
            with pytest.raises(RunTaskRefused) as refused:
                ecs.run_task(request("FARGATE_SPOT"))
            assert refused.value.error_code is None
            assert refused.value.reason == CAPACITY_UNAVAILABLE
        on_demand = ecs.run_task(request("FARGATE"))
        assert on_demand["capacityProviderName"] == "FARGATE"
        spot = ecs.run_task(request("FARGATE_SPOT"))
        assert spot["capacityProviderName"] == "FARGATE_SPOT"
        assert len(ecs.refused) == 2
        ecs.fail_next_run_tasks(1, throttled=True)
        with pytest.raises(RunTaskRefused) as throttled:
            ecs.run_task(request("FARGATE"))
        assert throttled.value.error_code == "ThrottlingException"
        with pytest.raises(LocalCloudError):  # no refusal left: it gets as far as the definition
            ecs.run_task({**request("FARGATE"), "taskDefinition": "unknown:1"})
    finally:
        ecs.shutdown(grace=1)


def test_a_paused_start_is_stopped_until_continued(tmp_path: Path) -> None:
    ecs = runner(tmp_path)
    try:
        ecs.pause_next_run_tasks(1)
        paused = ecs.run_task(request("FARGATE_SPOT"))
        running = ecs.run_task(request("FARGATE_SPOT"))
        pids = {task.arn: task.process.pid for task in ecs.running()}

        def state(arn: str) -> str:
            return Path(f"/proc/{pids[arn]}/stat").read_text().split()[2]

        deadline = time.monotonic() + 10
        while state(paused["taskArn"]) != "T" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state(paused["taskArn"]) == "T"
        assert state(running["taskArn"]) != "T"
        assert ecs.signal_task(paused["taskArn"], signal.SIGCONT)
    finally:
        ecs.shutdown(grace=1)
