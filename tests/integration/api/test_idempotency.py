"""Idempotency-Key through the local API: concurrent duplicates create one job (or batch) per key,
a key is the caller's own, reused for another body it is refused, and ``plot-palette submit``
retried after a lost answer queues one job.

The queue's pipe is stopped for this module: what it checks ends with the submission, so the jobs
stay QUEUED and no worker runs on a machine the concurrent requests already load.
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from plot_palette.client import ApiClient
from plot_palette.local.cloud import LocalCloud
from tests.integration.api.conftest import User, sign_up_and_in
from tests.integration.orchestration.helpers import local_cloud

pytestmark = [pytest.mark.integration, pytest.mark.slow]

cli = importlib.import_module("plot_palette.cli.app")
ROOT = Path(__file__).resolve().parents[3]
DEADLINE_SECONDS = 120


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    home: Path = tmp_path_factory.mktemp("home")
    # one user queues 25 jobs at once here (QuotaJobsQueued is tested in jobs/test_quotas.py)
    parameters = {"QuotaJobsQueued": 100}
    with local_cloud(home, model_latency_ms=5, parameters=parameters) as running:
        running.pipes.stop()  # jobs stay QUEUED: no execution, no worker
        yield running


def job_body(name: str, records: int = 2) -> dict[str, Any]:
    return {
        "name": name,
        "template_id": "poem-questions",
        "sample_dataset": "poetry",
        "records": records,
        "budget_usd": 1.0,
    }


def batch_body(name: str) -> dict[str, Any]:
    return {"name": name, "job": job_body(f"{name} job"), "sweep": {"records": [2, 3]}}


@dataclass
class Answer:
    """What one client finally got, after asking again through any 409 "in progress"."""

    key: str
    status: int
    body: dict[str, Any]
    replayed: bool
    in_progress_answers: int


def post_until_answered(user: User, path: str, body: dict[str, Any], key: str) -> Answer:
    """POST as a client does: a 409 with Retry-After is asked again, same key and body."""
    http = user.session()
    busy = 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        response = http.post(
            user.api_url + path,
            json=body,
            headers={"Idempotency-Key": key},
            timeout=DEADLINE_SECONDS,
        )
        retry_after = response.headers.get("Retry-After")
        if response.status_code == 409 and retry_after is not None:
            busy += 1
            assert time.monotonic() < deadline, f"{key} still in progress after {busy} tries"
            time.sleep(float(retry_after))
            continue
        return Answer(
            key=key,
            status=response.status_code,
            body=response.json(),
            replayed=response.headers.get("Idempotent-Replayed") == "true",
            in_progress_answers=busy,
        )


def all_at_once(
    calls: list[tuple[str, dict[str, Any], str]], user: User, path: str
) -> list[Answer]:
    """Send every ``(name, body, key)`` from its own thread, released together."""
    start = threading.Barrier(len(calls))

    def send(call: tuple[str, dict[str, Any], str]) -> Answer:
        _, body, key = call
        start.wait(timeout=DEADLINE_SECONDS)
        return post_until_answered(user, path, body, key)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


def differences(pair: list[Answer]) -> dict[str, Any]:
    """The job fields two answers disagree on, and whether each was a replay."""
    first, second = (answer.body.get("job") or answer.body.get("batch") or {} for answer in pair)
    return {
        "replayed": [answer.replayed for answer in pair],
        **{
            name: (first.get(name), second.get(name))
            for name in sorted(set(first) | set(second))
            if first.get(name) != second.get(name)
        },
    }


def pair_problems(answers: list[Answer], names: dict[str, str]) -> list[str]:
    """What is wrong with each key's two answers: they must be one job (the same body), the
    job of that key's own request, created by one of them and replayed to the other."""
    problems = []
    for key, name in names.items():
        pair = [answer for answer in answers if answer.key == key]
        thing = "job" if "job" in pair[0].body and "batch" not in pair[0].body else "batch"
        if pair[0].body != pair[1].body:
            problems.append(f"{key}: two different answers {differences(pair)}")
        got = {answer.body[thing]["name"] for answer in pair}
        if got != {name}:
            problems.append(f"{key}: answered {got}, asked for {name!r} (another request's body)")
        if sorted(answer.replayed for answer in pair) != [False, True]:
            problems.append(f"{key}: replayed {[answer.replayed for answer in pair]}")
    return problems


def user_jobs(user: User) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = user.call("GET", "/jobs", params={"limit": 100}).json()["jobs"]
    return jobs


def test_the_local_cloud_provisions_the_table_and_names_it_to_the_api(cloud: LocalCloud) -> None:
    (api,) = [f for f in cloud.lambdas.functions() if f.logical_id == "ApiFunction"]
    table = api.environment["IDEMPOTENCY_TABLE_NAME"]
    dynamodb = cloud.client("dynamodb")
    schema = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
    assert schema == [{"AttributeName": "id", "KeyType": "HASH"}]
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}


