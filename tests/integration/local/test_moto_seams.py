"""Pins each patch the local cloud makes to moto to the behaviour AWS documents."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from typing import Any

import pytest

from plot_palette.local import moto_seams


class RecordingEcs:
    """Stands in for the ECS runner: records RunTask requests and answers the task token."""

    def __init__(self, client_for: Any, output: dict[str, Any]) -> None:
        self.requests: list[dict[str, Any]] = []
        self.stopped: list[tuple[str, str, str | None]] = []
        self._client_for = client_for
        self._output = output

    def run_task(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        env = request["overrides"]["containerOverrides"][0]["environment"]
        token = next(item["value"] for item in env if item["name"] == "TASK_TOKEN")

        def answer() -> None:
            time.sleep(0.2)
            self._client_for("stepfunctions").send_task_success(
                taskToken=token, output=json.dumps(self._output)
            )

        threading.Thread(target=answer, daemon=True).start()
        return {
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/t1",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
            "lastStatus": "PROVISIONING",
            "capacityProviderName": request["capacityProviderStrategy"][0]["capacityProvider"],
        }

    def describe_tasks(self, cluster: str, tasks: list[str]) -> list[dict[str, Any]]:
        return [{"taskArn": tasks[0], "lastStatus": "RUNNING"}]

    def stop_task(self, cluster: str, task: str, reason: str | None) -> dict[str, Any]:
        self.stopped.append((cluster, task, reason))
        return {"taskArn": task, "lastStatus": "RUNNING", "desiredStatus": "STOPPED"}


class RecordingLambda:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        self.events.append((function_name, event))
        if event.get("fail"):
            return json.dumps({"errorType": "ExportError", "errorMessage": "disk full"}), True, ""
        return json.dumps({"key": f"jobs/{event['job_id']}/exports/dataset.jsonl"}), False, ""


RUN_WORKER = {
    "Type": "Task",
    "Resource": "arn:aws:states:::ecs:runTask.waitForTaskToken",
    "Parameters": {
        "Cluster": "plot-palette",
        "TaskDefinition": "worker:1",
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {"Subnets": ["subnet-1"], "AssignPublicIp": "ENABLED"}
        },
        "Overrides": {
            "ContainerOverrides": [
                {
                    "Name": "worker",
                    "Environment": [
                        {"Name": "JOB_ID", "Value.$": "$.job_id"},
                        {"Name": "TASK_TOKEN", "Value.$": "$$.Task.Token"},
                    ],
                }
            ]
        },
    },
    "TimeoutSeconds": 60,
    "ResultPath": "$.worker",
}


def register_worker(client_for: Any) -> None:
    """Register ``worker:1``: RunTask runs only registered, ACTIVE task definitions, as ECS."""
    ecs = client_for("ecs")
    if not ecs.list_task_definitions(familyPrefix="worker")["taskDefinitionArns"]:
        ecs.register_task_definition(
            family="worker",
            containerDefinitions=[{"name": "worker", "image": "worker", "memory": 512}],
        )


def state_machine(client_for: Any, states: dict[str, Any], start: str) -> str:
    register_worker(client_for)
    iam = client_for("iam")
    role = iam.create_role(RoleName=f"r{time.time_ns()}", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]
    definition = {"StartAt": start, "States": states}
    return str(
        client_for("stepfunctions").create_state_machine(
            name=f"sm{time.time_ns()}", definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
    )


def run(client_for: Any, arn: str, payload: dict[str, Any], name: str) -> dict[str, Any]:
    sfn = client_for("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        description = sfn.describe_execution(executionArn=execution)
        if description["status"] != "RUNNING":
            history = sfn.get_execution_history(executionArn=execution)["events"]
            return {"description": description, "history": history}
        time.sleep(0.1)
    raise AssertionError("execution did not finish")


def test_run_task_receives_the_capacity_provider_strategy_and_overrides_the_asl_passes(
    client_for: Any,
) -> None:
    """AWS: Step Functions calls RunTask with the state's parameters (API casing), incl. the
    capacity provider strategy, and resumes on SendTaskSuccess with its output."""
    ecs = RecordingEcs(client_for, {"status": "COMPLETED", "records": 7})
    moto_seams.attach(ecs=ecs, lambda_=RecordingLambda())
    arn = state_machine(client_for, {"Run": {**RUN_WORKER, "End": True}}, "Run")

    result = run(client_for, arn, {"job_id": "job-1"}, "job-1")

    assert result["description"]["status"] == "SUCCEEDED"
    assert json.loads(result["description"]["output"])["worker"] == {
        "status": "COMPLETED",
        "records": 7,
    }
    (request,) = ecs.requests
    assert request["cluster"] == "plot-palette"
    assert request["taskDefinition"] == "worker:1"
    assert request["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}
    ]
    assert request["networkConfiguration"] == {
        "awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "ENABLED"}
    }
    environment = request["overrides"]["containerOverrides"][0]["environment"]
    assert {"name": "JOB_ID", "value": "job-1"} in environment
    assert any(item["name"] == "TASK_TOKEN" and item["value"] for item in environment)
    assert "TaskSubmitted" in [event["type"] for event in result["history"]]


def test_a_state_machine_runs_more_than_one_execution(client_for: Any) -> None:
    """AWS: every StartExecution with a new name runs (moto's clone of past executions broke it)."""
    moto_seams.attach(
        ecs=RecordingEcs(client_for, {"status": "COMPLETED"}), lambda_=RecordingLambda()
    )
    arn = state_machine(client_for, {"Run": {**RUN_WORKER, "End": True}}, "Run")
    statuses = [
        run(client_for, arn, {"job_id": f"j{n}"}, f"j{n}")["description"]["status"]
        for n in range(3)
    ]
    assert statuses == ["SUCCEEDED"] * 3


def _function(client_for: Any) -> str:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "")
    role = client_for("iam").create_role(
        RoleName=f"f{time.time_ns()}", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    return str(
        client_for("lambda").create_function(
            FunctionName=f"export{time.time_ns()}",
            Runtime="python3.13",
            Role=role,
            Handler="app.lambda_handler",
            Code={"ZipFile": archive.getvalue()},
        )["FunctionArn"]
    )


@pytest.mark.parametrize("fail", [False, True])
def test_lambda_invoke_reaches_the_runner_and_its_error_type_is_catchable(
    client_for: Any, fail: bool
) -> None:
    """AWS: a function error surfaces as its errorType, which Catch can match by name."""
    lambdas = RecordingLambda()
    moto_seams.attach(ecs=None, lambda_=lambdas)
    function_arn = _function(client_for)
    states = {
        "Export": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": function_arn,
                "Payload": {"job_id.$": "$.job_id", "fail.$": "$.fail"},
            },
            "ResultSelector": {"key.$": "$.Payload.key"},
            "TimeoutSeconds": 30,
            "Catch": [{"ErrorEquals": ["ExportError"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    }
    arn = state_machine(client_for, states, "Export")
    result = run(client_for, arn, {"job_id": "j", "fail": fail}, f"e{int(fail)}")
    output = json.loads(result["description"]["output"])
    assert lambdas.events == [(function_arn.rsplit(":", 1)[-1], {"job_id": "j", "fail": fail})]
    if fail:
        assert output["error"]["Error"] == "ExportError"
        assert "disk full" in output["error"]["Cause"]
    else:
        assert output == {"key": "jobs/j/exports/dataset.jsonl"}


def test_stop_task_reaches_the_runner(client_for: Any) -> None:
    """AWS: StopTask names the cluster, the task and the reason."""
    ecs = RecordingEcs(client_for, {})
    moto_seams.attach(ecs=ecs, lambda_=None)
    response = client_for("ecs").stop_task(
        cluster="c", task="arn:aws:ecs:us-east-1:1:task/c/t1", reason="cancelled"
    )
    assert response["task"]["desiredStatus"] == "STOPPED"
    assert ecs.stopped == [("c", "arn:aws:ecs:us-east-1:1:task/c/t1", "cancelled")]
    assert (
        client_for("ecs").describe_tasks(cluster="c", tasks=["t1"])["tasks"][0]["lastStatus"]
        == "RUNNING"
    )


def test_detached_seams_leave_moto_as_shipped(client_for: Any) -> None:
    moto_seams.attach(ecs=RecordingEcs(client_for, {}), lambda_=RecordingLambda())
    moto_seams.detach()
    client_for("ecs").create_cluster(clusterName="c")
    assert client_for("ecs").describe_tasks(cluster="c", tasks=["nope"])["tasks"] == []


class SilentEcs(RecordingEcs):
    """A worker that never calls back nor heartbeats."""

    def run_task(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        return {
            "taskArn": "arn:aws:ecs:us-east-1:1:task/c/silent",
            "clusterArn": "arn:aws:ecs:us-east-1:1:cluster/c",
            "lastStatus": "RUNNING",
        }


def test_a_missed_heartbeat_is_states_heartbeat_timeout(client_for: Any) -> None:
    """AWS: a task that sends no heartbeat within HeartbeatSeconds fails with
    States.HeartbeatTimeout, which Catch can match by that name."""
    moto_seams.attach(ecs=SilentEcs(client_for, {}), lambda_=None)
    silent = {**RUN_WORKER, "HeartbeatSeconds": 1}
    silent["Catch"] = [
        {"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.error", "Next": "Relaunch"}
    ]
    states = {
        "Run": {**silent, "Next": "Done"},
        "Relaunch": {"Type": "Pass", "End": True},
        "Done": {"Type": "Pass", "End": True},
    }
    result = run(client_for, state_machine(client_for, states, "Run"), {"job_id": "j"}, "hb")
    assert result["description"]["status"] == "SUCCEEDED", result["history"][-4:]
    assert (
        json.loads(result["description"]["output"])["error"]["Error"] == "States.HeartbeatTimeout"
    )
    timed_out = [e for e in result["history"] if e["type"] == "TaskTimedOut"]
    assert timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.HeartbeatTimeout"


def test_stop_execution_aborts_an_execution_waiting_on_a_task_token(client_for: Any) -> None:
    """AWS: StopExecution makes a running execution ABORTED at once, even mid-task."""
    moto_seams.attach(ecs=SilentEcs(client_for, {}), lambda_=None)
    states = {"Run": {**RUN_WORKER, "HeartbeatSeconds": 2, "End": True}}
    sfn = client_for("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=state_machine(client_for, states, "Run"),
        name="abort",
        input='{"job_id": "j"}',
    )["executionArn"]
    deadline = time.monotonic() + 10
    while not any(
        e["type"] == "TaskSubmitted" for e in sfn.get_execution_history(executionArn=arn)["events"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sfn.stop_execution(executionArn=arn, error="Operator", cause="by hand")
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    time.sleep(3)  # the interpreter notices at its next heartbeat check; the status stays
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
