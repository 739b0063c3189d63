"""The local runners standing in for ECS, Pipes and EventBridge, against AWS's documented shapes."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from plot_palette.errors import LocalCloudError
from plot_palette.local.ecs_runner import EcsRunner, dockerfile_entrypoint
from plot_palette.local.lambda_runner import LambdaRunner
from plot_palette.local.pipe_runner import PipeRunner, matches
from plot_palette.local.provision import FunctionSpec, PipeSpec, RuleSpec
from plot_palette.local.rule_runner import RuleRunner, status_change_event

ROOT = Path(__file__).resolve().parents[3]
WORKER_SCRIPT = """
import os, signal, sys, time
env = os.environ.get
print("JOB_ID=" + env("JOB_ID", ""), "BUCKET=" + env("BUCKET_NAME", ""), flush=True)
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *a: (print("checkpointed", flush=True), sys.exit(0)))
time.sleep(float(os.environ.get("SLEEP", "30")))
"""

TASK_DEFINITION = {
    "ContainerDefinitions": [
        {
            "Name": "worker",
            "StopTimeout": 120,
            "Environment": [{"Name": "BUCKET_NAME", "Value": "b"}],
        }
    ]
}


def ecs_runner(tmp_path: Path, stop_timeout: float | None = None) -> EcsRunner:
    runner = EcsRunner(
        entrypoint=[sys.executable, "-c", WORKER_SCRIPT],
        base_environment={"PATH": "/usr/bin:/bin"},
        log_dir=tmp_path,
        region="us-east-1",
        account_id="123456789012",
        stop_timeout=stop_timeout,
    )
    runner.register_task_definition(
        "arn:aws:ecs:us-east-1:123456789012:task-definition/pp-worker:1", TASK_DEFINITION
    )
    return runner


def run_request(**environment: str) -> dict[str, Any]:
    return {
        "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/pp",
        "taskDefinition": "pp-worker",
        "capacityProviderStrategy": [
            {"capacityProvider": "FARGATE", "weight": 0},
            {"capacityProvider": "FARGATE_SPOT", "weight": 1},
        ],
        "overrides": {
            "containerOverrides": [
                {
                    "name": "worker",
                    "environment": [{"name": k, "value": v} for k, v in environment.items()],
                }
            ]
        },
    }


def wait_stopped(runner: EcsRunner, arn: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (task,) = runner.describe_tasks("pp", [arn])
        if task["lastStatus"] == "STOPPED":
            return task
        time.sleep(0.05)
    raise AssertionError("task did not stop")


def test_run_task_starts_the_container_with_its_environment_and_overrides(tmp_path: Path) -> None:
    runner = ecs_runner(tmp_path)
    task = runner.run_task(run_request(JOB_ID="job-9", SLEEP="0"))
    assert task["lastStatus"] in ("RUNNING", "STOPPED")
    assert task["capacityProviderName"] == "FARGATE_SPOT"
    assert task["taskArn"].startswith("arn:aws:ecs:us-east-1:123456789012:task/pp/")
    stopped = wait_stopped(runner, task["taskArn"])
    assert stopped["containers"][0]["exitCode"] == 0
    log = next(tmp_path.glob("worker-*.log")).read_text()
    assert "JOB_ID=job-9 BUCKET=b" in log


def test_stop_task_sends_sigterm_so_the_worker_can_checkpoint(tmp_path: Path) -> None:
    runner = ecs_runner(tmp_path)
    task = runner.run_task(run_request(JOB_ID="j"))
    time.sleep(0.5)
    described = runner.stop_task("pp", task["taskArn"], "Spot interruption")
    assert described["desiredStatus"] == "STOPPED"
    stopped = wait_stopped(runner, task["taskArn"])
    assert stopped["stoppedReason"] == "Spot interruption"
    assert "checkpointed" in Path(runner.all_tasks()[0].log_path).read_text()


def test_a_worker_that_ignores_sigterm_is_killed_after_the_stop_timeout(tmp_path: Path) -> None:
    runner = ecs_runner(tmp_path, stop_timeout=0.5)
    task = runner.run_task(run_request(IGNORE_TERM="1"))
    time.sleep(0.5)
    runner.stop_task("pp", task["taskArn"], None)
    stopped = wait_stopped(runner, task["taskArn"])
    assert stopped["containers"][0]["exitCode"] == -signal.SIGKILL


def test_shutdown_leaves_no_worker_behind(tmp_path: Path) -> None:
    runner = ecs_runner(tmp_path)
    tasks = [runner.run_task(run_request()) for _ in range(3)]
    runner.shutdown(grace=5)
    assert runner.running() == []
    assert all(task.process.poll() is not None for task in runner.all_tasks())
    assert len(tasks) == 3


def test_unknown_task_definition_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LocalCloudError, match="unknown task definition"):
        ecs_runner(tmp_path).run_task({"taskDefinition": "nope"})


def test_the_worker_entrypoint_comes_from_the_dockerfile() -> None:
    command = dockerfile_entrypoint(ROOT / "worker" / "Dockerfile")
    assert command == [sys.executable, "-m", "plot_palette.worker"]


QUEUE_FILTER = json.loads(
    json.dumps({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"queue_id": {"S": ["QUEUED"]}}}})
)


def stream_record(event_name: str, queue_id: str) -> dict[str, Any]:
    return {
        "eventName": event_name,
        "dynamodb": {"NewImage": {"queue_id": {"S": queue_id}, "job_id": {"S": "j"}}},
    }


def test_pipe_filter_lets_only_inserts_of_queued_items_through() -> None:
    assert matches([QUEUE_FILTER], stream_record("INSERT", "QUEUED"))
    assert not matches([QUEUE_FILTER], stream_record("MODIFY", "QUEUED"))
    assert not matches([QUEUE_FILTER], stream_record("INSERT", "SLOTS"))
    assert matches([], stream_record("REMOVE", "x"))


def test_pipe_runner_delivers_matching_stream_records_to_its_lambda_target(client_for: Any) -> None:
    dynamodb = client_for("dynamodb")
    table = dynamodb.create_table(
        TableName="queue",
        KeySchema=[
            {"AttributeName": "queue_id", "KeyType": "HASH"},
            {"AttributeName": "queue_key", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "queue_id", "AttributeType": "S"},
            {"AttributeName": "queue_key", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    lambdas = LambdaRunner()
    received: list[Any] = []
    code = Path(__file__).parent / "fixture_functions"
    lambdas.register_function(
        FunctionSpec(
            "Target",
            "target",
            "arn:aws:lambda:us-east-1:1:function:target",
            code,
            "echo.handler",
            {},
            10,
        )
    )
    lambdas._overrides["target"] = lambda event, context: received.append(event)
    pipes = PipeRunner(
        streams_client=client_for("dynamodbstreams"),
        sfn_client=None,
        lambdas=lambdas,
        region="us-east-1",
    )
    pipes.register_pipe(
        PipeSpec(
            "p",
            table["LatestStreamArn"],
            "arn:aws:lambda:us-east-1:1:function:target",
            [QUEUE_FILTER],
            10,
        )
    )
    pipes.start()
    try:
        for key, queue_id in (("1", "QUEUED"), ("2", "SLOTS"), ("3", "QUEUED")):
            dynamodb.put_item(
                TableName="queue", Item={"queue_id": {"S": queue_id}, "queue_key": {"S": key}}
            )
        dynamodb.update_item(
            TableName="queue",
            Key={"queue_id": {"S": "QUEUED"}, "queue_key": {"S": "1"}},
            UpdateExpression="SET x = :x",
            ExpressionAttributeValues={":x": {"S": "y"}},
        )
        deadline = time.monotonic() + 10
        while sum(len(batch) for batch in received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        pipes.stop()
    delivered = [record for batch in received for record in batch]
    assert [record["dynamodb"]["Keys"]["queue_key"]["S"] for record in delivered] == ["1", "3"]
    assert all(record["eventSourceARN"] == table["LatestStreamArn"] for record in delivered)


def test_status_change_event_has_the_documented_shape() -> None:
    from datetime import UTC, datetime

    event = status_change_event(
        {
            "executionArn": "arn:aws:states:us-east-1:1:execution:sm:job-1",
            "stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:sm",
            "name": "job-1",
            "status": "ABORTED",
            "startDate": datetime(2026, 1, 1, tzinfo=UTC),
        },
        "us-east-1",
        "1",
    )
    assert event["source"] == "aws.states"
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert event["resources"] == ["arn:aws:states:us-east-1:1:execution:sm:job-1"]
    assert event["detail"]["status"] == "ABORTED"
    assert event["detail"]["startDate"] == 1767225600000
    assert event["detail"]["stopDate"] is None


def test_rule_runner_delivers_only_matching_events() -> None:
    lambdas = LambdaRunner()
    received: list[Any] = []
    spec = FunctionSpec(
        "F", "f", "arn:aws:lambda:us-east-1:1:function:f", Path("."), "app.handler", {}, 5
    )
    lambdas.register_function(spec)
    lambdas._overrides["f"] = lambda event, context: received.append(event["detail"]["status"])
    rules = RuleRunner(sfn_client=None, lambdas=lambdas, region="us-east-1", account_id="1")
    rules.register_rule(
        RuleSpec(
            "r",
            {"source": ["aws.states"], "detail": {"status": ["ABORTED", "FAILED", "TIMED_OUT"]}},
            [spec.arn],
        )
    )
    for status in ("RUNNING", "SUCCEEDED", "ABORTED", "TIMED_OUT"):
        rules.publish({"source": "aws.states", "detail": {"status": status}})
    assert received == ["ABORTED", "TIMED_OUT"]


def test_lambda_runner_reports_errors_like_lambda(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "class ExportError(Exception):\n    pass\n"
        "def lambda_handler(event, context):\n"
        "    if event.get('fail'):\n        raise ExportError('no batches')\n"
        "    left = context.get_remaining_time_in_millis()\n"
        "    return {'echo': event, 'fn': context.function_name, 'ms': left > 0}\n"
    )
    runner = LambdaRunner()
    runner.register_function(
        FunctionSpec("F", "fn", "arn:f", tmp_path, "app.lambda_handler", {"A": "1"}, 30)
    )
    payload, errored, _ = runner.invoke("fn", {"x": 1})
    assert (json.loads(payload), errored) == ({"echo": {"x": 1}, "fn": "fn", "ms": True}, False)
    payload, errored, _ = runner.invoke("arn:f", {"fail": True})
    assert errored and json.loads(payload)["errorType"] == "ExportError"
    with pytest.raises(LocalCloudError, match="no batches"):
        runner.invoke_arn("fn", {"fail": True})
    with pytest.raises(LocalCloudError, match="disagree"):
        runner.register_function(
            FunctionSpec("G", "g", "arn:g", tmp_path, "app.lambda_handler", {"A": "2"}, 30)
        )
