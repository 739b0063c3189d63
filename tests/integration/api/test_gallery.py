"""The public template gallery through the local API: publish, search, read, fork, unpublish."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.integration.api.conftest import User


def step(prompt: str, step_id: str = "ask") -> dict[str, Any]:
    return {"id": step_id, "model_tier": "tier-1", "max_tokens": 40, "prompt": prompt}


def save(user: User, name: str, prompt: str) -> str:
    response = user.call(
        "POST", "/templates", json={"document": {"name": name, "steps": [step(prompt)]}}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["template_id"])


def publish(user: User, template_id: str, **body: Any) -> dict[str, Any]:
    response = user.call(
        "POST",
        f"/templates/{template_id}/publish",
        json={"version": 1, "description": "A gallery test", **body},
    )
    assert response.status_code == 201, response.text
    published: dict[str, Any] = response.json()
    return published


def test_publish_search_fork_and_the_fork_is_independent(alice: User, bob: User) -> None:
    # GIVEN Alice's private template that includes another private one
    part = save(alice, "Private part", "Secret style guide.")
    main = save(alice, "Zebra sonnets", f'{{% include "{part}" %}} Sonnet on {{{{ poem.title }}}}.')
    published = publish(alice, main, tags=["Poetry", "sonnets"], display_name="Alice P.")
    gallery_id = published["gallery_id"]
    # the snapshot is the expanded document, with nothing of the owner's
    assert published["document"]["steps"][0]["prompt"] == (
        "Secret style guide. Sonnet on {{ poem.title }}."
    )
    assert published["author"] == "Alice P." and published["tags"] == ["poetry", "sonnets"]
    for private in (alice.sub, alice.email, main, part):
        assert private not in str(published)
    # WHEN Bob searches (by name word, case-insensitive, and by tag) and reads it
    found = bob.call("GET", "/gallery?q=ZEBRA").json()["entries"]
    assert [e["gallery_id"] for e in found] == [gallery_id]
    assert gallery_id in [
        e["gallery_id"] for e in bob.call("GET", "/gallery?q=sonnets").json()["entries"]
    ]
    assert bob.call("GET", "/gallery?q=no-such-words-anywhere").json()["entries"] == []
    entry = bob.call("GET", f"/gallery/{gallery_id}")
    assert entry.status_code == 200 and "publisher_id" not in entry.text
    assert alice.sub not in entry.text and alice.email not in entry.text
    # AND forks it
    fork = bob.call("POST", f"/gallery/{gallery_id}/fork")
    assert fork.status_code == 201, fork.text
    forked = fork.json()
    assert forked["version"] == 1 and forked["owner"] == "you"
    assert forked["template_id"].startswith("tpl-") and forked["template_id"] != main
    assert forked["document"]["steps"] == published["document"]["steps"]
    bobs = {t["template_id"] for t in bob.call("GET", "/templates").json()["templates"]}
    assert forked["template_id"] in bobs
    assert bob.call("GET", f"/gallery/{gallery_id}").json()["forks"] == 1
    # THEN Alice's later edits reach neither the gallery snapshot nor Bob's fork
    edit = {"document": {"name": "Zebra sonnets", "steps": [step("Changed.")]}}
    assert alice.call("PUT", f"/templates/{main}", json=edit).status_code == 200
    assert (
        bob.call("GET", f"/templates/{forked['template_id']}").json()["document"]["steps"]
        == (published["document"]["steps"])
    )
    assert bob.call("GET", f"/gallery/{gallery_id}").json()["document"] == published["document"]
    # and Bob's edits of his fork are his alone
    mine = {"document": {"name": "Bob's", "steps": [step("Bob's words.")]}}
    assert bob.call("PUT", f"/templates/{forked['template_id']}", json=mine).status_code == 200
    assert alice.call("GET", f"/templates/{main}").json()["document"]["steps"][0]["prompt"] == (
        "Changed."
    )


def test_private_templates_are_never_visible_through_the_gallery(alice: User, bob: User) -> None:
    private = save(alice, "Quokka private", "Never published.")
    assert bob.call("GET", f"/gallery/{private}").status_code == 404
    assert alice.call("GET", f"/gallery/{private}").status_code == 404
    assert bob.call("POST", f"/gallery/{private}/fork").status_code == 404
    assert bob.call("GET", "/gallery?q=quokka").json()["entries"] == []
    # Bob may neither publish, export, restore nor unpublish what is Alice's
    theft = bob.call(
        "POST", f"/templates/{private}/publish", json={"version": 1, "description": "mine now"}
    )
    assert theft.status_code == 404
    assert bob.call("GET", "/gallery?q=quokka").json()["entries"] == []
    published = publish(alice, private)
    assert bob.call("DELETE", f"/gallery/{published['gallery_id']}").status_code == 404
    assert bob.call("GET", f"/gallery/{published['gallery_id']}").status_code == 200
    # the gallery entry is not one of anyone's templates
    assert bob.call("GET", f"/templates/{published['gallery_id']}").status_code == 404
    assert alice.call("GET", f"/templates/{published['gallery_id']}").status_code == 404
    # built-in templates are not published again
    builtin = alice.call(
        "POST", "/templates/poem-questions/publish", json={"version": 1, "description": "x"}
    )
    assert builtin.status_code == 400
    # unpublishing: the owner only; then it is gone for everyone, forks included
    assert alice.call("DELETE", f"/gallery/{published['gallery_id']}").status_code == 204
    assert bob.call("GET", f"/gallery/{published['gallery_id']}").status_code == 404
    assert bob.call("POST", f"/gallery/{published['gallery_id']}/fork").status_code == 404
    assert alice.call("DELETE", f"/gallery/{published['gallery_id']}").status_code == 404


def test_sorting_by_forks_and_recent_and_paging(alice: User, bob: User) -> None:
    ids = [
        publish(alice, save(alice, f"Wombat {n}", f"Wombat {n}."))["gallery_id"] for n in range(3)
    ]
    for _ in range(2):
        assert bob.call("POST", f"/gallery/{ids[0]}/fork").status_code == 201
    assert bob.call("POST", f"/gallery/{ids[1]}/fork").status_code == 201
    by_forks = bob.call("GET", "/gallery?q=wombat&sort=forks").json()["entries"]
    assert [e["gallery_id"] for e in by_forks] == [ids[0], ids[1], ids[2]]
    assert [e["forks"] for e in by_forks] == [2, 1, 0]
    recent = bob.call("GET", "/gallery?q=wombat&sort=recent").json()["entries"]
    assert [e["gallery_id"] for e in recent] == [ids[2], ids[1], ids[0]]
    # pages of one, following the cursor, give the same order and end
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = "/gallery?q=wombat&sort=forks&limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = bob.call("GET", query).json()
        seen += [e["gallery_id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids[0], ids[1], ids[2]]
    bad = bob.call("GET", "/gallery?cursor=not-a-cursor")
    assert bad.status_code == 400
    assert bob.call("GET", "/gallery?sort=oldest").status_code == 422


def test_bad_publish_requests_are_refused_and_publish_nothing(alice: User) -> None:
    template_id = save(alice, "Platypus", "Platypus.")
    for body in (
        {"version": 2, "description": "no such version"},
        {"version": 1, "description": ""},
        {"version": 1, "description": "x", "tags": ["t" * 31]},
        {"version": 1, "description": "x", "owner": "someone"},
    ):
        response = alice.call("POST", f"/templates/{template_id}/publish", json=body)
        assert response.status_code in (400, 404, 422), (body, response.text)
    assert alice.call("GET", "/gallery?q=platypus").json()["entries"] == []


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("recent", {"template_id": "gal-0123456789abcdef0123", "order": ""}),
        ("recent", {"template_id": "", "order": "2026-12-01T08:00:00.123456Z"}),
        ("recent", {"template_id": "gal-0123456789abcdef0123", "order": "tuesday"}),
        ("forks", {"template_id": "gal-0123456789abcdef0123", "order": True}),
        ("forks", {"template_id": "gal-0123456789abcdef0123", "order": -1}),
        ("forks", {"template_id": "gal-0123456789abcdef0123", "order": 10**40}),
    ],
    ids=["empty-order", "empty-id", "not-a-timestamp", "boolean-forks", "negative", "huge"],
)
def test_a_forged_gallery_cursor_is_a_400_not_a_500(bob: User, sort: str, key: object) -> None:
    # each of these would reach DynamoDB as an invalid ExclusiveStartKey (a ValidationException)
    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    response = bob.call("GET", "/gallery", params={"sort": sort, "cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "cursor is not one this API returned"
