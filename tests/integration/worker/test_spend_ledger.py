"""Recorded spend against real spend on the local cloud, with workers SIGKILLed mid-batch.

Real spend is counted where it is billed: the local model endpoint's tokens by model, priced
like the worker prices them (``tests/integration/worker/spend.py``). Issue 21 measured, with a
$0.10 budget and three worker kills, real spend $0.1485 and a job reporting $0.094: the books
held only committed records, and each relaunch started its guard from them.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.jobs.admission import slots_in_use
from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.submit import estimate_submission, queue_job
from plot_palette.local.cloud import LocalCloud
from plot_palette.models import ModelRegistry
from tests.integration.orchestration.helpers import (
    ROOT,
    admission,
    job,
    local_cloud,
    stores,
    wait_final,
    worker_of,
)
from tests.integration.worker.spend import RealSpend

pytestmark = pytest.mark.slow(seconds=55)

KILLS = 3


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {"WorkerHeartbeatSeconds": 5, "MaxWorkerRelaunches": KILLS + 3}
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=300
    ) as running:
        yield running


def poetry_job(cloud: LocalCloud, records: int, budget: float | None = None) -> tuple[str, Any]:
    """Queue the poetry demo job; without a budget, with the estimate's budget to complete."""
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    registry = ModelRegistry.load(cloud.endpoints.region)
    *_, estimate = estimate_submission(template, seeds, records, registry)
    if budget is None:
        budget = estimate.budget_to_complete
    spec = parse_job_spec({**spec.model_dump(), "records": records, "budget_usd": budget})
    submission = queue_job(spec, template, seeds, user_id="u", stores=stores(cloud))
    return str(submission.job["job_id"]), estimate


def assert_books_add_up(final: dict[str, Any]) -> None:
    """Every dollar on the job is a settled call by model, the judge's, or a dead run's lease
    counted as spent; no lease is left open."""
    parts = (
        sum(final.get("cost_by_model", {}).values())
        + final.get("quality_cost_usd", 0.0)
        + final.get("spend_unsettled_usd", 0.0)
    )
    assert final["cost_usd"] == pytest.approx(parts, abs=1e-9)
    assert final.get("spend_leases") == {}


def test_sigkills_mid_batch_never_take_spend_off_the_books(cloud: LocalCloud) -> None:
    """GIVEN a small budget WHEN the worker is SIGKILLed mid-batch three times THEN real spend
    stays within the budget plus one call's worst case, recorded spend is at least real spend,
    and recorded minus real is at most the leases the kills left open."""
    rng = random.Random(21)
    budget = 0.10  # the case: three kills took real spend to $0.1485 on $0.10
    real = RealSpend(cloud)
    job_id, estimate = poetry_job(cloud, 1000, budget)
    killed = 0
    deadline = time.monotonic() + 600
    while killed < KILLS:
        # a worker that has leased budget is making calls: hit it at a random moment
        task = None
        while time.monotonic() < deadline:
            task = worker_of(cloud, job_id)
            item = job(cloud, job_id)
            assert item["status"] in ("QUEUED", "RUNNING"), f"job ended after {killed} kills"
            if task is not None and item.get("spend_leases"):
                break
            time.sleep(0.05)
        else:
            pytest.fail("no worker to kill")
        time.sleep(rng.uniform(0.3, 1.2))
        if cloud.ecs.signal_task(task.arn, signal.SIGKILL):
            killed += 1
            task.process.wait(timeout=60)

    final = wait_final(cloud, job_id, timeout=600)
    spent, recorded = real.usd(), final["cost_usd"]
    open_at_kills = final.get("spend_unsettled_usd", 0.0)
    print(
        f"budget ${budget}: real ${spent:.6f}, recorded ${recorded:.6f}, leases open at the "
        f"kills ${open_at_kills:.6f}, worst call ${estimate.worst_call:.6f}, "
        f"{final['records_generated']} records, {final['attempts']} relaunches"
    )
    assert final["status"] == "BUDGET_EXCEEDED"
    assert final["attempts"] >= KILLS
    assert spent <= budget + estimate.worst_call
    assert recorded >= spent - 1e-9
    assert recorded - spent <= open_at_kills + 1e-9
    assert open_at_kills > 0  # the kills did leave reservations open
    assert recorded <= budget + 1e-9
    assert_books_add_up(final)
    assert slots_in_use(admission(cloud)) == 0
