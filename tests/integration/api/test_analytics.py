"""Cost analytics through the local API: figures match the jobs' own costs, one Query per report."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from plot_palette.analytics import UNATTRIBUTED, JobCostReader, cost_report
from plot_palette.jobs.dynamo import from_item
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User, sign_up_and_in
from tests.integration.api.test_endpoints import queue


@pytest.fixture(scope="module")
def spender(cloud: LocalCloud) -> tuple[User, list[dict[str, Any]]]:
    """A user with three finished jobs (and nobody else's jobs in their figures)."""
    user = sign_up_and_in(cloud)
    created = [
        queue(user, records=2, budget_usd=0.5)["job"],
        queue(user, records=3, budget_usd=1.0)["job"],
        queue(user, records=1, budget_usd=2.0)["job"],
    ]
    jobs = []
    for job in created:
        cloud.wait_for_execution(job["job_id"])
        jobs.append(user.call("GET", f"/jobs/{job['job_id']}").json())
    return user, jobs


def _items(cloud: LocalCloud, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The job items as stored (the API does not show the worker's split by model)."""
    dynamodb = cloud.client("dynamodb")
    return [
        from_item(
            dynamodb.get_item(
                TableName=cloud.endpoints.jobs_table, Key={"job_id": {"S": job["job_id"]}}
            )["Item"]
        )
        for job in jobs
    ]


def test_spend_matches_the_jobs_own_costs(
    cloud: LocalCloud, spender: tuple[User, list[dict[str, Any]]]
) -> None:
    user, jobs = spender
    assert {job["status"] for job in jobs} == {"COMPLETED"}
    total = sum(Decimal(str(job["cost_usd"])) for job in jobs)
    assert total > 0

    response = user.call("GET", "/analytics/costs?days=7")
    assert response.status_code == 200, response.text
    report = response.json()
    today = datetime.now(UTC).date().isoformat()
    assert report["days"] == 7 and report["last_day"] == today
    assert report["jobs"] == 3 and report["records"] == 6
    assert Decimal(str(report["spend_usd"])) == total
    # Seven days, today last, the six earlier days at zero.
    assert [row["key"] for row in report["by_day"]][-1] == today
    assert len(report["by_day"]) == 7
    assert [row["spend_usd"] for row in report["by_day"][:-1]] == [0] * 6
    assert Decimal(str(report["by_day"][-1]["spend_usd"])) == total
    assert report["by_day"][-1]["jobs"] == 3
    assert sum(Decimal(str(row["spend_usd"])) for row in report["by_week"]) == total
    assert [(row["key"], row["jobs"], row["records"]) for row in report["by_template"]] == [
        ("poem-questions", 3, 6)
    ]

    # By model: the worker's split on each job (plus any judge) explains every cent.
    expected: dict[str, Decimal] = {}
    for item in _items(cloud, jobs):
        split = {model: Decimal(str(cost)) for model, cost in item["cost_by_model"].items()}
        judge = Decimal(str(item.get("quality_cost_usd", 0)))
        assert sum(split.values()) + judge == Decimal(str(item["cost_usd"]))
        for model, cost in split.items():
            expected[model] = expected.get(model, Decimal(0)) + cost
    models = {row["key"]: Decimal(str(row["spend_usd"])) for row in report["by_model"]}
    assert UNATTRIBUTED not in models
    for model, cost in expected.items():
        assert models[model] >= cost
    assert sum(models.values()) == total

    efficiency = report["efficiency"]
    assert efficiency["finished_jobs"] == 3
    assert efficiency["budgeted_usd"] == 3.5
    assert Decimal(str(efficiency["spent_usd"])) == total
    assert efficiency["budget_used"] == pytest.approx(float(total / Decimal("3.5")), abs=1e-6)
    assert efficiency["budget_exceeded_jobs"] == 0 and efficiency["budget_exceeded_share"] == 0
    assert efficiency["records_per_usd"] == pytest.approx(float(6 / total), rel=1e-5)
    assert report["jobs_by_status"] == {"COMPLETED": 3}

    # The 30- and 90-day windows hold the same jobs, over more (empty) days.
    for days in (30, 90):
        wider = user.call("GET", f"/analytics/costs?days={days}").json()
        assert len(wider["by_day"]) == days and wider["jobs"] == 3
        assert Decimal(str(wider["spend_usd"])) == total


def test_another_user_sees_none_of_them(
    cloud: LocalCloud, spender: tuple[User, list[dict[str, Any]]], bob: User
) -> None:
    report = bob.call("GET", "/analytics/costs?days=90").json()
    assert report["jobs"] == 0 and report["spend_usd"] == 0
    assert report["by_model"] == [] and report["by_template"] == []
    assert all(row["spend_usd"] == 0 for row in report["by_day"])


def test_days_other_than_7_30_or_90_are_refused(alice: User) -> None:
    for days in ("14", "0", "-7", "365"):
        response = alice.call("GET", f"/analytics/costs?days={days}")
        assert response.status_code == 400, response.text
        assert response.json() == {"message": f"days must be one of 7, 30, 90, not {days}"}
    response = alice.call("GET", "/analytics/costs?days=week")
    assert response.status_code == 422
    assert response.json()["message"].startswith("query.days: Input should be a valid integer")
    # No days means the last 30.
    assert alice.call("GET", "/analytics/costs").json()["days"] == 30


def test_a_report_is_one_query_however_many_jobs(
    cloud: LocalCloud, spender: tuple[User, list[dict[str, Any]]]
) -> None:
    user, jobs = spender
    dynamodb = cloud.client("dynamodb")
    calls: list[tuple[str, dict[str, Any]]] = []

    def count(event_name: str, params: dict[str, Any], **_: Any) -> None:
        calls.append((event_name.rsplit(".", 1)[-1], params))

    dynamodb.meta.events.register("provide-client-params.dynamodb.*", count)
    report = cost_report(JobCostReader(dynamodb, cloud.endpoints.jobs_table), user.sub, 7)
    assert report.jobs == len(jobs) == 3
    assert [operation for operation, _ in calls] == ["Query"]
    assert calls[0][1]["IndexName"] == "user-id-index"

    # Pages of two: still one Query, paged (two requests for three jobs), never one per job.
    calls.clear()
    paged = cost_report(
        JobCostReader(dynamodb, cloud.endpoints.jobs_table, page_size=2), user.sub, 7
    )
    assert paged.spend_usd == report.spend_usd
    assert [operation for operation, _ in calls] == ["Query", "Query"]
    assert calls[1][1]["ExclusiveStartKey"]["user_id"] == {"S": user.sub}
