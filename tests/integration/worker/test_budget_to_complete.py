"""A job given exactly the estimate's ``budget_to_complete`` makes every record (issue 21), and
its cost is what the local model endpoint billed, generation and judge, to the nano-dollar.

A cloud of its own with the default heartbeat: a worker presumed dead under load would be
relaunched, and the relaunch would rightly count its lease as spent, above real spend.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import local_cloud, wait_final
from tests.integration.worker.spend import RealSpend
from tests.integration.worker.test_spend_ledger import assert_books_add_up, poetry_job

RECORDS = 120


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with local_cloud(tmp_path_factory.mktemp("home"), model_latency_ms=50) as running:
        yield running


def test_the_budget_to_complete_makes_every_record_and_the_cost_is_real_spend(
    cloud: LocalCloud,
) -> None:
    real = RealSpend(cloud)
    job_id, estimate = poetry_job(cloud, RECORDS)
    final = wait_final(cloud, job_id, timeout=600)
    print(
        f"budget to complete ${estimate.budget_to_complete:.6f} (expected "
        f"${estimate.expected_cost:.6f}): spent ${final['cost_usd']:.6f}"
    )
    assert final["budget_usd"] == estimate.budget_to_complete
    assert final["status"] == "COMPLETED"
    assert final["records_generated"] == RECORDS
    assert final.get("attempts", 0) == 0
    assert final["cost_usd"] == pytest.approx(real.usd(), abs=1e-9)
    assert final.get("spend_unsettled_usd", 0.0) == 0
    assert final["cost_usd"] <= final["budget_usd"]
    assert_books_add_up(final)
