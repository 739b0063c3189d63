"""Spot chaos: a 2,000-record job survives at least 10 SIGTERMs and 3 SIGKILLs, exactly once.

Interruptions hit whichever worker is running at random moments. The job must end COMPLETED
with exactly 2,000 records and 2,000 distinct ids, and the final checkpoint's tokens and cost
must equal the sum over the records kept: nothing lost, nothing duplicated, nothing paid twice.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator

import pytest

from plot_palette.jobs.admission import slots_in_use
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import (
    admission,
    assert_exact,
    job,
    local_cloud,
    submit,
    wait_final,
    worker_of,
)

pytestmark = pytest.mark.slow(seconds=90)

RECORDS = 2000
SIGTERMS, SIGKILLS = 10, 3


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {"WorkerHeartbeatSeconds": 5, "MaxWorkerRelaunches": SIGTERMS + SIGKILLS + 2}
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=100
    ) as running:
        yield running


def test_two_thousand_records_survive_random_interruptions(cloud: LocalCloud) -> None:
    rng = random.Random(2026)
    job_id = submit(cloud, RECORDS, budget=50)
    plan = [signal.SIGTERM] * SIGTERMS + [signal.SIGKILL] * SIGKILLS
    rng.shuffle(plan)
    sent: list[str] = []
    deadline = time.monotonic() + 600
    for signum in plan:
        # wait for a live worker that has made some progress, then hit it at a random moment
        while time.monotonic() < deadline:
            task = worker_of(cloud, job_id)
            done = job(cloud, job_id).get("records_generated", 0)
            if done >= RECORDS - 150:
                pytest.fail(f"the job was nearly done after {len(sent)} interruptions")
            if task is not None:
                break
            time.sleep(0.05)
        else:
            pytest.fail("no worker to interrupt")
        time.sleep(rng.uniform(0.1, 1.0))
        if cloud.ecs.signal_task(task.arn, signum):
            sent.append(signal.Signals(signum).name)
            task.process.wait(timeout=60)
    assert sent.count("SIGTERM") >= SIGTERMS - 1 and sent.count("SIGKILL") >= SIGKILLS - 1

    final = wait_final(cloud, job_id, timeout=600)
    assert final["status"] == "COMPLETED"
    assert_exact(cloud, job_id, RECORDS)
    assert final["attempts"] == len(sent)
    assert slots_in_use(admission(cloud)) == 0
