"""A worker state that reaches its TimeoutSeconds relaunches from the checkpoint (issue #15).

The deployed ASL gives a worker 24 hours (``States.Timeout``); these tests run the same
templates with that limit shortened, so a worker that starts but never calls back times out in
seconds. Its job must relaunch from the checkpoint, not fail. The same cloud (OnDemandFallback
off, as deployed by default) shows that a Spot capacity shortage that outlasts RunTask's
retries fails the job with the ECS error when on-demand is not allowed.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from plot_palette.jobs.admission import slots_in_use
from plot_palette.local import moto_seams
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import (
    ROOT,
    admission,
    assert_exact,
    entered_states,
    local_cloud,
    submit,
    wait_final,
    wait_until,
    worker_of,
)

pytestmark = pytest.mark.slow(seconds=130)

WORKER_TIMEOUT_SECONDS = 30
ASL = json.loads((ROOT / "statemachines" / "job.asl.json").read_text())
SPOT_ATTEMPTS = 1 + ASL["States"]["Run Generation Worker"]["Retry"][0]["MaxAttempts"]


def templates_with_worker_timeout(root: Path, seconds: int) -> Path:
    """The project's templates under ``root``, the worker state's TimeoutSeconds set to this.

    The stacks are copied (their relative paths then resolve to the copied state machine);
    everything else they name (functions, the layer's sources) is linked.
    """
    for entry in ROOT.iterdir():
        if entry.name not in ("stacks", "statemachines", ".git"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "stacks", root / "stacks")
    (root / "statemachines").mkdir()
    asl = json.loads(json.dumps(ASL))
    asl["States"]["Run Generation Worker"]["TimeoutSeconds"] = seconds
    (root / "statemachines" / "job.asl.json").write_text(json.dumps(asl, indent=2))
    return root / "template.yaml"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    template = templates_with_worker_timeout(
        tmp_path_factory.mktemp("project"), WORKER_TIMEOUT_SECONDS
    )
    parameters = {"MaxWorkerRelaunches": 2}
    with (
        moto_seams.retry_delays_scaled(0.02),
        local_cloud(
            tmp_path_factory.mktemp("home"),
            parameters=parameters,
            model_latency_ms=20,
            template=template,
        ) as running,
    ):
        yield running


@pytest.fixture(autouse=True)
def no_slot_leaks(cloud: LocalCloud) -> Iterator[None]:
    yield
    wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=60, what="every slot released")


def test_a_worker_state_that_times_out_relaunches_from_the_checkpoint(cloud: LocalCloud) -> None:
    # GIVEN a worker that starts and never calls back (nor misses a heartbeat: the heartbeat
    # timeout is the local cloud's default 60 s, longer than the state's limit)
    cloud.ecs.pause_next_run_tasks(1)
    job_id = submit(cloud, 30)
    stuck = wait_until(lambda: worker_of(cloud, job_id), timeout=120, what="worker started")
    try:
        # WHEN its state reaches TimeoutSeconds
        final = wait_final(cloud, job_id, timeout=240)
    finally:
        cloud.ecs.signal_task(stuck.arn, signal.SIGKILL)
    # THEN a new worker carries on from the checkpoint and the job completes
    assert final["status"] == "COMPLETED", final
    assert final["attempts"] == 1
    assert final["last_interruption"] == "States.Timeout"
    assert entered_states(cloud, job_id).count("Run Generation Worker") == 2
    assert_exact(cloud, job_id, 30)


def test_a_capacity_shortage_fails_the_job_with_the_ecs_error_when_on_demand_is_not_allowed(
    cloud: LocalCloud,
) -> None:
    cloud.ecs.fail_next_run_tasks(SPOT_ATTEMPTS, capacity_provider="FARGATE_SPOT")
    job_id = submit(cloud, 10)
    final = wait_final(cloud, job_id)
    assert final["status"] == "FAILED", final
    assert final["error_code"] == "ECS.AmazonECSException"
    assert "Capacity is unavailable" in final["error_message"]
    requests = [r for r in cloud.ecs.requests if r.get("startedBy") == job_id]
    assert len(requests) == SPOT_ATTEMPTS
    assert "Switch To On Demand Fargate" not in entered_states(cloud, job_id)
