"""The admission function's scheduled safety dispatch, through its handler, on moto."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from plot_palette.jobs.admission import SLOTS_KEY
from plot_palette.local import moto_seams
from plot_palette.local.lambda_runner import LambdaRunner
from plot_palette.local.provision import FunctionSpec
from tests.integration.jobs.admission_harness import wait_until
from tests.integration.jobs.test_stores import create_tables

ROOT = Path(__file__).resolve().parents[3]
LONG_AGO = "2020-01-01T00:00:00.000000Z"
SCHEDULED = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}


def admission_function(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    lambdas = LambdaRunner()
    lambdas.register_function(
        FunctionSpec(
            "admission",
            "admission",
            "arn:aws:lambda:us-east-1:123456789012:function:admission",
            ROOT / "functions" / "admission",
            "app.lambda_handler",
            environment,
            60,
        )
    )
    return lambdas


def test_the_scheduled_dispatch_frees_slots_of_ended_executions_and_keeps_live_ones(
    moto_server: str, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests.post(f"{moto_server}/moto-api/reset", timeout=30)
    moto_seams.attach(ecs=None, lambda_=None)  # moto as the local cloud patches it
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    dynamodb, sfn = client_for("dynamodb"), client_for("stepfunctions")
    create_tables(dynamodb)
    role = client_for("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]
    machine = sfn.create_state_machine(
        name="plot-palette-jobs",
        definition=json.dumps(
            {"StartAt": "Work", "States": {"Work": {"Type": "Wait", "Seconds": 3600, "End": True}}}
        ),
        roleArn=role["Arn"],
    )["stateMachineArn"]
    # GIVEN slots held by: a cancelled job whose execution still runs (its worker is stopping),
    # a running job whose execution was aborted with no cleanup event, and a job that is gone
    jobs = {
        "job-stopping": {"status": "CANCELLED", "finished_at": LONG_AGO},
        "job-aborted": {"status": "RUNNING", "started_at": LONG_AGO},
    }
    for job_id, attributes in jobs.items():
        dynamodb.put_item(
            TableName="JobsTable",
            Item={
                "job_id": {"S": job_id},
                "user_id": {"S": "u"},
                "created_at": {"S": LONG_AGO},
                **{name: {"S": value} for name, value in attributes.items()},
            },
        )
        arn = sfn.start_execution(stateMachineArn=machine, name=job_id, input="{}")["executionArn"]
        wait_until(
            lambda arn=arn: sfn.describe_execution(executionArn=arn)["status"] == "RUNNING",
            f"{job_id}'s execution running",
        )
    sfn.stop_execution(
        executionArn=machine.replace(":stateMachine:", ":execution:") + ":job-aborted"
    )
    dynamodb.put_item(
        TableName="QueueTable",
        Item={
            **SLOTS_KEY,
            "running_count": {"N": "3"},
            "job-stopping": {"S": LONG_AGO},
            "job-aborted": {"S": LONG_AGO},
            "job-gone": {"S": LONG_AGO},
        },
    )
    lambdas = admission_function(
        {
            "QUEUE_TABLE_NAME": "QueueTable",
            "JOBS_TABLE_NAME": "JobsTable",
            "QUOTAS_TABLE_NAME": "QuotasTable",
            "MAX_CONCURRENT_JOBS": "5",
            "STATE_MACHINE_ARN": machine,
        },
        monkeypatch,
    )

    # WHEN the one-minute schedule fires
    result = lambdas.invoke_arn("admission", {**SCHEDULED, "time": time.strftime("%FT%TZ")})

    # THEN the ended and the orphaned slots are released, the live execution keeps its own
    assert sorted(result["released"]) == ["job-aborted", "job-gone"]
    assert result["resumed"] == [] and result["admitted"] == []
    slots = dynamodb.get_item(TableName="QueueTable", Key=SLOTS_KEY, ConsistentRead=True)["Item"]
    assert slots["running_count"] == {"N": "1"} and "job-stopping" in slots
    aborted = dynamodb.get_item(TableName="JobsTable", Key={"job_id": {"S": "job-aborted"}})
    assert aborted["Item"]["status"] == {"S": "FAILED"}
    assert aborted["Item"]["error_code"] == {"S": "ExecutionAborted"}
