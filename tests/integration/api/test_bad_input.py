"""Bad input gets a 4xx with one clear message, never a 5xx."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.integration.api.conftest import User

VALID = {
    "name": "bad input",
    "template_id": "poem-questions",
    "sample_dataset": "poetry",
    "records": 1,
    "budget_usd": 1.0,
}


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"records": -5}, 422, "records"),
        ({"records": 0}, 422, "records"),
        ({"records": "many"}, 422, "records"),
        ({"budget_usd": -1}, 422, "budget_usd"),
        ({"budget_usd": 1e12}, 422, "budget_usd"),
        ({"budget_usd": None}, 422, "budget_usd"),
        ({"priority": 12}, 422, "priority"),
        ({"name": ""}, 422, "name"),
        ({"surprise": True}, 422, "surprise"),
        ({"template": {"name": "x"}}, 422, "exactly one of template_id or template"),
        ({"sample_dataset": None}, 422, "exactly one of seed_data_key or sample_dataset"),
        ({"template_version": 99}, 404, "no version 99"),
        ({"template_id": "nobody-has-this"}, 404, "not found"),
        ({"sample_dataset": "nonexistent"}, 404, "not found"),
        ({"seed_data_key": "seed-data/someone-else/x.jsonl", "sample_dataset": None}, 404, ""),
        ({"category_field": "a..b"}, 422, "category_field"),
    ],
)
def test_a_bad_job_request_is_a_clear_4xx(
    alice: User, change: dict[str, Any], status: int, fragment: str
) -> None:
    body = {key: value for key, value in {**VALID, **change}.items() if value is not None}
    response = alice.call("POST", "/jobs", json=body)
    assert response.status_code == status, response.text
    message = response.json()["message"]
    assert fragment in message
    assert "Traceback" not in message


def test_missing_fields_are_named(alice: User) -> None:
    response = alice.call("POST", "/jobs", json={"name": "x"})
    assert response.status_code == 422
    assert "Field required" in response.json()["message"]


def test_malformed_json_is_a_422(alice: User) -> None:
    response = alice.call(
        "POST", "/jobs", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["message"] == "the body is not valid JSON"


def test_a_body_that_is_not_an_object_is_a_422(alice: User) -> None:
    response = alice.call("POST", "/jobs", json=[1, 2, 3])
    assert response.status_code == 422


def test_an_oversized_body_is_a_413(alice: User) -> None:
    response = alice.call("POST", "/templates", json={"document": {"name": "x" * 2_000_000}})
    assert response.status_code == 413
    assert "limit" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/templates", '{"document": {"name": "t", "extra": ' + "[" * 5000 + "]" * 5000 + "}}"),
        ("/jobs", '{"name": ' + "[" * 5000 + "]" * 5000 + "}"),
        # deep enough to refuse, not deep enough to break a parser: the middleware's case
        ("/templates", '{"document": {"name": "t", "x": ' + '{"a": ' * 100 + "1" + "}" * 102),
    ],
)
def test_a_deeply_nested_body_is_a_422_not_a_500(alice: User, path: str, body: str) -> None:
    before = alice.call("GET", "/jobs").json()["jobs"]
    response = alice.call("POST", path, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["message"] == (
        "the body nests lists and objects more than 64 levels deep"
    )
    assert alice.call("GET", "/jobs").json()["jobs"] == before


def test_a_body_nested_within_the_limit_reaches_validation(alice: User) -> None:
    nested = '{"name": "x", "records": ' + "[" * 60 + "]" * 60 + "}"
    response = alice.call(
        "POST", "/jobs", data=nested, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["message"].startswith("records:")


def test_an_unknown_route_is_a_404(alice: User) -> None:
    assert alice.call("GET", "/nothing/here").status_code == 404
    assert alice.call("PATCH", "/jobs").status_code in (404, 405)


def test_an_invalid_template_version_query_is_a_422(alice: User) -> None:
    response = alice.call("GET", "/templates/poem-questions", params={"version": "latest"})
    assert response.status_code == 422
    assert "version" in response.json()["message"]


def forged_cursor(value: object) -> str:
    """A token encoded like the API's cursors, holding whatever the test wants."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/jobs", "/batches"])
@pytest.mark.parametrize(
    "position",
    [
        ["", "some-id"],
        ["2026-12-01T08:00:00.123456Z", ""],
        ["", ""],
        ["not a time", "some-id"],
        "[" * 1400,
    ],
    ids=["empty-created-at", "empty-id", "both-empty", "not-a-timestamp", "deeply-nested"],
)
def test_a_forged_list_cursor_is_a_400_not_a_500(alice: User, path: str, position: object) -> None:
    # empty strings would reach DynamoDB as empty key attributes (a ValidationException)
    token = (
        base64.urlsafe_b64encode(position.encode()).decode()
        if isinstance(position, str)
        else forged_cursor(position)
    )
    response = alice.call("GET", path, params={"cursor": token})
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "cursor is not one this API returned"
