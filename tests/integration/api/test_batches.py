"""Batches through the local API: a sweep runs and compares; bad sweeps create nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from plot_palette.batches import service
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User, sign_up_and_in

BASE = {
    "name": "sweep job",
    "template_id": "poem-questions",
    "sample_dataset": "poetry",
    "records": 4,
    "budget_usd": 1.0,
    "chat_format": "messages",
}


def body(sweep: dict[str, Any], **job: Any) -> dict[str, Any]:
    return {"name": "records sweep", "job": {**BASE, **job}, "sweep": sweep}


def counts(user: User) -> tuple[int, int]:
    """How many batches and jobs the user has."""
    batches = user.call("GET", "/batches?limit=100").json()["batches"]
    jobs = user.call("GET", "/jobs?limit=100").json()["jobs"]
    return len(batches), len(jobs)


def test_a_three_job_sweep_runs_and_compares(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    estimate = user.call("POST", "/batches/estimate", json=body({"records": [2, 4, 6]}))
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["job_count"] == 3 and counts(user) == (0, 0)

    created = user.call("POST", "/batches", json=body({"records": [2, 4, 6]}))
    assert created.status_code == 201, created.text
    batch = created.json()["batch"]
    jobs = created.json()["jobs"]
    assert batch["status"] == "QUEUED" and batch["job_count"] == 3
    assert batch["dimensions"] == ["records"] and batch["sweep"] == {"records": [2, 4, 6]}
    assert batch["estimated_cost_usd"] == round(estimate.json()["expected_cost_usd"], 6)
    assert [job["record_count"] for job in jobs] == [2, 4, 6]
    assert {job["batch_id"] for job in jobs} == {batch["batch_id"]}
    assert all(job["chat_format"] == "messages" for job in jobs)

    for job in jobs:
        cloud.wait_for_execution(job["job_id"])
    done = user.call("GET", f"/batches/{batch['batch_id']}").json()
    assert done["status"] == "COMPLETED"
    assert done["status_counts"] == {"COMPLETED": 3}
    assert done["records"] == 12
    rows = {row["job_id"]: row for row in done["jobs"]}
    assert [row["params"] for row in done["jobs"]] == [
        {"records": 2},
        {"records": 4},
        {"records": 6},
    ]
    for row in done["jobs"]:
        assert row["records"] == row["record_count"]
        assert row["cost_usd"] > 0
        # the row's cost is rounded to 6 places, its cost per record computed before rounding
        assert row["cost_per_record_usd"] == pytest.approx(row["cost_usd"] / row["records"], 1e-3)
        assert row["duration_seconds"] is not None and row["duration_seconds"] >= 0
        assert "quality" in row and "quality_score" in row
    best = done["best"]["overall"]
    assert best in rows
    cheapest = min(done["jobs"], key=lambda row: row["cost_per_record_usd"])
    assert done["best"]["cost_per_record"] == cheapest["job_id"]

    # the best job's chat dataset: one conversation per record
    view = user.call("GET", f"/dashboard/{best}").json()
    chat = requests.get(view["downloads"]["dataset.chat.jsonl"], timeout=30)
    lines = [json.loads(line) for line in chat.text.splitlines()]
    assert len(lines) == rows[best]["records"]
    assert all([m["role"] for m in line["messages"]] == ["user", "assistant"] * 2 for line in lines)

    listed = user.call("GET", "/batches").json()["batches"]
    assert [item["batch_id"] for item in listed] == [batch["batch_id"]]
    assert listed[0]["job_count"] == 3 and listed[0]["dimensions"] == ["records"]


def test_a_model_and_temperature_sweep_puts_its_values_on_the_steps(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    created = user.call(
        "POST",
        "/batches",
        json=body({"model": ["tier-1", {"answer": "tier-3"}], "temperature": [0.1]}),
    )
    assert created.status_code == 201, created.text
    jobs = created.json()["jobs"]
    s3 = cloud.client("s3")
    steps = []
    for job in jobs:
        key = f"jobs/{job['job_id']}/config.json"
        config = json.loads(s3.get_object(Bucket=cloud.endpoints.bucket, Key=key)["Body"].read())
        steps.append([(s.get("model_tier"), s["temperature"]) for s in config["template"]["steps"]])
    assert steps == [
        [("tier-1", 0.1), ("tier-1", 0.1)],
        [("tier-1", 0.1), ("tier-3", 0.1)],
    ]
    cancelled = user.call("DELETE", f"/batches/{created.json()['batch']['batch_id']}")
    assert cancelled.status_code == 200, cancelled.text
    for job in jobs:
        cloud.wait_for_execution(job["job_id"])
    after = user.call("GET", f"/batches/{created.json()['batch']['batch_id']}").json()
    assert after["status"] in ("CANCELLED", "PARTIAL", "COMPLETED")
    assert all(row["status"] in ("CANCELLED", "COMPLETED") for row in after["jobs"])


def test_twenty_one_jobs_are_refused_and_nothing_is_created(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    sweep = {"records": [1, 2, 3, 4, 5, 6, 7], "temperature": [0.1, 0.5, 0.9]}
    response = user.call("POST", "/batches", json=body(sweep))
    assert response.status_code == 400
    assert response.json()["message"] == (
        "this sweep makes 21 jobs (3 temperature x 7 records); a batch holds at most 20"
    )
    assert counts(user) == (0, 0)


def test_an_unknown_dimension_is_refused_and_nothing_is_created(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    response = user.call("POST", "/batches", json=body({"records": [1], "top_k": [5, 10]}))
    assert response.status_code == 422
    assert response.json()["message"].startswith("sweep.top_k:")
    assert counts(user) == (0, 0)


def test_one_bad_combination_creates_nothing(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    response = user.call(
        "POST", "/batches", json=body({"model": ["tier-1", "no-such-model"], "records": [1, 2]})
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("job 3 (model=no-such-model, records=1): ")
    version = user.call(
        "POST", "/batches", json=body({"template_version": [1, 99]}, template_id="poem-questions")
    )
    assert version.status_code == 404, version.text
    assert counts(user) == (0, 0)


def test_another_users_batch_is_not_found(cloud: LocalCloud, alice: User, bob: User) -> None:
    created = alice.call("POST", "/batches", json=body({"records": [1]}))
    assert created.status_code == 201, created.text
    batch_id = created.json()["batch"]["batch_id"]
    for method in ("GET", "DELETE"):
        response = bob.call(method, f"/batches/{batch_id}")
        assert response.status_code == 404
        assert response.json() == {"message": f"batch {batch_id} not found"}
    assert bob.call("GET", "/batches").json()["batches"] == []
    missing = alice.call("GET", "/batches/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    for job in created.json()["jobs"]:
        cloud.wait_for_execution(job["job_id"])


def test_a_failure_while_queuing_cancels_what_was_queued_and_says_so(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = sign_up_and_in(cloud)
    real = service.queue_job
    calls: list[str] = []

    def fails_on_the_third(*args: Any, **kwargs: Any) -> Any:
        calls.append("queue")
        if len(calls) == 3:
            error = {"Error": {"Code": "InternalServerError", "Message": "DynamoDB is down"}}
            raise ClientError(error, "PutItem")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "queue_job", fails_on_the_third)
    response = user.call("POST", "/batches", json=body({"records": [2, 3, 4, 5]}))
    monkeypatch.undo()
    assert response.status_code >= 500  # not the caller's fault; but nothing keeps running
    (summary,) = user.call("GET", "/batches").json()["batches"]
    batch = user.call("GET", f"/batches/{summary['batch_id']}").json()
    for row in batch["jobs"]:
        cloud.wait_for_execution(row["job_id"])
    batch = user.call("GET", f"/batches/{summary['batch_id']}").json()
    assert batch["status"] == "FAILED"
    assert batch["job_count"] == 2
    assert batch["error"] == (
        "queuing job 3 of 4 failed (ClientError); the 2 queued before it were cancelled"
    )
    assert [row["status"] for row in batch["jobs"]] == ["CANCELLED", "CANCELLED"]
    assert len(user.call("GET", "/jobs").json()["jobs"]) == 2