def test_50_concurrent_job_submissions_with_25_keys_create_25_jobs(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    keys = [f"job-key-{number}-{uuid.uuid4()}" for number in range(25)]
    calls = [(key, job_body(f"idempotent {number}"), key) for number, key in enumerate(keys)]
    answers = all_at_once(calls * 2, user, "/jobs")

    assert Counter(answer.status for answer in answers) == {201: 50}, [
        (a.status, a.body) for a in answers if a.status != 201
    ]
    problems = pair_problems(answers, {key: f"idempotent {n}" for n, key in enumerate(keys)})
    listed = user_jobs(user)
    created = Counter(job["name"] for job in listed)
    problems += [f"{count} jobs named {name!r}" for name, count in created.items() if count != 1]
    assert not problems, "\n".join(problems)
    job_ids = {answer.body["job"]["job_id"] for answer in answers}
    assert len(job_ids) == 25 == len(listed)
    assert sorted(job["job_id"] for job in listed) == sorted(job_ids)
    in_progress = sum(answer.in_progress_answers for answer in answers)
    print(f"50 submissions, 25 keys: 25 jobs; {in_progress} 409 in-progress answers retried")


def test_concurrent_batch_submissions_create_one_batch_per_key(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    keys = [f"batch-key-{number}-{uuid.uuid4()}" for number in range(5)]
    calls = [(key, batch_body(f"sweep {number}"), key) for number, key in enumerate(keys)]
    answers = all_at_once(calls * 2, user, "/batches")

    assert Counter(answer.status for answer in answers) == {201: 10}, [
        (a.status, a.body) for a in answers if a.status != 201
    ]
    problems = pair_problems(answers, {key: f"sweep {n}" for n, key in enumerate(keys)})
    assert not problems, "\n".join(problems)
    batch_ids = {answer.body["batch"]["batch_id"] for answer in answers}
    assert len(batch_ids) == 5
    listed = user.call("GET", "/batches", params={"limit": 100}).json()["batches"]
    assert sorted(batch["batch_id"] for batch in listed) == sorted(batch_ids)
    assert len(user_jobs(user)) == 10  # two jobs per sweep, each sweep queued once


def test_a_key_reused_for_another_body_is_refused_and_creates_nothing(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    key = str(uuid.uuid4())
    first = post_until_answered(user, "/jobs", job_body("first"), key)
    assert first.status == 201 and not first.replayed

    other = post_until_answered(user, "/jobs", job_body("first", records=3), key)
    assert other.status == 422
    assert "Idempotency-Key was used for another request" in other.body["message"]
    batch = post_until_answered(user, "/batches", batch_body("a batch"), key)
    assert batch.status == 201, "a job's key does not name a batch"

    again = post_until_answered(user, "/jobs", job_body("first"), key)
    assert again.status == 201 and again.replayed and again.body == first.body
    assert len(user_jobs(user)) == 1 + 2


def test_keys_are_each_user_s_own(cloud: LocalCloud) -> None:
    alice, bob = sign_up_and_in(cloud), sign_up_and_in(cloud)
    key = str(uuid.uuid4())
    mine = post_until_answered(alice, "/jobs", job_body("same"), key)
    theirs = post_until_answered(bob, "/jobs", job_body("same"), key)
    assert (mine.status, theirs.status) == (201, 201)
    assert not theirs.replayed
    assert theirs.body["job"]["job_id"] != mine.body["job"]["job_id"]
    assert [job["job_id"] for job in user_jobs(bob)] == [theirs.body["job"]["job_id"]]


def test_without_a_key_each_request_queues_a_job_as_before(cloud: LocalCloud) -> None:
    user = sign_up_and_in(cloud)
    for _ in range(2):
        response = user.call("POST", "/jobs", json=job_body("no key"))
        assert response.status_code == 201, response.text
        assert "Idempotent-Replayed" not in response.headers
    assert len(user_jobs(user)) == 2


@pytest.mark.parametrize(
    "key",
    ["x" * 256, "caf\u00e9", "tab\there", ""],
    ids=["too-long", "not-ascii", "control-character", "empty"],
)
def test_a_malformed_key_is_a_422_that_says_what_a_key_is(cloud: LocalCloud, key: str) -> None:
    user = sign_up_and_in(cloud)
    response = user.session().post(
        user.api_url + "/jobs",
        json=job_body("bad key"),
        headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")},
        timeout=60,
    )
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert message.startswith("header.idempotency-key: "), message
    assert "255" in message or "at least 1" in message
    assert user_jobs(user) == []


class AnswerLostOnce(requests.Session):
    """Sends the first ``POST /jobs`` to the API, then loses its answer as a client timeout
    would: the job exists, the client does not know it."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, str]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if method == "POST" and url.endswith("/jobs"):
            self.posts.append(dict(kwargs.get("headers") or {}))
            if len(self.posts) == 1:
                assert response.status_code == 201, response.text
                raise requests.ReadTimeout("read timed out (the answer was lost)")
        return response


def test_cli_submit_retried_after_a_lost_answer_queues_one_job(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user = sign_up_and_in(cloud)
    http = AnswerLostOnce()
    monkeypatch.setattr(
        cli, "_api", lambda: ApiClient(user.api_url, user.access_token, http=http, retry=cli.RETRY)
    )
    spec = tmp_path / "job.yaml"
    spec.write_text(
        "name: cli retried\n"
        f"template: {ROOT / 'src/plot_palette/templates/builtin/poem-questions.yaml'}\n"
        f"seed_data: {ROOT / 'sample-datasets/poetry/poems.jsonl'}\n"
        "records: 3\nbudget_usd: 1.0\n"
    )

    result = CliRunner().invoke(cli.app, ["submit", str(spec)])

    assert result.exit_code == 0, result.output
    assert "sending the same submission again" in result.output
    job_id = result.output.split("queued job ")[1].split()[0]
    assert [job["job_id"] for job in user_jobs(user)] == [job_id]
    first, retried = (post["Idempotency-Key"] for post in http.posts)
    assert first == retried and len(first) == 36  # a UUID, the same on the retry
