"""``POST /seed-data/generate`` through the local API: a generated file feeds a job."""

from __future__ import annotations

from plot_palette.local.cloud import LocalCloud
from plot_palette.templates import parse_seed_data
from tests.integration.api.conftest import User
from tests.integration.api.test_endpoints import TEMPLATE, queue


def generated_keys(cloud: LocalCloud, user: User) -> list[str]:
    listing = cloud.client("s3").list_objects_v2(
        Bucket=cloud.endpoints.bucket, Prefix=f"seed-data/{user.sub}/generated/"
    )
    return [item["Key"] for item in listing.get("Contents", [])]


def test_generated_seed_data_is_saved_previewed_and_feeds_a_job_that_completes(
    cloud: LocalCloud, alice: User
) -> None:
    template_id = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()[
        "template_id"
    ]
    response = alice.call(
        "POST",
        "/seed-data/generate",
        json={"template_id": template_id, "count": 12, "instructions": "Romantic poets"},
    )
    assert response.status_code == 200, response.text
    made = response.json()
    assert made["key"].startswith(f"seed-data/{alice.sub}/generated/")
    assert made["key"].endswith(".jsonl")
    assert (made["records"], made["requested"], made["dropped"]) == (12, 12, 0)
    assert made["fields"] == ["author.name", "poem.title"]
    assert made["answered_by"] == "local-endpoint"
    assert made["cost_usd"] == 0
    assert len(made["preview"]) == 5
    saved = cloud.client("s3").get_object(Bucket=cloud.endpoints.bucket, Key=made["key"])
    records = parse_seed_data(saved["Body"].read())
    assert records[:5] == made["preview"] and len(records) == 12

    verdict = alice.call(
        "POST",
        "/seed-data/validate",
        json={"seed_data_key": made["key"], "template_id": template_id},
    ).json()
    assert verdict["valid"] is True and verdict["records"] == 12

    job = queue(
        alice, records=6, template_id=template_id, sample_dataset=None, seed_data_key=made["key"]
    )
    cloud.wait_for_execution(job["job"]["job_id"])
    finished = alice.call("GET", f"/jobs/{job['job']['job_id']}").json()
    assert finished["status"] == "COMPLETED"
    assert finished["records_generated"] == 6


def test_a_builtin_template_and_a_named_tier_can_generate(alice: User) -> None:
    response = alice.call(
        "POST",
        "/seed-data/generate",
        json={"template_id": "poem-questions", "count": 3, "model": "cheap"},
    )
    assert response.status_code == 200, response.text
    made = response.json()
    assert made["records"] == 3
    assert made["answered_by"] == "bedrock"
    assert made["cost_usd"] > 0
    assert set(made["preview"][0]) == {"author", "category", "poem"}


def test_over_the_cap_or_anothers_template_writes_nothing(
    cloud: LocalCloud, alice: User, bob: User
) -> None:
    template_id = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()[
        "template_id"
    ]
    before = generated_keys(cloud, alice), generated_keys(cloud, bob)
    too_many = alice.call(
        "POST", "/seed-data/generate", json={"template_id": template_id, "count": 101}
    )
    assert too_many.status_code == 422
    assert "count" in too_many.json()["message"]
    theirs = bob.call("POST", "/seed-data/generate", json={"template_id": template_id, "count": 2})
    assert theirs.status_code == 404
    assert "not found" in theirs.json()["message"]
    unknown = alice.call(
        "POST",
        "/seed-data/generate",
        json={"template_id": template_id, "count": 2, "model": "gpt-9"},
    )
    assert unknown.status_code == 400
    assert "unknown model 'gpt-9'" in unknown.json()["message"]
    assert (generated_keys(cloud, alice), generated_keys(cloud, bob)) == before
