"""One job end to end on the embedded local cloud, through the state machine the template names.

submit -> Queue item (QUEUED) -> stream -> pipe -> start_job -> JobStateMachine -> slot ->
ecs:runTask.waitForTaskToken (FARGATE_SPOT) -> worker subprocess + local model -> batches and
checkpoint -> task success -> export Lambda -> COMPLETED.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.submit import queue_job
from plot_palette.jobs.views import cost_breakdown, export_keys
from plot_palette.local.cfn import load_template
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import local_cloud, stores

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with local_cloud(tmp_path_factory.mktemp("home"), model_latency_ms=2) as local:
        yield local


def submit_demo(cloud: LocalCloud, records: int, chat_format: str | None = None) -> dict[str, Any]:
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    spec = parse_job_spec({**spec.model_dump(), "records": records, "chat_format": chat_format})
    return queue_job(spec, template, seeds, user_id="tester", stores=stores(cloud)).job


def test_state_machine_is_the_file_the_template_references(cloud: LocalCloud) -> None:
    orchestration = load_template(ROOT / "stacks" / "orchestration.yaml")
    uri = orchestration["Resources"]["JobStateMachine"]["Properties"]["DefinitionUri"]
    on_disk = json.loads((ROOT / "stacks" / uri).resolve().read_text())
    deployed = json.loads(
        cloud.client("stepfunctions").describe_state_machine(
            stateMachineArn=cloud.endpoints.state_machine_arn
        )["definition"]
    )
    assert set(deployed["States"]) == set(on_disk["States"])


def test_a_job_runs_end_to_end_through_the_real_state_machine(cloud: LocalCloud) -> None:
    job = submit_demo(cloud, records=120, chat_format="messages")
    execution = cloud.wait_for_execution(job["job_id"], timeout=180)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")

    history = cloud.client("stepfunctions").get_execution_history(
        executionArn=execution["executionArn"], maxResults=1000
    )["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]
    assert entered[:5] == [
        "Wait For A Concurrency Slot",
        "Mark Job Running",
        "Leave The Queue",
        "Start On Fargate Spot",
        "Run Generation Worker",
    ]
    # Export Dataset is a Map over the six formats: one iteration each, all side by side
    assert "Export Dataset" in entered and entered.count("Export One Format") == 6
    map_started = next(
        n
        for n, e in enumerate(history)
        if e.get("stateEnteredEventDetails", {}).get("name") == "Export Dataset"
    )
    iterations = [n for n, e in enumerate(history) if e["type"] == "MapIterationStarted"]
    first_end = min(n for n, e in enumerate(history) if e["type"] == "MapIterationSucceeded")
    assert len(iterations) == 6
    assert all(map_started < n < first_end for n in iterations)  # all six ran side by side
    submitted = [
        e["taskSubmittedEventDetails"] for e in history if "taskSubmittedEventDetails" in e
    ]
    assert [(s["resourceType"], s["resource"]) for s in submitted] == [
        ("lambda", "invoke.waitForTaskToken"),
        ("ecs", "runTask.waitForTaskToken"),
    ]
    scheduled = [
        e["taskScheduledEventDetails"] for e in history if "taskScheduledEventDetails" in e
    ]
    assert ("lambda", "invoke") in [(s["resourceType"], s["resource"]) for s in scheduled]

    (request,) = [r for r in cloud.ecs.requests if r["startedBy"] == job["job_id"]]
    assert request["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1}
    ]

    final = stores(cloud).jobs.get(job["job_id"])
    assert final["status"] == "COMPLETED"
    assert final["records_generated"] == 120
    recorded = json.loads(final["exports"])
    assert {entry["format"] for entry in recorded} == {
        "jsonl",
        "parquet",
        "csv",
        "partition-timestamp",
        "partition-category",
        "chat",
    }
    assert all(
        entry["manifest_key"].startswith(f"jobs/{job['job_id']}/exports/manifests/")
        for entry in recorded
    )
    assert all(entry["records"] == 120 for entry in recorded)
    breakdown = cost_breakdown(final)
    assert breakdown.bedrock == pytest.approx(final["cost_usd"])
    assert breakdown.fargate > 0 and breakdown.s3 > 0
    assert final["s3_requests"] >= 3 * 2  # three batches, three checkpoints
    body = cloud.client("s3").get_object(
        Bucket=cloud.endpoints.bucket, Key=export_keys(final)["jsonl"]
    )
    lines = body["Body"].read().decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 120
    assert len({record["id"] for record in records}) == 120
    chat = cloud.client("s3").get_object(
        Bucket=cloud.endpoints.bucket, Key=export_keys(final)["chat"]
    )
    conversations = [json.loads(line) for line in chat["Body"].read().decode().splitlines()]
    assert len(conversations) == 120
    assert all(
        [turn["role"] for turn in line["messages"]] == ["user", "assistant"] * 2
        for line in conversations
    )
    assert stores(cloud).queue.slots_in_use() == 0
    rows = cloud.client("dynamodb").query(
        TableName=cloud.endpoints.cost_tracking_table,
        KeyConditionExpression="job_id = :j",
        ExpressionAttributeValues={":j": {"S": job["job_id"]}},
    )["Items"]
    assert len(rows) == 3  # one per committed batch
    ttl_days = (int(rows[-1]["expires_at"]["N"]) - time.time()) / 86400
    assert 89 < ttl_days <= 90

    checkpoint = json.loads(
        cloud.client("s3")
        .get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job['job_id']}/checkpoint.json")[
            "Body"
        ]
        .read()
    )
    assert checkpoint["records_generated"] == 120
    assert checkpoint["current_batch"] == 3
    tokens = sum(
        step["input_tokens"] + step["output_tokens"]
        for record in records
        for step in record["provenance"]["steps"].values()
    )
    assert checkpoint["tokens_used"] == tokens
