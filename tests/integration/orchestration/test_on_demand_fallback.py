"""After MaxWorkerRelaunches Spot relaunches, OnDemandFallback gives one attempt on FARGATE."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.integration.orchestration.helpers import (
    entered_states,
    job,
    local_cloud,
    submit,
    wait_final,
    wait_until,
    worker_of,
)


def test_the_last_attempt_runs_on_on_demand_fargate(tmp_path: Path) -> None:
    parameters = {"MaxWorkerRelaunches": 0, "OnDemandFallback": "true"}
    with local_cloud(tmp_path, parameters=parameters, model_latency_ms=20) as cloud:
        job_id = submit(cloud, 300)
        spot = wait_until(
            lambda: (
                (task := worker_of(cloud, job_id))
                and job(cloud, job_id).get("records_generated", 0) >= 50
                and task
            ),
            timeout=60,
        )
        cloud.ecs.signal_task(spot.arn, signal.SIGTERM)
        final = wait_final(cloud, job_id)
        assert final["status"] == "COMPLETED"
        assert "Switch To On Demand Fargate" in entered_states(cloud, job_id)
        providers = [
            request["capacityProviderStrategy"][0]["capacityProvider"]
            for request in cloud.ecs.requests
            if request.get("startedBy") == job_id
        ]
        assert providers == ["FARGATE_SPOT", "FARGATE"]
