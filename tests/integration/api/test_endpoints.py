"""Every endpoint through the local API server, with real tokens from the local user pool."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User, sign_up_and_in

TEMPLATE = {
    "name": "Haiku about a poem",
    "description": "one cheap step",
    "steps": [
        {
            "id": "haiku",
            "model_tier": "tier-1",
            "max_tokens": 60,
            "prompt": "Write a haiku about {{ poem.title }} by {{ author.name }}.",
        }
    ],
}


def queue(user: User, records: int = 5, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "api job",
        "template_id": "poem-questions",
        "sample_dataset": "poetry",
        "records": records,
        "budget_usd": 1.0,
        **overrides,
    }
    response = user.call("POST", "/jobs", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def upload(user: User, data: bytes, name: str = "seeds.jsonl") -> str:
    grant = user.call(
        "POST",
        "/seed-data",
        json={"filename": name, "content_type": "application/x-ndjson", "size_bytes": len(data)},
    )
    assert grant.status_code == 200, grant.text
    body = grant.json()
    assert body["key"].startswith(f"seed-data/{user.sub}/")
    assert body["expires_in"] == 900
    put = requests.put(body["upload_url"], data=data, headers=body["headers"], timeout=30)
    assert put.status_code == 200, put.text
    return str(body["key"])


def test_a_job_from_submission_to_download(cloud: LocalCloud, alice: User) -> None:
    created = queue(alice, records=12)
    job, estimate = created["job"], created["estimate"]
    assert job["status"] == "QUEUED"
    assert job["record_count"] == 12
    assert 0 < estimate["expected_cost_usd"] <= estimate["max_cost_usd"]
    assert [step["step_id"] for step in estimate["steps"]] == ["question", "answer"]

    # The worker may read only jobs/*: it gets a snapshot of the seed data there.
    s3 = cloud.client("s3")
    config = json.loads(
        s3.get_object(Bucket=cloud.endpoints.bucket, Key=f"jobs/{job['job_id']}/config.json")[
            "Body"
        ].read()
    )
    assert config["seed_data_key"] == f"jobs/{job['job_id']}/seed-data.json"
    assert config["seed_source_key"] == "sample-datasets/poetry/poems.jsonl"
    cloud.wait_for_execution(job["job_id"])
    finished = alice.call("GET", f"/jobs/{job['job_id']}").json()
    assert finished["status"] == "COMPLETED"
    assert finished["records_generated"] == 12
    assert set(finished["exports"]) >= {"jsonl", "parquet", "csv"}

    view = alice.call("GET", f"/dashboard/{job['job_id']}").json()
    assert view["progress"]["percent"] == 100.0
    assert view["progress"]["eta_seconds"] is None
    assert view["cost"]["bedrock_usd"] == round(finished["cost_usd"], 6)
    assert view["cost"]["budget_usd"] == 1.0
    assert view["cost_history"][-1]["records_generated"] == 12
    assert view["interruptions"]["relaunches"] == 0
    assert 0 < len(view["sample_records"]) <= 5
    assert view["archive"]["archived"] is False
    assert {"dataset.jsonl", "dataset.parquet", "dataset.csv"} <= set(view["downloads"])
    dataset = requests.get(view["downloads"]["dataset.jsonl"], timeout=30)
    assert dataset.status_code == 200
    records = [json.loads(line) for line in dataset.text.splitlines()]
    assert len({record["id"] for record in records}) == 12
    # Internal bookkeeping never leaves the API.
    assert "task_token" not in json.dumps(view) and "queue_key" not in json.dumps(finished)


def test_an_estimate_before_launching_queues_nothing(cloud: LocalCloud) -> None:
    dave = sign_up_and_in(cloud)
    body = {
        "name": "just asking",
        "template_id": "poem-questions",
        "sample_dataset": "poetry",
        "records": 1000,
        "budget_usd": 5,
    }
    estimate = dave.call("POST", "/jobs/estimate", json=body)
    assert estimate.status_code == 200, estimate.text
    figures = estimate.json()
    assert figures["records"] == 1000
    assert 0 < figures["expected_cost_usd"] <= figures["max_cost_usd"]
    assert dave.call("GET", "/jobs").json()["jobs"] == []
    created = dave.call("POST", "/jobs", json={**body, "records": 1}).json()
    per_record = figures["expected_cost_usd"] / 1000
    assert abs(created["estimate"]["expected_cost_usd"] - per_record) < 1e-6
    cloud.wait_for_execution(created["job"]["job_id"])
    refused = dave.call("POST", "/jobs/estimate", json={**body, "template_id": "nope"})
    assert refused.status_code == 404


def test_jobs_are_listed_newest_first_in_pages(cloud: LocalCloud) -> None:
    carol = sign_up_and_in(cloud)
    made = [queue(carol, records=1, name=f"page {n}")["job"]["job_id"] for n in range(3)]
    first = carol.call("GET", "/jobs", params={"limit": 2}).json()
    assert [job["job_id"] for job in first["jobs"]] == made[::-1][:2]
    assert first["next_cursor"]
    second = carol.call("GET", "/jobs", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [job["job_id"] for job in second["jobs"]] == [made[0]]
    assert (
        second["next_cursor"] is None
        or not carol.call("GET", "/jobs", params={"cursor": second["next_cursor"]}).json()["jobs"]
    )
    broken = carol.call("GET", "/jobs", params={"cursor": "not-a-cursor!"})
    assert broken.status_code == 400
    assert "cursor" in broken.json()["message"]
    for job_id in made:
        cloud.wait_for_execution(job_id)


def test_templates_are_versioned_and_old_versions_stay(alice: User) -> None:
    created = alice.call("POST", "/templates", json={"document": TEMPLATE})
    assert created.status_code == 201, created.text
    template_id = created.json()["template_id"]
    assert created.json()["version"] == 1

    changed = {**TEMPLATE, "name": "Haiku, second draft"}
    second = alice.call("PUT", f"/templates/{template_id}", json={"document": changed})
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2

    latest = alice.call("GET", f"/templates/{template_id}").json()
    assert latest["version"] == 2 and latest["document"]["name"] == "Haiku, second draft"
    first = alice.call("GET", f"/templates/{template_id}", params={"version": 1}).json()
    assert first["version"] == 1 and first["document"]["name"] == TEMPLATE["name"]
    assert first["latest_version"] == 2
    versions = alice.call("GET", f"/templates/{template_id}/versions").json()
    assert [v["version"] for v in versions["versions"]] == [2, 1]

    missing = alice.call("GET", f"/templates/{template_id}", params={"version": 7})
    assert missing.status_code == 404
    listed = alice.call("GET", "/templates").json()["templates"]
    owners = {t["template_id"]: t["owner"] for t in listed}
    assert owners[template_id] == "you"
    assert owners["poem-questions"] == "builtin"
    builtin = alice.call("GET", "/templates/poem-questions").json()
    assert builtin["owner"] == "builtin"
    assert (
        alice.call("PUT", "/templates/poem-questions", json={"document": TEMPLATE}).status_code
        == 404
    )


def test_a_job_runs_a_saved_template_version(cloud: LocalCloud, alice: User) -> None:
    template_id = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()[
        "template_id"
    ]
    job = queue(alice, records=2, template_id=template_id, template_version=1)["job"]
    assert (job["template_id"], job["template_version"]) == (template_id, 1)
    cloud.wait_for_execution(job["job_id"])
    assert alice.call("GET", f"/jobs/{job['job_id']}").json()["status"] == "COMPLETED"


def test_an_unsafe_template_is_refused_with_the_reason(alice: User) -> None:
    unsafe = {
        **TEMPLATE,
        "steps": [{**TEMPLATE["steps"][0], "prompt": "{{ poem.__class__.__mro__ }}"}],
    }
    response = alice.call("POST", "/templates", json={"document": unsafe})
    assert response.status_code == 400
    assert response.json()["message"] == "step 'haiku': attribute '__mro__' is not allowed (line 1)"


def test_uploaded_seed_data_is_validated_and_used(cloud: LocalCloud, alice: User) -> None:
    good = b'{"poem": {"title": "Rain"}, "author": {"name": "Ann"}}\n'
    key = upload(alice, good * 3)
    template_id = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()[
        "template_id"
    ]
    verdict = alice.call(
        "POST", "/seed-data/validate", json={"seed_data_key": key, "template_id": template_id}
    ).json()
    assert verdict == {
        "valid": True,
        "records": 3,
        "required_fields": ["author.name", "poem.title"],
        "missing": [],
    }
    job = queue(alice, records=3, template_id=template_id, sample_dataset=None, seed_data_key=key)
    cloud.wait_for_execution(job["job"]["job_id"])

    bad = upload(alice, good + b'{"poem": {"title": "Sun"}}\n' + b'{"author": {"name": "B"}}\n')
    verdict = alice.call(
        "POST", "/seed-data/validate", json={"seed_data_key": bad, "template_id": template_id}
    ).json()
    assert verdict["valid"] is False
    assert verdict["missing"] == [
        {"record": 2, "fields": ["author.name"]},
        {"record": 3, "fields": ["poem.title"]},
    ]
    refused = alice.call(
        "POST",
        "/jobs",
        json={
            "name": "x",
            "template_id": template_id,
            "seed_data_key": bad,
            "records": 3,
            "budget_usd": 1,
        },
    )
    assert refused.status_code == 400
    assert "Missing required field: author.name (record 2)" in refused.json()["message"]


def test_seed_uploads_have_type_and_size_limits(alice: User) -> None:
    wrong_type = alice.call(
        "POST",
        "/seed-data",
        json={"filename": "x.exe", "content_type": "application/x-msdownload", "size_bytes": 10},
    )
    assert wrong_type.status_code == 400
    assert "content type" in wrong_type.json()["message"]
    too_big = alice.call(
        "POST",
        "/seed-data",
        json={"filename": "x.jsonl", "content_type": "application/json", "size_bytes": 10**9},
    )
    assert too_big.status_code == 422
    assert "size_bytes" in too_big.json()["message"]
    never_uploaded = alice.call(
        "POST",
        "/jobs",
        json={
            "name": "x",
            "template_id": "poem-questions",
            "seed_data_key": f"seed-data/{alice.sub}/nothing.jsonl",
            "records": 1,
            "budget_usd": 1,
        },
    )
    assert never_uploaded.status_code == 404


def test_cancelling_a_job(cloud: LocalCloud, alice: User) -> None:
    job_id = queue(alice, records=3000, budget_usd=50)["job"]["job_id"]
    cancelled = alice.call("DELETE", f"/jobs/{job_id}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED"
    cloud.wait_for_execution(job_id)
    again = alice.call("DELETE", f"/jobs/{job_id}")
    assert again.status_code == 409
    assert "already ended" in again.json()["message"]


def test_sample_datasets_are_listed(alice: User) -> None:
    datasets = alice.call("GET", "/sample-datasets").json()["datasets"]
    assert {d["name"] for d in datasets} == {"poetry", "literature"}
    assert all(d["size_bytes"] > 0 for d in datasets)


def test_an_id_token_is_accepted_too(alice: User) -> None:
    response = alice.session(alice.id_token).get(alice.api_url + "/jobs", timeout=30)
    assert response.status_code == 200


def test_concurrent_edits_never_share_a_version(alice: User) -> None:
    template_id = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()[
        "template_id"
    ]
    barrier = threading.Barrier(6)

    def edit(number: int) -> requests.Response:
        barrier.wait()
        document = {**TEMPLATE, "name": f"edit {number}"}
        return alice.call("PUT", f"/templates/{template_id}", json={"document": document})

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(edit, range(6)))
    assert {r.status_code for r in responses} <= {200, 409}
    saved = [r.json()["version"] for r in responses if r.status_code == 200]
    assert len(saved) == len(set(saved)) >= 1
    versions = alice.call("GET", f"/templates/{template_id}/versions").json()["versions"]
    assert [v["version"] for v in versions] == list(range(len(saved) + 1, 0, -1))
    for conflict in (r for r in responses if r.status_code == 409):
        assert "changed meanwhile" in conflict.json()["message"]
