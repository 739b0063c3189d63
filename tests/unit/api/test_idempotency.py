"""Idempotent submissions on moto's DynamoDB, with the table the database stack declares: a key
runs its submission once per user and route, replays the first response, refuses another body,
answers 409 while the first request runs, and frees itself when the request fails or dies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import TypeAdapter, ValidationError

from plot_palette.api.idempotency import (
    KEY_LIFETIME_SECONDS,
    IdempotencyKeyHeader,
    IdempotentSubmissions,
    KeyReusedError,
    RequestInProgressError,
)
from tests.unit.infra.cfn import resources, stack

TABLE = "plot-palette-Database-IdempotencyTable"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    declared = resources(stack("database"), "AWS::DynamoDB::Table")["IdempotencyTable"]
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=declared["KeySchema"],
            AttributeDefinitions=declared["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


class Counter:
    """A submission that counts its runs and answers a new id each time."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> dict[str, Any]:
        self.runs += 1
        return {"job": {"job_id": f"job-{self.runs}"}}


@dataclass
class Context:
    """The part of a Lambda context powertools reads."""

    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) * 1000))


BODY = {"name": "poems", "records": 10}


def test_the_same_key_and_body_run_once_and_replay_the_first_response(dynamodb: Any) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    create = Counter()
    first = submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=create)
    again = submissions.once("jobs", user_id="u1", key="k-1", request=dict(BODY), create=create)
    assert create.runs == 1
    assert again.body == first.body == {"job": {"job_id": "job-1"}}
    assert (first.replayed, again.replayed) == (False, True)


def test_a_key_reused_with_another_body_is_refused(dynamodb: Any) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    create = Counter()
    submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=create)
    with pytest.raises(KeyReusedError, match="used for another request"):
        submissions.once(
            "jobs", user_id="u1", key="k-1", request={**BODY, "records": 11}, create=create
        )
    assert create.runs == 1


def test_keys_belong_to_one_user_and_one_route(dynamodb: Any) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    create = Counter()
    alice = submissions.once("jobs", user_id="alice", key="k", request=BODY, create=create)
    bob = submissions.once("jobs", user_id="bob", key="k", request=BODY, create=create)
    batch = submissions.once("batches", user_id="alice", key="k", request=BODY, create=create)
    assert create.runs == 3
    assert not (alice.replayed or bob.replayed or batch.replayed)
    assert bob.body != alice.body


def test_without_a_key_every_request_runs_and_nothing_is_stored(dynamodb: Any) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    create = Counter()
    for _ in range(2):
        submissions.once("jobs", user_id="u1", key=None, request=BODY, create=create)
    assert create.runs == 2
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0


def test_a_second_request_while_the_first_runs_is_told_it_is_in_progress(dynamodb: Any) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    create = Counter()
    refused: list[Exception] = []

    def slow_first() -> dict[str, Any]:
        # the retry arrives while the first request is still creating its job
        try:
            submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=create)
        except RequestInProgressError as error:
            refused.append(error)
        return create()

    context = Context(deadline=time.time() + 29)
    first = submissions.once(
        "jobs", user_id="u1", key="k-1", request=BODY, create=slow_first, context=context
    )
    assert len(refused) == 1 and "in progress" in str(refused[0])
    retried = submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=create)
    assert create.runs == 1
    assert retried.body == first.body and retried.replayed


def test_a_failed_request_frees_its_key(dynamodb: Any) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    create = Counter()

    def refused() -> dict[str, Any]:
        raise ValueError("the template is invalid")

    with pytest.raises(ValueError, match="invalid"):
        submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=refused)
    done = submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=create)
    assert create.runs == 1 and not done.replayed


def test_a_request_that_died_frees_its_key_when_its_invocation_would_have_timed_out(
    dynamodb: Any,
) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    create = Counter()

    class Killed(BaseException):
        """What powertools cannot clean up after: the process ends mid-request."""

    def dies() -> dict[str, Any]:
        raise Killed

    # A deadline no loaded machine reaches before the second request; its passing is then
    # simulated on the stored record (powertools' in_progress_expiration, in milliseconds).
    context = Context(deadline=time.time() + 600)
    with pytest.raises(Killed):
        submissions.once(
            "jobs", user_id="u1", key="k-1", request=BODY, create=dies, context=context
        )
    with pytest.raises(RequestInProgressError):  # its invocation could still be running
        submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=create)
    (item,) = dynamodb.scan(TableName=TABLE)["Items"]
    assert int(item["in_progress_expiration"]["N"]) >= int(time.time() * 1000) + 500_000
    dynamodb.update_item(
        TableName=TABLE,
        Key={"id": item["id"]},
        UpdateExpression="SET in_progress_expiration = :then",
        ExpressionAttributeValues={":then": {"N": str(int(time.time() * 1000) - 1)}},
    )
    done = submissions.once("jobs", user_id="u1", key="k-1", request=BODY, create=create)
    assert create.runs == 1 and not done.replayed


def test_keys_are_stored_hashed_and_expire_after_a_day(dynamodb: Any) -> None:
    submissions = IdempotentSubmissions(dynamodb, TABLE)
    before = time.time()
    submissions.once("jobs", user_id="u1", key="secret-key", request=BODY, create=Counter())
    (item,) = dynamodb.scan(TableName=TABLE)["Items"]
    assert item["id"]["S"].startswith("jobs#")
    assert "secret-key" not in str(item) and "u1" not in item["id"]["S"]
    assert item["status"]["S"] == "COMPLETED"
    expires = int(item["expiration"]["N"])
    assert before + KEY_LIFETIME_SECONDS - 5 <= expires <= time.time() + KEY_LIFETIME_SECONDS + 5


@pytest.mark.parametrize(
    ("key", "accepted"),
    [
        ("0b6b5f2e-8f5e-4a0e-9d44-3c1e2f0a9b71", True),
        ("a" * 255, True),
        ("order 42/retry:1", True),
        ("a" * 256, False),
        ("", False),
        (" padded ", False),
        ("tab\there", False),
        ("caf\u00e9", False),
    ],
)
def test_a_key_is_1_to_255_printable_ascii_characters(key: str, accepted: bool) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(IdempotencyKeyHeader)
    if accepted:
        assert adapter.validate_python(key) == key
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(key)
