"""The quality step through the local cloud and API: scores, statistics, SKIPPED, budget."""

from __future__ import annotations

import json
from typing import Any

from plot_palette.local.cloud import LocalCloud
from plot_palette.quality.stats import record_text, words
from tests.integration.api.conftest import User, sign_up_and_in
from tests.integration.api.test_endpoints import queue

QUALITY_FUNCTION = "plot-palette-Orchestration-QualityFunction"


def finished(cloud: LocalCloud, user: User, job_id: str) -> dict[str, Any]:
    cloud.wait_for_execution(job_id)
    response = user.call("GET", f"/jobs/{job_id}")
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def test_a_finished_job_has_quality_scores_and_statistics(cloud: LocalCloud, alice: User) -> None:
    job_id = queue(alice, records=12)["job"]["job_id"]
    job = finished(cloud, alice, job_id)
    assert job["status"] == "COMPLETED"
    quality = job["quality"]
    assert quality["status"] == "COMPLETED"
    assert quality["reason"] is None
    stats = quality["stats"]
    assert stats["records"] == 12
    assert 0 < stats["distinct_1"] <= 1
    assert 0 < stats["distinct_2"] <= 1
    length = stats["length"]
    assert 0 < length["min"] <= length["p50"] <= length["p90"] <= length["max"]
    # The local model answers a prompt the same way every time: records made from the same
    # seed row repeat. Count them from the exported dataset independently.
    exported = (
        cloud.client("s3")
        .get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job_id}/exports/dataset.jsonl")[
            "Body"
        ]
        .read()
    )
    texts = [" ".join(words(record_text(json.loads(line)))) for line in exported.splitlines()]
    assert stats["exact_duplicates"] == len(texts) - len(set(texts))
    judge = quality["judge"]
    assert judge["sampled"] == 12
    for name in ("coherence", "relevance", "format_compliance", "overall"):
        assert 3 <= judge[name] <= 5
    assert judge["cost_usd"] > 0
    assert judge["model"]

    report = alice.call("GET", f"/jobs/{job_id}/quality")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["judge"] == judge
    assert body["samples"]["scored"] == 12
    assert len(body["samples"]["scores"]) == 12

    dashboard = alice.call("GET", f"/dashboard/{job_id}").json()
    assert dashboard["job"]["quality"] == quality

    s3 = cloud.client("s3")
    stored = json.loads(
        s3.get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job_id}/quality.json")[
            "Body"
        ].read()
    )
    assert stored["stats"] == stats


def test_the_judges_cost_is_part_of_the_jobs_cost(cloud: LocalCloud, alice: User) -> None:
    job_id = queue(alice, records=5)["job"]["job_id"]
    job = finished(cloud, alice, job_id)
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.endpoints.jobs_table, Key={"job_id": {"S": job_id}}
    )["Item"]
    judge_cost = float(item["quality_cost_usd"]["N"])
    assert judge_cost == job["quality"]["judge"]["cost_usd"]
    rows = cloud.client("dynamodb").query(
        TableName=cloud.endpoints.cost_tracking_table,
        KeyConditionExpression="job_id = :j",
        ExpressionAttributeValues={":j": {"S": job_id}},
    )["Items"]
    generation = max(float(row["cost_usd"]["N"]) for row in rows)
    assert abs(job["cost_usd"] - (generation + judge_cost)) < 1e-9
    assert job["cost_usd"] <= job["budget_usd"]


def test_a_job_at_its_budget_spends_nothing_more_on_the_judge(
    cloud: LocalCloud, alice: User
) -> None:
    job_id = queue(alice, records=2000, budget_usd=0.01)["job"]["job_id"]
    job = finished(cloud, alice, job_id)
    assert job["status"] == "BUDGET_EXCEEDED"
    assert job["cost_usd"] <= 0.01
    quality = job["quality"]
    assert quality["status"] == "COMPLETED"
    assert quality["stats"]["records"] == job["records_generated"]
    if quality["judge"] is None:
        assert "budget left" in quality["reason"]
    else:
        assert quality["judge"]["sampled"] < 20


