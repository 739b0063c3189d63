"""What AWS does to a job's launch, exports and release, through the real state machine.

- Fargate Spot has no capacity (issue #15): RunTask is retried with backoff, then the worker
  moves to on-demand Fargate and the job completes; a short shortage or throttling is retried
  on Spot.
- An optional export (a partition, the chat file) fails (issue #15): the failure is recorded
  on the job and the job completes with its required JSONL, Parquet and CSV exports.
- The release keeps failing (issue #21): the execution fails instead of succeeding with the
  slot held, and the cleanup rule for failed executions releases the slot without touching the
  job's final status.

Retry intervals are AWS's; the local clock sleeps 2% of each (``retry_delays_scaled``).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.errors import ExportError
from plot_palette.exports import run_export
from plot_palette.jobs.admission import slots_in_use
from plot_palette.jobs.views import export_keys
from plot_palette.local import moto_seams
from plot_palette.local.cloud import LocalCloud
from tests.integration.orchestration.helpers import (
    ROOT,
    admission,
    assert_exact,
    entered_states,
    job,
    local_cloud,
    submit,
    wait_final,
    wait_until,
)

# moto warns that ECS models no ThrottlingException; ECS answers it all the same.
UNMODELED_THROTTLING = pytest.mark.filterwarnings(
    r"ignore:Exception\(ECSException\) with code ThrottlingException:UserWarning"
)
ASL = json.loads((ROOT / "statemachines" / "job.asl.json").read_text())
# How many RunTask calls one launch makes while capacity stays unavailable: 1 + its retries.
SPOT_ATTEMPTS = 1 + ASL["States"]["Run Generation Worker"]["Retry"][0]["MaxAttempts"]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {"OnDemandFallback": "true"}
    with (
        moto_seams.retry_delays_scaled(0.02),
        local_cloud(
            tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=20
        ) as running,
    ):
        yield running


@pytest.fixture(autouse=True)
def no_slot_leaks(cloud: LocalCloud) -> Iterator[None]:
    yield
    wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=60, what="every slot released")


def providers(cloud: LocalCloud, job_id: str) -> list[str]:
    return [
        request["capacityProviderStrategy"][0]["capacityProvider"]
        for request in cloud.ecs.requests
        if request.get("startedBy") == job_id
    ]


def function(cloud: LocalCloud, logical_name: str) -> str:
    return next(spec.name for spec in cloud.lambdas.functions() if logical_name in spec.name)


def test_a_spot_capacity_shortage_falls_back_to_on_demand_and_the_job_completes(
    cloud: LocalCloud,
) -> None:
    # GIVEN Fargate Spot has no capacity for every attempt of the launch
    cloud.ecs.fail_next_run_tasks(SPOT_ATTEMPTS, capacity_provider="FARGATE_SPOT")
    # WHEN a job runs
    job_id = submit(cloud, 30)
    final = wait_final(cloud, job_id)
    # THEN RunTask was retried on Spot, then the worker ran on on-demand Fargate
    assert final["status"] == "COMPLETED", final
    assert providers(cloud, job_id) == ["FARGATE_SPOT"] * SPOT_ATTEMPTS + ["FARGATE"]
    assert "Switch To On Demand Fargate" in entered_states(cloud, job_id)
    assert_exact(cloud, job_id, 30)


@UNMODELED_THROTTLING
def test_a_short_capacity_shortage_or_throttling_is_retried_on_spot(cloud: LocalCloud) -> None:
    cloud.ecs.fail_next_run_tasks(2, capacity_provider="FARGATE_SPOT")
    cloud.ecs.fail_next_run_tasks(1, throttled=True)
    job_id = submit(cloud, 20)
    final = wait_final(cloud, job_id)
    assert final["status"] == "COMPLETED", final
    assert set(providers(cloud, job_id)) == {"FARGATE_SPOT"}
    assert len(providers(cloud, job_id)) >= 4
    assert "Switch To On Demand Fargate" not in entered_states(cloud, job_id)


def test_an_optional_export_that_fails_is_recorded_and_the_job_completes(
    cloud: LocalCloud,
) -> None:
    def partly_broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event["format"] in ("chat", "partition-category"):
            raise ExportError(f"the {event['format']} export is broken")
        return run_export(event, s3_client=cloud.client("s3"), bucket=cloud.endpoints.bucket)

    with cloud.lambdas.override(function(cloud, "ExportFunction"), partly_broken):
        final = wait_final(cloud, submit(cloud, 20))
    assert final["status"] == "COMPLETED", final
    assert set(export_keys(final)) == {"jsonl", "parquet", "csv", "partition-timestamp"}
    errors = {entry["format"]: entry for entry in final["export_errors"]}
    assert set(errors) == {"chat", "partition-category"}
    assert errors["chat"]["error"] == "ExportError"
    assert "the chat export is broken" in errors["chat"]["cause"]
    exports = json.loads(final["exports"])
    assert [entry["format"] for entry in exports] == [
        "jsonl",
        "parquet",
        "csv",
        "partition-timestamp",
        "partition-category",
        "chat",
    ]
    assert exports[-1] == {"format": "chat", "key": None, "records": 0, "manifest_key": None}


def test_a_release_that_keeps_failing_fails_the_execution_and_the_cleanup_rule_releases(
    cloud: LocalCloud,
) -> None:
    # The admission function as deployed, except that every release raises.
    spec = importlib.util.spec_from_file_location(
        "admission_for_release_test", ROOT / "functions" / "admission" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    deployed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deployed)
    releases: list[str] = []

    def release_fails(event: dict[str, Any], context: Any) -> Any:
        if event.get("action") == "release":
            releases.append(event["job_id"])
            raise RuntimeError("the Queue table is unavailable")
        return deployed.lambda_handler(event, context)

    with cloud.lambdas.override(function(cloud, "AdmissionFunction"), release_fails):
        job_id = submit(cloud, 10)
        execution = cloud.wait_for_execution(job_id, timeout=240)
        # THEN the execution fails (it does not succeed with the slot held) ...
        assert execution["status"] == "FAILED", execution
        assert execution["error"] == "SlotReleaseFailed"
        assert len(releases) > 5
        # ... the cleanup rule for failed executions releases the slot ...
        wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=60, what="cleanup")

    def delivered() -> list[dict[str, Any]]:
        return [
            event
            for _, event in cloud.rules.delivered
            if event.get("detail", {}).get("name") == job_id
        ]

    # the runner records a delivery once the target has answered, a moment after the release
    wait_until(delivered, timeout=60, what="the cleanup rule's delivery to be recorded")
    assert {event["detail"]["status"] for event in delivered()} == {"FAILED"}
    # ... and the job keeps the outcome it had already recorded.
    final = job(cloud, job_id)
    assert final["status"] == "COMPLETED", final
    assert "error_code" not in final
