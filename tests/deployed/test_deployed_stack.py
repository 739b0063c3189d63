"""A deployed stack works end to end: dashboard config, CORS preflight, a job, a cancel."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.deployed.conftest import Deployed

JOB = {
    "name": "post-deploy check",
    "template_id": "poem-questions",
    "sample_dataset": "poetry",
    "budget_usd": 0.5,
}
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "BUDGET_EXCEEDED"}


def submit(deployed: Deployed, records: int) -> dict[str, Any]:
    response = deployed.call(
        "POST",
        "/jobs",
        json={**JOB, "records": records},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()["job"]
    return job


def test_the_dashboard_serves_its_config(deployed: Deployed) -> None:
    url = deployed.outputs["DashboardUrl"].rstrip("/")
    config = requests.get(f"{url}/config.json", timeout=30)
    assert config.status_code == 200
    assert config.json()["API_ENDPOINT"] == deployed.outputs["ApiEndpoint"].rstrip("/")
    assert config.json()["COGNITO_CLIENT_ID"] == deployed.outputs["DashboardClientId"]
    page = requests.get(f"{url}/jobs/anything", timeout=30)  # a client-side route
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_a_preflight_from_the_dashboard_is_admitted(deployed: Deployed) -> None:
    origin = deployed.outputs["DashboardUrl"].rstrip("/")
    response = requests.options(
        deployed.outputs["ApiEndpoint"].rstrip("/") + "/jobs",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
        timeout=30,
    )
    assert response.status_code in (200, 204), response.text
    assert response.headers.get("access-control-allow-origin") == origin


def test_a_small_job_completes_and_its_dataset_downloads(deployed: Deployed) -> None:
    job = submit(deployed, 5)
    final = deployed.wait_for(job["job_id"], lambda j: j["status"] in FINAL, timeout=1800)
    assert final["status"] == "COMPLETED", final
    view = deployed.call("GET", f"/dashboard/{job['job_id']}").json()
    dataset = requests.get(view["downloads"]["dataset.jsonl"], timeout=60)
    assert dataset.status_code == 200
    assert len(dataset.text.splitlines()) == 5


def test_a_cancelled_job_ends_cancelled(deployed: Deployed) -> None:
    job = submit(deployed, 200)
    cancelled = deployed.call("DELETE", f"/jobs/{job['job_id']}")
    assert cancelled.status_code == 200, cancelled.text
    final = deployed.wait_for(job["job_id"], lambda j: j["status"] in FINAL, timeout=1800)
    assert final["status"] == "CANCELLED", final
