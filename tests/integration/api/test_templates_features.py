"""Template includes, YAML import and export, version diffs and restore, through the local API."""

from __future__ import annotations

from typing import Any

from plot_palette.jobs.store import ConfigStore
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User


def step(prompt: str, step_id: str = "ask") -> dict[str, Any]:
    return {"id": step_id, "model_tier": "tier-1", "max_tokens": 40, "prompt": prompt}


def save(user: User, name: str, *steps: dict[str, Any]) -> str:
    response = user.call("POST", "/templates", json={"document": {"name": name, "steps": steps}})
    assert response.status_code == 201, response.text
    return str(response.json()["template_id"])


def test_an_include_is_expanded_into_the_jobs_config_and_later_edits_do_not_reach_it(
    cloud: LocalCloud, alice: User
) -> None:
    # GIVEN a style template and a template that includes its named step
    style = save(alice, "Style", step("Be brief.", "intro"), step("Rhyme.", "rhymes"))
    main = save(
        alice, "Poem", step(f'{{% include "{style}#rhymes" %}} About {{{{ poem.title }}}}.')
    )
    # the stored document keeps the tag; the job's config holds the text
    assert (
        "include"
        in alice.call("GET", f"/templates/{main}").json()["document"]["steps"][0]["prompt"]
    )
    job = alice.call(
        "POST",
        "/jobs",
        json={
            "name": "includes",
            "template_id": main,
            "sample_dataset": "poetry",
            "records": 1,
            "budget_usd": 1,
        },
    )
    assert job.status_code == 201, job.text
    job_id = job.json()["job"]["job_id"]
    # WHEN the included template changes after the submission
    edited = alice.call(
        "PUT",
        f"/templates/{style}",
        json={
            "document": {
                "name": "Style",
                "steps": [step("Be brief.", "intro"), step("Shout.", "rhymes")],
            }
        },
    )
    assert edited.status_code == 200, edited.text
    # THEN the job ran the text as submitted, from its own config
    config = ConfigStore(cloud.client("s3"), cloud.endpoints.bucket).get(job_id)
    assert config["template"]["steps"][0]["prompt"] == "Rhyme. About {{ poem.title }}."
    assert cloud.wait_for_execution(job_id)["status"] == "SUCCEEDED"
    # and a new submission takes the new text, with a pinned version the old one
    pinned = save(alice, "Pinned", step(f'{{% include "{style}@1#rhymes" %}}!'))
    estimate = alice.call(
        "POST",
        "/jobs/estimate",
        json={
            "template_id": pinned,
            "sample_dataset": "poetry",
            "records": 1,
            "budget_usd": 1,
            "name": "x",
        },
    )
    assert estimate.status_code == 200, estimate.text


def test_include_cycles_and_depth_are_refused_at_save_time(alice: User) -> None:
    base = save(alice, "Base", step("Base text."))
    middle = save(alice, "Middle", step(f'{{% include "{base}" %}} more'))
    # a -> a
    itself = alice.call(
        "PUT",
        f"/templates/{base}",
        json={"document": {"name": "Base", "steps": [step(f'{{% include "{base}" %}}')]}},
    )
    assert itself.status_code == 400
    assert "include cycle" in itself.json()["message"]
    # a -> b -> a
    loop = alice.call(
        "PUT",
        f"/templates/{base}",
        json={"document": {"name": "Base", "steps": [step(f'{{% include "{middle}" %}}')]}},
    )
    assert loop.status_code == 400
    assert f"include cycle {base} → {middle} → {base}" in loop.json()["message"]
    assert alice.call("GET", f"/templates/{base}").json()["latest_version"] == 1
    # too deep: each template includes the previous one
    chain = [base]
    refused = None
    for level in range(6):
        response = alice.call(
            "POST",
            "/templates",
            json={
                "document": {"name": f"L{level}", "steps": [step(f'{{% include "{chain[-1]}" %}}')]}
            },
        )
        if response.status_code != 201:
            refused = response
            break
        chain.append(response.json()["template_id"])
    assert refused is not None and refused.status_code == 400
    assert "nest more than" in refused.json()["message"]


