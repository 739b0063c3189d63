"""Submissions from the client carry one Idempotency-Key, sent again with the same key and body
while a retry may succeed (lost answer, 5xx, 429, 409 in progress) and never otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from plot_palette.client import ApiClient, ApiError, RetryPolicy

URL = "https://api.test"


class Scripted(requests.Session):
    """Answers each request with the next scripted answer (an exception is raised instead)."""

    def __init__(self, *answers: tuple[int, Any, dict[str, str]] | Exception) -> None:
        super().__init__()
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append({"method": method, "path": url.removeprefix(URL), **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers.update(headers)
        return response


CREATED = (201, {"job": {"job_id": "job-1"}}, {})
IN_PROGRESS = (
    409,
    {"message": "a request with this Idempotency-Key is in progress"},
    {"Retry-After": "2"},
)
REQUEST = {"name": "poems", "records": 5}


def client(http: Scripted, waits: list[float], attempts: int = 10) -> ApiClient:
    return ApiClient(
        URL, "token", http=http, retry=RetryPolicy(attempts=attempts, sleep=waits.append)
    )


def keys(http: Scripted) -> list[str]:
    return [call["headers"]["Idempotency-Key"] for call in http.calls]


def test_a_lost_answer_is_asked_again_with_the_same_key_and_body() -> None:
    http = Scripted(requests.ReadTimeout("read timed out"), IN_PROGRESS, CREATED)
    waits: list[float] = []
    created = client(http, waits).create_job(REQUEST)
    assert created == {"job": {"job_id": "job-1"}}
    assert len(set(keys(http))) == 1 and len(keys(http)) == 3
    assert all(call["json"] == REQUEST and call["path"] == "/jobs" for call in http.calls)
    assert http.calls[0]["headers"]["Authorization"] == "Bearer token"
    assert len(waits) == 2 and waits[1] >= 2  # never sooner than Retry-After


def test_each_submission_gets_its_own_key_unless_the_caller_names_one() -> None:
    http = Scripted(CREATED, CREATED, CREATED)
    api = client(http, [])
    api.create_job(REQUEST)
    api.create_job(REQUEST)
    api.create_batch({"name": "sweep"}, idempotency_key="mine-1")
    first, second, named = keys(http)
    assert first != second and named == "mine-1"
    assert http.calls[2]["path"] == "/batches"


@pytest.mark.parametrize(
    "answer",
    [
        (500, {"message": "Internal Server Error"}, {}),
        (503, {"message": "Service Unavailable"}, {}),
        (429, {"message": "Too Many Requests"}, {}),
        requests.ConnectionError("connection reset by peer"),
    ],
    ids=["500", "503", "429", "connection-reset"],
)
def test_server_failures_are_retried(answer: Any) -> None:
    http = Scripted(answer, CREATED)
    assert client(http, []).create_batch({"name": "sweep"})["job"]["job_id"] == "job-1"
    assert len(http.calls) == 2 and len(set(keys(http))) == 1


@pytest.mark.parametrize(
    "answer",
    [
        (422, {"message": "this Idempotency-Key was used for another request"}, {}),
        (409, {"message": "job job-1 is RUNNING"}, {}),  # a conflict that is not "in progress"
        (400, {"message": "budget_usd: too small"}, {}),
        (401, {"message": "Unauthorized"}, {}),
    ],
    ids=["422", "409-without-retry-after", "400", "401"],
)
def test_refusals_are_not_retried(answer: Any) -> None:
    http = Scripted(answer)
    waits: list[float] = []
    with pytest.raises(ApiError) as raised:
        client(http, waits).create_job(REQUEST)
    assert raised.value.status == answer[0]
    assert len(http.calls) == 1 and waits == []


def test_retries_stop_after_the_policy_s_attempts_with_the_last_error() -> None:
    http = Scripted(*[IN_PROGRESS] * 4)
    waits: list[float] = []
    with pytest.raises(ApiError, match="in progress") as raised:
        client(http, waits, attempts=4).create_job(REQUEST)
    assert raised.value.status == 409 and raised.value.retry_after == 2
    assert len(http.calls) == 4 and len(waits) == 3


def test_backoff_doubles_to_its_cap_and_waits_long_enough_for_the_api_timeout() -> None:
    policy = RetryPolicy()
    waits = [policy.delay(retry) for retry in range(policy.attempts - 1)]
    assert all(wait <= policy.max_delay for wait in waits)
    assert sum(waits) > 29  # the api function's timeout: by then the first try has ended
