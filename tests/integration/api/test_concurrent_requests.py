"""Concurrent requests to the local API: each is handled with its own body and its own caller.

Powertools keeps the current event on its resolver class, shared by every copy of the api
handler in the process; the local Lambda runner gives each function one execution environment
that handles one event at a time, as a Lambda environment does.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User
from tests.integration.api.test_endpoints import TEMPLATE, queue

pytestmark = pytest.mark.slow(seconds=45)

REQUESTS = 120
THREADS = 16


def estimate(user: User, number: int) -> str | None:
    records = 1000 + number
    body = {
        "name": f"{user.email} estimate {number}",
        "template_id": "poem-questions",
        "sample_dataset": "poetry",
        "records": records,
        "budget_usd": 1.0,
    }
    response = user.call("POST", "/jobs/estimate", json=body)
    if response.status_code != 200:
        return f"estimate {number} for {user.email}: {response.status_code} {response.text}"
    answered = response.json()["records"]
    if answered != records:
        return f"estimate {number} for {user.email}: asked {records} records, got {answered}"
    return None


def save_template(user: User, number: int) -> str | None:
    name = f"{user.email} template {number}"
    response = user.call("POST", "/templates", json={"document": {**TEMPLATE, "name": name}})
    if response.status_code != 201:
        return f"template {number} for {user.email}: {response.status_code} {response.text}"
    saved = response.json()
    if saved["document"]["name"] != name or saved["owner"] != "you":
        return f"template {number} for {user.email}: saved {saved['document']['name']!r}"
    return None


def read_job(user: User, job: dict[str, Any]) -> str | None:
    response = user.call("GET", f"/jobs/{job['job_id']}")
    if response.status_code != 200:
        return f"{user.email} reading its job {job['job_id']}: {response.status_code}"
    seen = response.json()
    if (seen["job_id"], seen["name"]) != (job["job_id"], job["name"]):
        return f"{user.email} asked for {job['job_id']} and got {seen['job_id']} {seen['name']!r}"
    return None


def test_concurrent_requests_of_two_users_each_get_their_own_answer(
    cloud: LocalCloud, alice: User, bob: User
) -> None:
    # GIVEN two users with a job each
    jobs = {
        user.email: queue(user, records=2, name=f"{user.email} job")["job"] for user in (alice, bob)
    }

    # WHEN they send 200 mixed requests at once: estimates and template saves with bodies no
    # other request has, and reads of their own job
    def one(number: int) -> str | None:
        user = (alice, bob)[number % 2]
        kind = (number // 2) % 3
        if kind == 0:
            return estimate(user, number)
        if kind == 1:
            return save_template(user, number)
        return read_job(user, jobs[user.email])

    # (the interpreter switches threads far more often than its default 5 ms meanwhile, so that
    # requests interleave inside the handler as they do on a loaded machine)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            mixed = [problem for problem in pool.map(one, range(REQUESTS)) if problem]
    finally:
        sys.setswitchinterval(interval)

    # THEN every answer was made from its own request's body and caller
    assert mixed == [], mixed[:10]
    for user in (alice, bob):
        names = [
            template["name"]
            for template in user.call("GET", "/templates").json()["templates"]
            if "@example.com template " in template["name"]
        ]
        saved_by = {name.split(" template ")[0] for name in names}
        assert saved_by == {user.email}, f"{user.email} holds templates saved by {saved_by}"
        saves = sum(1 for n in range(REQUESTS) if n % 2 == (user is bob) and (n // 2) % 3 == 1)
        assert len(names) == saves
    for job in jobs.values():
        cloud.wait_for_execution(job["job_id"])