def test_another_users_template_cannot_be_included(alice: User, bob: User) -> None:
    secret = save(alice, "Secret", step("Alice's secret prompt."))
    before = {t["template_id"] for t in bob.call("GET", "/templates").json()["templates"]}
    theirs = bob.call(
        "POST",
        "/templates",
        json={"document": {"name": "Theft", "steps": [step(f'{{% include "{secret}" %}}')]}},
    )
    missing = bob.call(
        "POST",
        "/templates",
        json={
            "document": {
                "name": "Theft",
                "steps": [step('{% include "tpl-00000000000000000000" %}')],
            }
        },
    )
    assert theirs.status_code == missing.status_code == 400
    assert theirs.json()["message"].replace(secret, "ID") == missing.json()["message"].replace(
        "tpl-00000000000000000000", "ID"
    )
    assert "Alice's secret" not in theirs.text
    after = {t["template_id"] for t in bob.call("GET", "/templates").json()["templates"]}
    assert after == before  # nothing half-created
    # a built-in template may be included by anyone
    builtin = bob.call(
        "POST",
        "/templates",
        json={"document": {"name": "Builtin", "steps": [step('{% include "poem-questions" %}')]}},
    )
    assert builtin.status_code == 201, builtin.text


def test_yaml_export_and_import_round_trip(alice: User, bob: User) -> None:
    template_id = save(alice, "Exported", step("Line one\nLine two {{ poem.title }}"))
    exported = alice.call("GET", f"/templates/{template_id}/export")
    assert exported.status_code == 200, exported.text
    text = exported.json()["yaml"]
    assert "prompt: |-\n" in text and "name: Exported" in text
    imported = bob.call("POST", "/templates/import", json={"yaml": text})
    assert imported.status_code == 201, imported.text
    copy = imported.json()
    assert copy["template_id"] != template_id and copy["version"] == 1
    assert (
        copy["document"]["steps"]
        == alice.call("GET", f"/templates/{template_id}").json()["document"]["steps"]
    )
    # another user's template exports like a missing one
    assert bob.call("GET", f"/templates/{template_id}/export").status_code == 404
    assert alice.call("GET", f"/templates/{template_id}/export?version=2").status_code == 404


def test_bad_yaml_is_refused_with_its_line_and_nothing_is_created(bob: User) -> None:
    before = bob.call("GET", "/templates").json()["templates"]
    bad = bob.call(
        "POST", "/templates/import", json={"yaml": "name: x\nsteps:\n  - id: a\n  prompt: b\n"}
    )
    assert bad.status_code == 400
    assert "line 4" in bad.json()["message"]
    alias = bob.call("POST", "/templates/import", json={"yaml": "a: &x [1]\nname: *x\nsteps: []\n"})
    assert alias.status_code == 400 and "aliases" in alias.json()["message"]
    invalid = bob.call("POST", "/templates/import", json={"yaml": "name: x\nsteps: []\n"})
    assert invalid.status_code == 400 and "steps" in invalid.json()["message"]
    assert bob.call("GET", "/templates").json()["templates"] == before


def test_deeply_nested_yaml_is_a_400_naming_its_line_and_nothing_is_created(bob: User) -> None:
    before = bob.call("GET", "/templates").json()["templates"]
    # 2,000 levels is a few kilobytes, far under the size limit, and would exhaust the stack
    deep = "name: x\nsteps: []\nextra: " + "[" * 2000 + "]" * 2000 + "\n"
    response = bob.call("POST", "/templates/import", json={"yaml": deep})
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "the YAML is nested more than 64 levels deep (line 3)"
    assert bob.call("GET", "/templates").json()["templates"] == before


def test_diff_and_restore_as_a_new_version(alice: User, bob: User) -> None:
    template_id = save(alice, "History", step("First prompt."))
    second = {"document": {"name": "History", "steps": [step("Second prompt.")]}}
    assert alice.call("PUT", f"/templates/{template_id}", json=second).status_code == 200
    diff = alice.call("GET", f"/templates/{template_id}/diff?from=1&to=2")
    assert diff.status_code == 200, diff.text
    text = diff.json()["diff"]
    assert f"--- {template_id}@1" in text and f"+++ {template_id}@2" in text
    assert "-  prompt: First prompt." in text and "+  prompt: Second prompt." in text
    assert alice.call("GET", f"/templates/{template_id}/diff?from=1&to=1").json()["diff"] == ""
    assert alice.call("GET", f"/templates/{template_id}/diff?from=1&to=9").status_code == 404
    restored = alice.call("POST", f"/templates/{template_id}/versions/1/restore")
    assert restored.status_code == 201, restored.text
    assert restored.json()["version"] == 3
    assert restored.json()["document"]["steps"][0]["prompt"] == "First prompt."
    versions = alice.call("GET", f"/templates/{template_id}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    # Bob can neither restore nor diff Alice's template
    for method, path in (
        ("POST", f"/templates/{template_id}/versions/1/restore"),
        ("GET", f"/templates/{template_id}/diff?from=1&to=2"),
    ):
        response = bob.call(method, path)
        assert response.status_code == 404, (path, response.text)
    assert alice.call("GET", f"/templates/{template_id}").json()["latest_version"] == 3
    assert alice.call("POST", f"/templates/{template_id}/versions/0/restore").status_code == 404
