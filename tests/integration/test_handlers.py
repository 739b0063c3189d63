"""The start_job and admission handlers, through the local Lambda runner, on moto."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from plot_palette.local.lambda_runner import LambdaRunner
from plot_palette.local.provision import FunctionSpec
from tests.events import load_event
from tests.integration.jobs.test_stores import create_tables

ROOT = Path(__file__).resolve().parents[2]
JOB_ID = "6f1c2b9e-5d7a-4f1e-9a51-0c9d1c1f2a11"


def runner(name: str, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> LambdaRunner:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    lambdas = LambdaRunner()
    lambdas.register_function(
        FunctionSpec(
            name,
            name,
            f"arn:aws:lambda:us-east-1:1:function:{name}",
            ROOT / "functions" / name,
            "app.lambda_handler",
            environment,
            30,
        )
    )
    return lambdas


def test_start_job_starts_one_execution_per_job_even_when_redelivered(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", client_for("sts").meta.endpoint_url)
    sfn = client_for("stepfunctions")
    role = client_for("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]
    # The execution runs until the test stops it, so "still running" does not depend on timing.
    definition = {
        "StartAt": "Run",
        "States": {"Run": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    arn = sfn.create_state_machine(name="jobs", definition=json.dumps(definition), roleArn=role)[
        "stateMachineArn"
    ]
    lambdas = runner(
        "start_job", {"STATE_MACHINE_ARN": arn, "WORKER_HEARTBEAT_SECONDS": "45"}, monkeypatch
    )

    batch = load_event("start-job-pipe-batch")
    first = lambdas.invoke_arn("start_job", batch)
    # Redelivered while the execution runs: StartExecution answers with the running execution.
    early = lambdas.invoke_arn("start_job", batch)
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    sfn.stop_execution(executionArn=executions[0]["executionArn"])
    # moto without the local cloud's seams closes a stopped execution a moment later (AWS at
    # once): wait until it has, so "late" is late in both.
    deadline = time.monotonic() + 120
    while sfn.describe_execution(executionArn=executions[0]["executionArn"])["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the stopped execution never closed"
        time.sleep(0.05)
    # Redelivered after it closed: refused, and still not started again.
    late = lambdas.invoke_arn("start_job", batch)

    assert first == {"started": [JOB_ID], "duplicates": []}
    assert early == {"started": [JOB_ID], "duplicates": []}
    assert late == {"started": [], "duplicates": [JOB_ID]}
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [execution["name"] for execution in executions] == [JOB_ID]
    described = sfn.describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(described["input"]) == {
        "job_id": JOB_ID,
        "queue_key": f"4#2026-11-25T10:00:00.000000Z#{JOB_ID}",
        "limits": {"heartbeat_seconds": 45, "on_demand_fallback": False},
    }


def test_admission_cleans_up_an_aborted_execution(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", client_for("sts").meta.endpoint_url)
    dynamodb = client_for("dynamodb")
    create_tables(dynamodb)
    dynamodb.put_item(
        TableName="JobsTable",
        Item={
            "job_id": {"S": JOB_ID},
            "user_id": {"S": "u"},
            "created_at": {"S": "t"},
            "status": {"S": "RUNNING"},
        },
    )
    dynamodb.put_item(
        TableName="QueueTable",
        Item={
            "queue_id": {"S": "SLOTS"},
            "queue_key": {"S": "SLOTS"},
            "running_count": {"N": "1"},
            JOB_ID: {"S": "t"},
        },
    )
    lambdas = runner(
        "admission",
        {
            "QUEUE_TABLE_NAME": "QueueTable",
            "JOBS_TABLE_NAME": "JobsTable",
            "QUOTAS_TABLE_NAME": "QuotasTable",
            "MAX_CONCURRENT_JOBS": "5",
        },
        monkeypatch,
    )
    result = lambdas.invoke_arn("admission", load_event("admission-execution-aborted"))
    assert result == {
        "job_id": JOB_ID,
        "slot_released": True,
        "job_marked_failed": True,
        "admitted": [],
        "unspent_released_usd": None,  # the job reserved nothing (it has no quota fields)
    }
    slots = dynamodb.get_item(
        TableName="QueueTable", Key={"queue_id": {"S": "SLOTS"}, "queue_key": {"S": "SLOTS"}}
    )
    assert slots["Item"]["running_count"] == {"N": "0"}
    assert (
        lambdas.invoke_arn("admission", load_event("admission-execution-aborted"))["slot_released"]
        is False
    )
