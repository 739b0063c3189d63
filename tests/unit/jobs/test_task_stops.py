"""A stopped worker task is reported to its execution by the error its stop code means."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from plot_palette.jobs.task_stops import report_stopped_task, stop_error


def event(stop_code: str | None, *, callback: str | None = "tok", **detail: Any) -> dict[str, Any]:
    environment = [{"name": "JOB_ID", "value": "job-1"}]
    if callback is not None:  # the task token the state machine passed
        environment.append({"name": "TASK_TOKEN", "value": callback})
    return {
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "detail": {
            "taskArn": "arn:aws:ecs:us-east-1:1:task/c/t",
            "lastStatus": "STOPPED",
            "stoppedReason": "Essential container in task exited",
            "overrides": {"containerOverrides": [{"name": "worker", "environment": environment}]},
            "containers": [{"name": "worker", "exitCode": 137}],
            **({"stopCode": stop_code} if stop_code else {}),
            **detail,
        },
    }


@pytest.mark.parametrize(
    ("stop_code", "error"),
    [
        ("SpotInterruption", "SpotInterrupted"),
        ("TaskFailedToStart", "WorkerFailedToStart"),
        ("EssentialContainerExited", "WorkerStopped"),
        ("UserInitiated", "WorkerStopped"),
        (None, "WorkerStopped"),
    ],
)
def test_each_stop_code_means_one_error(stop_code: str | None, error: str) -> None:
    found, cause = stop_error(event(stop_code)["detail"])
    assert found == error
    assert "Essential container in task exited" in cause
    assert "worker exit code 137" in cause


def sfn() -> tuple[Any, Stubber]:
    client = boto3.client("stepfunctions", region_name="us-east-1")
    return client, Stubber(client)


def test_the_wait_is_failed_with_the_reason() -> None:
    client, stub = sfn()
    stub.add_response(
        "send_task_failure",
        {},
        {
            "taskToken": "tok",
            "error": "WorkerFailedToStart",
            "cause": "ECS stopped the worker task (TaskFailedToStart): CannotPullContainerError: "
            "no image [worker exit code 137]",
        },
    )
    with stub:
        result = report_stopped_task(
            event("TaskFailedToStart", stoppedReason="CannotPullContainerError: no image"),
            sfn=client,
        )
    stub.assert_no_pending_responses()
    assert result["reported"] == "WorkerFailedToStart"
    assert result["job_id"] == "job-1"


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_a_worker_that_called_back_first_is_left_alone(code: str) -> None:
    client, stub = sfn()
    stub.add_client_error("send_task_failure", service_error_code=code)
    with stub:
        assert (
            report_stopped_task(event("EssentialContainerExited"), sfn=client)["reported"] is None
        )


def test_other_errors_are_raised_so_eventbridge_retries() -> None:
    client, stub = sfn()
    stub.add_client_error("send_task_failure", service_error_code="ThrottlingException")
    with stub, pytest.raises(ClientError):
        report_stopped_task(event("EssentialContainerExited"), sfn=client)


@pytest.mark.parametrize(
    "changed", [{"callback": None}, {"lastStatus": "RUNNING"}], ids=["no-token", "not-stopped"]
)
def test_tasks_the_state_machine_did_not_start_are_ignored(changed: dict[str, Any]) -> None:
    client, stub = sfn()
    with stub:  # no call expected
        found = report_stopped_task(event("EssentialContainerExited", **changed), sfn=client)
    assert found["reported"] is None
