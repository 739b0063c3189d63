"""Per-user quotas on the local cloud: each one refuses with its name and figures, reservations
hold under concurrent submissions, and an ended job gives back what it did not spend.

Submissions go through ``queue_job`` with the stores the API builds (the job, its queue item
and the reservations in one transaction); the API's own refusal (403) and allowance are checked
over HTTP, and the release through the real state machine at the end of a job.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from plot_palette.jobs.quotas import Periods, QuotaExceededError, QuotaLimits, QuotaStore
from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.submit import Stores, queue_job
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import sign_up_and_in
from tests.integration.orchestration.helpers import ROOT, local_cloud, stores, wait_final
from tests.integration.worker.helpers import no_queue

pytestmark = pytest.mark.slow(seconds=60)

LIMITS = QuotaLimits(
    jobs_queued=3,
    records_per_job=500,
    budget_per_job_usd=2.0,
    spend_per_day_usd=5.0,
    spend_per_month_usd=8.0,
)
PARAMETERS = {
    "QuotaJobsQueued": LIMITS.jobs_queued,
    "QuotaRecordsPerJob": LIMITS.records_per_job,
    "QuotaBudgetPerJobUsd": LIMITS.budget_per_job_usd,
    "QuotaSpendPerDayUsd": LIMITS.spend_per_day_usd,
    "QuotaSpendPerMonthUsd": LIMITS.spend_per_month_usd,
}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=PARAMETERS, model_latency_ms=5
    ) as running:
        yield running


def waiting(cloud: LocalCloud, limits: QuotaLimits = LIMITS) -> Stores:
    """Stores whose jobs stay QUEUED (nothing starts them) under ``limits``."""
    base = no_queue(cloud)
    return dataclasses.replace(base, quotas=quotas(cloud, limits))


def quotas(cloud: LocalCloud, limits: QuotaLimits = LIMITS) -> QuotaStore:
    return QuotaStore(
        cloud.client("dynamodb"), cloud.endpoints.quotas_table, cloud.endpoints.jobs_table, limits
    )


def submit(target: Stores, user: str, *, records: int = 10, budget: float = 1.0) -> dict[str, Any]:
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    spec = parse_job_spec({**spec.model_dump(), "records": records, "budget_usd": budget})
    return queue_job(spec, template, seeds, user_id=user, stores=target).job


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


def jobs_of(cloud: LocalCloud, user: str) -> list[dict[str, Any]]:
    return stores(cloud).jobs.list_for_user(user)


def month_used(cloud: LocalCloud, user: str) -> float:
    return quotas(cloud).used(user, f"month#{Periods.at(datetime.now(UTC)).month}")


def test_records_per_job_is_refused_by_name_before_anything_is_written(cloud: LocalCloud) -> None:
    user = new_user()
    with pytest.raises(QuotaExceededError) as refused:
        submit(waiting(cloud), user, records=501)
    assert refused.value.quota == "records_per_job"
    assert str(refused.value) == (
        "quota QuotaRecordsPerJob: a job may make at most 500 records; this one asks for 501"
    )
    assert jobs_of(cloud, user) == []
    submit(waiting(cloud), user, records=500)


def test_budget_per_job_is_refused_by_name(cloud: LocalCloud) -> None:
    user = new_user()
    with pytest.raises(QuotaExceededError) as refused:
        submit(waiting(cloud), user, budget=2.5)
    assert refused.value.quota == "budget_per_job_usd"
    assert "QuotaBudgetPerJobUsd" in str(refused.value)
    assert "at most $2.00; this one asks for $2.50" in str(refused.value)
    assert jobs_of(cloud, user) == []


def test_jobs_queued_counts_only_jobs_still_waiting(cloud: LocalCloud) -> None:
    user = new_user()
    target = waiting(
        cloud, dataclasses.replace(LIMITS, spend_per_day_usd=100.0, spend_per_month_usd=100.0)
    )
    queued = [submit(target, user, budget=0.5)["job_id"] for _ in range(3)]
    with pytest.raises(QuotaExceededError) as refused:
        submit(target, user, budget=0.5)
    assert refused.value.quota == "jobs_queued"
    assert "QuotaJobsQueued: at most 3 of your jobs may wait in the queue" in str(refused.value)
    assert len(jobs_of(cloud, user)) == 3  # the refused job left nothing behind
    # one job starts: it no longer waits, so there is room for one more
    stores(cloud).jobs.update(queued[0], {"status": JobStatus.RUNNING.value})
    submit(target, user, budget=0.5)
    allowance = quotas(cloud).allowance(user, datetime.now(UTC))
    assert allowance["jobs_queued"] == {"limit": 3, "used": 3}


def test_spend_per_day_is_reserved_at_submission_and_refused_by_name(cloud: LocalCloud) -> None:
    user = new_user()
    limits = dataclasses.replace(LIMITS, jobs_queued=50, spend_per_month_usd=100.0)
    target = waiting(cloud, limits)
    submit(target, user, budget=2.0)
    submit(target, user, budget=2.0)
    with pytest.raises(QuotaExceededError) as refused:
        submit(target, user, budget=2.0)
    assert refused.value.quota == "spend_per_day_usd"
    assert str(refused.value) == (
        "quota QuotaSpendPerDayUsd: $5.00 of spend per day; $4.00 is reserved or spent today "
        "(UTC), so $1.00 is left and this job's budget is $2.00"
    )
    submit(target, user, budget=1.0)  # exactly what is left
    day = Periods.at(datetime.now(UTC)).day
    assert quotas(cloud, limits).used(user, f"day#{day}") == pytest.approx(5.0)


def test_spend_per_month_is_refused_by_name_and_released_when_a_job_ends_under_budget(
    cloud: LocalCloud,
) -> None:
    user = new_user()
    limits = dataclasses.replace(LIMITS, jobs_queued=50, spend_per_day_usd=100.0)
    target = waiting(cloud, limits)
    first = submit(target, user, budget=2.0)
    for _ in range(3):
        submit(target, user, budget=2.0)
    with pytest.raises(QuotaExceededError) as refused:
        submit(target, user, budget=0.5)
    assert refused.value.quota == "spend_per_month_usd"
    assert "QuotaSpendPerMonthUsd: $8.00 of spend per month; $8.00 is reserved" in str(
        refused.value
    )
    # the first job ends having spent $0.25 of its $2.00: $1.75 comes back, once
    jobs = stores(cloud).jobs
    jobs.update(first["job_id"], {"status": JobStatus.COMPLETED.value, "cost_usd": 0.25})
    store = quotas(cloud, limits)
    assert store.settle(jobs.get(first["job_id"])) == pytest.approx(1.75)
    assert store.settle(jobs.get(first["job_id"])) is None  # a redelivered release
    assert month_used(cloud, user) == pytest.approx(6.25)
    submit(target, user, budget=1.75)
    with pytest.raises(QuotaExceededError):
        submit(target, user, budget=0.01)


def test_concurrent_submissions_never_reserve_more_than_the_month(cloud: LocalCloud) -> None:
    user = new_user()
    limits = dataclasses.replace(LIMITS, jobs_queued=100, spend_per_day_usd=100.0)
    target = waiting(cloud, limits)

    def one(_: int) -> str:
        try:
            submit(target, user, budget=1.0)
        except QuotaExceededError as error:
            return error.quota
        return "queued"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one, range(24)))
    assert outcomes.count("queued") == 8, outcomes
    assert set(outcomes) == {"queued", "spend_per_month_usd"}
    assert month_used(cloud, user) == pytest.approx(8.0)
    assert len(jobs_of(cloud, user)) == 8


def test_the_api_refuses_over_quota_and_an_ended_job_keeps_only_what_it_spent(
    cloud: LocalCloud,
) -> None:
    user = sign_up_and_in(cloud)
    request = {
        "name": "quota",
        "template_id": "poem-questions",
        "sample_dataset": "poetry",
        "records": 600,
        "budget_usd": 1.0,
    }
    refused = user.call("POST", "/jobs", json=request)
    assert refused.status_code == 403, refused.text
    assert "QuotaRecordsPerJob" in refused.json()["message"]

    created = user.call("POST", "/jobs", json={**request, "records": 5})
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["job_id"]
    item = wait_final(cloud, job_id, timeout=180)
    assert item["status"] == "COMPLETED"
    allowance = user.call("GET", "/quotas").json()
    spent = float(item["cost_usd"])
    assert 0 < spent < 1.0
    # the state machine's release gave back the unspent budget: what remains is what it spent
    assert allowance["spend_per_month_usd"] == {
        "limit": 8.0,
        "used": pytest.approx(spent, abs=1e-6),
    }
    assert allowance["spend_per_day_usd"]["used"] == pytest.approx(spent, abs=1e-6)
    assert allowance["records_per_job"] == {"limit": 500.0, "used": None}