def test_a_job_that_made_no_records_is_skipped_with_the_reason(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    # The budget cannot pay for the first call: the job ends with no records at all.
    job_id = queue(user, records=5, budget_usd=0.000001)["job"]["job_id"]
    job = finished(cloud, user, job_id)
    assert job["status"] == "BUDGET_EXCEEDED"
    assert job["records_generated"] == 0
    assert job["quality"] == {
        "status": "SKIPPED",
        "reason": "the job has no records to assess",
        "stats": {
            "records": 0,
            "distinct_1": 0.0,
            "distinct_2": 0.0,
            "length": {"min": 0, "p50": 0, "p90": 0, "max": 0, "mean": 0.0},
            "exact_duplicates": 0,
            "near_duplicates": 0,
        },
        "judge": None,
    }
    report = user.call("GET", f"/jobs/{job_id}/quality")
    assert report.status_code == 200
    assert report.json()["status"] == "SKIPPED"


def test_quality_of_a_running_job_is_409_and_another_users_is_404(
    cloud: LocalCloud, alice: User, bob: User
) -> None:
    job_id = queue(alice, records=3000, budget_usd=50)["job"]["job_id"]
    running = alice.call("GET", f"/jobs/{job_id}/quality")
    assert running.status_code == 409
    assert "assessed once it has ended" in running.json()["message"]
    assert bob.call("GET", f"/jobs/{job_id}/quality").status_code == 404
    alice.call("DELETE", f"/jobs/{job_id}")
    cloud.wait_for_execution(job_id)
    assert bob.call("GET", f"/jobs/{job_id}/quality").status_code == 404
    assert alice.call("GET", "/jobs/no-such-job/quality").status_code == 404


def test_a_failing_quality_step_does_not_fail_the_job(cloud: LocalCloud, alice: User) -> None:
    def broken(event: Any, context: Any) -> Any:
        raise RuntimeError("the judge fell over")

    with cloud.lambdas.override(QUALITY_FUNCTION, broken):
        job_id = queue(alice, records=3)["job"]["job_id"]
        job = finished(cloud, alice, job_id)
    assert job["status"] == "COMPLETED"
    assert job["quality"]["status"] == "FAILED"
    report = alice.call("GET", f"/jobs/{job_id}/quality").json()
    assert report["status"] == "FAILED"
    assert report["stats"] is None


def test_a_job_can_turn_the_judge_off_and_keep_the_statistics(
    cloud: LocalCloud, alice: User
) -> None:
    job_id = queue(alice, records=4, quality_sample=0)["job"]["job_id"]
    job = finished(cloud, alice, job_id)
    assert job["quality_sample"] == 0
    quality = job["quality"]
    assert quality["status"] == "COMPLETED"
    assert quality["judge"] is None
    assert quality["reason"] == "the judge is turned off for this job (quality_sample 0)"
    assert quality["stats"]["records"] == 4
    item = cloud.client("dynamodb").get_item(
        TableName=cloud.endpoints.jobs_table, Key={"job_id": {"S": job_id}}
    )["Item"]
    assert float(item["quality_cost_usd"]["N"]) == 0


def test_a_judge_sample_beyond_the_limit_is_refused_before_anything_is_queued(
    alice: User,
) -> None:
    before = alice.call("GET", "/jobs").json()["jobs"]
    response = alice.call(
        "POST",
        "/jobs",
        json={
            "name": "too many judged",
            "template_id": "poem-questions",
            "sample_dataset": "poetry",
            "records": 5,
            "budget_usd": 1.0,
            "quality_sample": 201,
        },
    )
    assert response.status_code == 422
    assert "quality_sample" in response.json()["message"]
    assert alice.call("GET", "/jobs").json()["jobs"] == before
