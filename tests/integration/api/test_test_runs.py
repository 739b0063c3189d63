"""``POST /templates/test-run`` through the local API: the local model endpoint answers."""

from __future__ import annotations

from typing import Any

import requests

from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User
from tests.integration.api.test_endpoints import TEMPLATE, upload

TWO_STEPS = {
    "name": "Question and answer",
    "steps": [
        {
            "id": "question",
            "model_tier": "tier-1",
            "max_tokens": 40,
            "prompt": "Ask about {{ poem.title }} by {{ author.name }}.",
        },
        {
            "id": "answer",
            "model_tier": "tier-2",
            "max_tokens": 60,
            "prompt": "Answer this: {{ steps.question.output }}",
        },
    ],
}


def model_requests(cloud: LocalCloud) -> int:
    stats = requests.get(cloud.endpoints.model_endpoint_url + "/_admin/stats", timeout=10)
    return int(stats.json()["requests"])


def test_an_inline_template_runs_on_inline_seeds_with_every_prompt_and_output(
    cloud: LocalCloud, alice: User
) -> None:
    before = model_requests(cloud)
    response = alice.call(
        "POST",
        "/templates/test-run",
        json={
            "template": TWO_STEPS,
            "seeds": [
                {"poem": {"title": "Rain"}, "author": {"name": "Ann"}},
                {"poem": {"title": "Sun"}, "author": {"name": "Bo"}},
            ],
        },
    )
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["model"] == "local"
    assert run["answered_by"] == "local-endpoint"
    assert len(run["seeds"]) == 2
    question, answer = run["seeds"][0]["steps"]
    assert question["prompt"] == "Ask about Rain by Ann."
    assert question["output"]
    assert answer["prompt"] == f"Answer this: {question['output']}"
    assert answer["output"]
    for step in (question, answer):
        assert step["input_tokens"] > 0 and step["output_tokens"] > 0
        assert step["cost_usd"] == 0 and step["error"] is None
        assert step["answered_by"] == "local-endpoint"
    assert run["totals"]["calls"] == 4
    assert run["totals"]["cost_usd"] == 0
    assert model_requests(cloud) - before == 4  # the local Converse endpoint answered


def test_a_saved_template_runs_on_the_first_records_of_a_sample_dataset(alice: User) -> None:
    response = alice.call(
        "POST",
        "/templates/test-run",
        json={"template_id": "poem-questions", "sample_dataset": "poetry", "count": 3},
    )
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["template_id"], run["template_version"]) == ("poem-questions", 1)
    assert [len(seed["steps"]) for seed in run["seeds"]] == [2, 2, 2]
    assert all(seed["error"] is None for seed in run["seeds"])


def test_an_uploaded_seed_file_and_a_real_model_are_billed(alice: User) -> None:
    key = upload(alice, b'{"poem": {"title": "Rain"}, "author": {"name": "Ann"}}\n' * 2)
    saved = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()
    response = alice.call(
        "POST",
        "/templates/test-run",
        json={
            "template_id": saved["template_id"],
            "seed_data_key": key,
            "count": 2,
            "model": "llama-3.1-8b",
        },
    )
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["answered_by"] == "bedrock"  # the local cloud's Bedrock is the local endpoint
    step = run["seeds"][0]["steps"][0]
    assert step["model_id"] == "llama-3.1-8b"
    assert step["cost_usd"] > 0
    assert 0 < run["totals"]["cost_usd"] <= run["max_cost_usd"]


def test_a_render_error_is_reported_at_its_step(alice: User) -> None:
    response = alice.call(
        "POST",
        "/templates/test-run",
        json={"template": TWO_STEPS, "seeds": [{"poem": {"title": "Rain"}}]},
    )
    assert response.status_code == 200, response.text
    (seed,) = response.json()["seeds"]
    assert seed["steps"][0]["error"] == "step 'question': 'author' is undefined"
    assert seed["steps"][0]["prompt"] is None
    assert len(seed["steps"]) == 1


def test_bad_requests_are_clear_4xx(alice: User, bob: User) -> None:
    seeds = [{"poem": {"title": "Rain"}, "author": {"name": "Ann"}}]
    saved = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()
    cases: list[tuple[dict[str, Any], int, str]] = [
        (
            {"template": {**TWO_STEPS, "steps": [{"id": "x", "prompt": "hi"}]}, "seeds": seeds},
            400,
            "must name exactly one of model or model_tier",
        ),
        (
            {
                "template": {
                    "name": "x",
                    "steps": [{"id": "a", "prompt": "{{ a.__class__ }}", "model_tier": "cheap"}],
                },
                "seeds": seeds,
            },
            400,
            "attribute '__class__' is not allowed",
        ),
        ({"template": TWO_STEPS, "seeds": seeds * 6}, 422, "seeds"),
        ({"template": TWO_STEPS}, 422, "exactly one of seeds"),
        ({"template": TWO_STEPS, "seeds": seeds, "model": "gpt-9"}, 400, "unknown model 'gpt-9'"),
        ({"template_id": "poem-questions", "sample_dataset": "poetry", "count": 6}, 422, "count"),
        ({"template_id": "nope", "seeds": seeds}, 404, "not found"),
    ]
    for body, status, message in cases:
        response = alice.call("POST", "/templates/test-run", json=body)
        assert response.status_code == status, (body, response.text)
        assert message in response.json()["message"], (body, response.text)
    # Alice's template is not Bob's: exactly like a missing one
    theirs = bob.call(
        "POST", "/templates/test-run", json={"template_id": saved["template_id"], "seeds": seeds}
    )
    assert theirs.status_code == 404
    assert "not found" in theirs.json()["message"]


def test_includes_are_expanded_from_the_callers_own_templates_only(alice: User, bob: User) -> None:
    saved = alice.call("POST", "/templates", json={"document": TEMPLATE}).json()
    including = {
        "name": "Includes",
        "steps": [
            {
                "id": "wrapped",
                "model_tier": "tier-1",
                "max_tokens": 40,
                "prompt": 'Be brief. {% include "' + saved["template_id"] + '" %}',
            }
        ],
    }
    seeds = [{"poem": {"title": "Rain"}, "author": {"name": "Ann"}}]
    mine = alice.call("POST", "/templates/test-run", json={"template": including, "seeds": seeds})
    assert mine.status_code == 200, mine.text
    step = mine.json()["seeds"][0]["steps"][0]
    assert step["prompt"] == "Be brief. Write a haiku about Rain by Ann."
    theirs = bob.call("POST", "/templates/test-run", json={"template": including, "seeds": seeds})
    assert theirs.status_code in (400, 404), theirs.text
    assert saved["template_id"] in theirs.json()["message"]
