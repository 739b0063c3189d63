"""Two workers on one job (a zombie and its relaunch), and a budget that runs out mid-batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.exports import run_export
from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.submit import queue_job
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import (
    ROOT,
    dataset,
    local_cloud,
    stores,
    submit,
    wait_final,
)
from tests.integration.worker.helpers import no_queue
from tests.integration.worker.spend import RealSpend


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with local_cloud(tmp_path_factory.mktemp("home"), model_latency_ms=10) as running:
        yield running


def worker(cloud: LocalCloud, job_id: str, **extra: str) -> subprocess.Popen[bytes]:
    environment = {
        **cloud.ecs._base_environment,
        "JOB_ID": job_id,
        "BUCKET_NAME": cloud.endpoints.bucket,
        "JOBS_TABLE_NAME": cloud.endpoints.jobs_table,
        "COST_TRACKING_TABLE_NAME": cloud.endpoints.cost_tracking_table,
        "CHECKPOINT_INTERVAL": "25",
        **{key: value for key, value in os.environ.items() if key.startswith("COVERAGE_")},
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "plot_palette.worker"], env=environment, stderr=subprocess.PIPE
    )


def test_two_workers_on_one_job_lose_and_duplicate_nothing(cloud: LocalCloud) -> None:
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    spec = parse_job_spec({**spec.model_dump(), "records": 400, "budget_usd": 20})
    job_id = queue_job(spec, template, seeds, user_id="u", stores=no_queue(cloud)).job["job_id"]

    first, second = worker(cloud, job_id), worker(cloud, job_id, WORKER_CONCURRENCY="4")
    outputs = [process.communicate(timeout=300)[1].decode() for process in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs

    s3 = cloud.client("s3")
    summary = run_export(
        {"job_id": job_id, "format": "jsonl"}, s3_client=s3, bucket=cloud.endpoints.bucket
    )
    body = s3.get_object(Bucket=cloud.endpoints.bucket, Key=summary["key"])["Body"].read().decode()
    records = [json.loads(line) for line in body.splitlines()]
    assert len(records) == 400
    assert len({record["id"] for record in records}) == 400
    assert sorted((r["seed_index"], r["sample_index"]) for r in records) == sorted(
        (n % 10, n // 10) for n in range(400)
    )
    checkpoint = json.loads(
        s3.get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job_id}/checkpoint.json")[
            "Body"
        ].read()
    )
    steps = [step for record in records for step in record["provenance"]["steps"].values()]
    assert checkpoint["records_generated"] == 400
    assert checkpoint["tokens_used"] == sum(s["input_tokens"] + s["output_tokens"] for s in steps)


def test_a_budget_that_runs_out_mid_batch_stops_the_job_with_what_it_made(
    cloud: LocalCloud,
) -> None:
    budget = 0.01
    real = RealSpend(cloud)
    job_id = submit(cloud, 300, budget=budget)
    final: dict[str, Any] = wait_final(cloud, job_id)
    assert final["status"] == "BUDGET_EXCEEDED"
    assert 0 < final["records_generated"] < 300
    assert final["cost_usd"] <= budget
    records = dataset(cloud, job_id)
    assert len(records) == final["records_generated"]
    assert len({record["id"] for record in records}) == len(records)
    spent = sum(
        step["cost"] for record in records for step in record["provenance"]["steps"].values()
    )
    # The job's cost is what its calls really cost, as billed at the model endpoint: the
    # records', the calls of records abandoned at the budget stop, and the quality judge's
    # (within what was left). It was the committed records' sum, below real spend (issue 21).
    judged = float(final.get("quality_cost_usd", 0.0))
    assert final["cost_usd"] == pytest.approx(real.usd(), abs=1e-9)
    assert spent + judged <= final["cost_usd"] + 1e-9
    assert spent <= budget


def test_a_budget_stop_is_published_to_the_jobs_topic(cloud: LocalCloud) -> None:
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    topic = sns.create_topic(Name="budget-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="budget-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    spec = parse_job_spec({**spec.model_dump(), "records": 300, "budget_usd": 0.005})
    base = stores(cloud)
    job_id = queue_job(spec, template, seeds, user_id="u", stores=no_queue(cloud)).job["job_id"]

    process = worker(cloud, job_id, BUDGET_TOPIC_ARN=topic)
    assert process.wait(timeout=120) == 0
    assert base.jobs.get(job_id)["status"] == "BUDGET_EXCEEDED"
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2)["Messages"]
    body = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert body["job_id"] == job_id and 0 < body["records"] < 300
    assert body["cost_usd"] <= 0.005
