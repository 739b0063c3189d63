"""The quality Lambda handler with the sample event in ``events/``, on moto."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from plot_palette.jobs.dynamo import from_item, to_item
from plot_palette.models.converse import ModelReply
from tests.events import load_event
from tests.integration.exports.conftest import BUCKET, TRICKY, put_batches

ROOT = Path(__file__).resolve().parents[3]
TABLE = "pp-jobs"
CONTEXT = SimpleNamespace(
    function_name="quality",
    memory_limit_in_mb=1024,
    invoked_function_arn="arn:aws:lambda:us-east-1:1:function:quality",
    aws_request_id="r-1",
    get_remaining_time_in_millis=lambda: 900_000,
)


class AlwaysFour:
    """A judge that gives every record 4, 4, 4."""

    def __init__(self) -> None:
        self.calls = 0

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        self.calls += 1
        text = json.dumps({"coherence": 4, "relevance": 4, "format_compliance": 4})
        return ModelReply(text=text, input_tokens=300, output_tokens=20, latency_ms=1)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield s3, dynamodb


def handler_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("JOBS_TABLE_NAME", TABLE)
    spec = importlib.util.spec_from_file_location("quality_app", ROOT / "functions/quality/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def put_job(dynamodb: Any, job_id: str, **values: Any) -> None:
    job = {"job_id": job_id, "user_id": "u-1", "status": "EXPORTING", "budget_usd": 1.0}
    dynamodb.put_item(TableName=TABLE, Item=to_item({**job, **values}))


def stored(dynamodb: Any, job_id: str) -> dict[str, Any]:
    return from_item(dynamodb.get_item(TableName=TABLE, Key={"job_id": {"S": job_id}})["Item"])


class FallsOverAfterOne(AlwaysFour):
    """Answers once, then the function dies (as a timeout or a crash would stop it)."""

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        if self.calls == 1:
            raise RuntimeError("the function was stopped")
        return await super().converse(model_id, prompt, max_tokens=max_tokens)


def test_judge_spend_is_on_the_job_even_when_the_function_dies_mid_way(
    aws: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, dynamodb = aws
    job_id = load_event("quality")["job_id"]
    put_batches(s3, job_id, [TRICKY])
    put_job(dynamodb, job_id, cost_usd=0.25, quality_sample=3)
    app = handler_module(monkeypatch)
    app.context_ = dataclasses.replace(app.context_, client=FallsOverAfterOne())

    with pytest.raises(RuntimeError):
        app.lambda_handler({"job_id": job_id}, CONTEXT)

    job = stored(dynamodb, job_id)
    assert "quality" not in job  # the state machine's Catch records the failure
    assert job["quality_cost_usd"] > 0
    # The call it died in may have been billed: its worst case stays on the job as an open
    # lease of the spend ledger, so the recorded cost is never below what was spent.
    (lease,) = job["spend_leases"].values()
    assert lease["usd"] > 0
    assert job["cost_usd"] == pytest.approx(0.25 + job["quality_cost_usd"] + lease["usd"])


def test_the_sample_event_assesses_the_job_and_adds_the_judges_cost(
    aws: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, dynamodb = aws
    event = load_event("quality")
    job_id = event["job_id"]
    put_batches(s3, job_id, [TRICKY])
    dynamodb.put_item(
        TableName=TABLE,
        Item=to_item(
            {
                "job_id": job_id,
                "user_id": "u-1",
                "status": "EXPORTING",
                "budget_usd": 1.0,
                "cost_usd": 0.25,
                "quality_sample": 2,
            }
        ),
    )
    app = handler_module(monkeypatch)
    judge = AlwaysFour()
    app.context_ = dataclasses.replace(app.context_, client=judge)

    assert app.lambda_handler(event, CONTEXT) == {"job_id": job_id, "status": "COMPLETED"}

    job = from_item(dynamodb.get_item(TableName=TABLE, Key={"job_id": {"S": job_id}})["Item"])
    quality = json.loads(job["quality"])
    assert judge.calls == 2
    assert quality["judge"]["sampled"] == 2 and quality["judge"]["overall"] == 4
    assert quality["stats"]["records"] == len(TRICKY)
    assert job["cost_usd"] == pytest.approx(0.25 + job["quality_cost_usd"])
    report = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"jobs/{job_id}/quality.json")["Body"].read()
    )
    assert report["samples"]["scored"] == 2
