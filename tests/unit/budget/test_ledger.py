"""The job's spend ledger on moto's DynamoDB: written ahead of calls, never below real spend.

"Real spend" here is what the calls that were started cost (a call is billed once it is sent,
whether or not its caller lives to settle it). A "kill" is a run that stops using its ledger at
some point, as SIGKILL leaves it; the next run's ``open`` must then start from a figure that is
at least real spend, and at most real spend plus the leases it took over.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

from plot_palette.budget import BudgetGuard, SpendLeaseLostError, SpendLedger
from plot_palette.errors import BudgetExceededError, NotFoundError
from plot_palette.jobs.dynamo import from_item, to_item
from plot_palette.local import moto_numbers
from plot_palette.local.faults import Fault, FaultKind, injected

TABLE = "plot-palette-Database-JobsTable"
JOB = "job-1"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    moto_numbers.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(
            TableName=TABLE, Item=to_item({"job_id": JOB, "status": "RUNNING", "cost_usd": 0.0})
        )
        yield client


def job(client: Any) -> dict[str, Any]:
    item = client.get_item(TableName=TABLE, Key={"job_id": {"S": JOB}}, ConsistentRead=True)
    return from_item(item["Item"])


def ledger(client: Any, **options: Any) -> SpendLedger:
    return SpendLedger(client, TABLE, JOB, sleep=lambda _: None, **options)


def test_spend_settles_into_the_job_cost_and_its_split_by_model_exactly(dynamodb: Any) -> None:
    record = ledger(dynamodb)
    guard = BudgetGuard(1.0, spent_usd=record.open(), record=record)
    costs = {"haiku": [0.1, 0.2, 0.0000000001], "sonnet": [0.3]}
    for model, amounts in costs.items():
        for amount in amounts:
            guard.settle(guard.reserve(0.4, label=model), amount)
    # before the flush the lease still holds it: recorded spend is never below what was spent
    assert job(dynamodb)["cost_usd"] >= 0.6000000001
    guard.flush()
    assert job(dynamodb)["cost_by_model"] == {"haiku": 0.3000000001, "sonnet": 0.3}
    assert guard.close() == pytest.approx(0.6000000001, abs=1e-12)
    item = job(dynamodb)
    assert Decimal(str(item["cost_usd"])) == Decimal("0.6000000001")
    assert item["spend_reserved_usd"] == 0
    assert item["spend_leases"] == {}


def test_a_relaunch_counts_a_dead_runs_lease_as_spent(dynamodb: Any) -> None:
    """GIVEN a run killed with calls in flight and settled spend not flushed WHEN the next run
    opens THEN it starts from at least what was really spent, at most that plus the lease."""
    dead = ledger(dynamodb)
    guard = BudgetGuard(1.0, spent_usd=dead.open(), record=dead)
    real = 0.0
    for _ in range(5):
        guard.settle(guard.reserve(0.05, label="m"), 0.01)
        real += 0.01
    guard.reserve(0.05, label="m")  # in flight at the kill: billed, say, its worst case
    real += 0.05
    lease = dead.lease_usd

    relaunch = ledger(dynamodb)
    start = relaunch.open()
    assert real - 1e-12 <= start <= real + lease
    assert relaunch.taken_over_usd == pytest.approx(lease)
    item = job(dynamodb)
    assert list(item["spend_leases"]) == [relaunch.run_id]
    assert item["spend_reserved_usd"] == 0
    assert item["spend_unsettled_usd"] == pytest.approx(lease)
    assert item["cost_usd"] == pytest.approx(start)


def test_a_zombie_whose_lease_was_taken_can_start_nothing_and_changes_nothing(
    dynamodb: Any,
) -> None:
    zombie_record = ledger(dynamodb)
    zombie = BudgetGuard(1.0, spent_usd=zombie_record.open(), record=zombie_record, lease_calls=0)
    in_flight = zombie.reserve(0.1, label="m")
    successor = ledger(dynamodb)
    successor.open()
    recorded = job(dynamodb)["cost_usd"]

    zombie.settle(in_flight, 0.02)  # its late settlement is already counted by the takeover
    zombie.flush()
    assert job(dynamodb)["cost_usd"] == recorded
    with pytest.raises(SpendLeaseLostError):
        zombie.reserve(0.1)
    assert zombie.lost

    async def next_call() -> None:
        await zombie.acquire(0.01)

    with pytest.raises(SpendLeaseLostError):
        asyncio.run(next_call())
    zombie.close()
    assert job(dynamodb)["cost_usd"] == recorded


def test_recorded_spend_is_never_below_real_spend_whatever_point_a_run_dies_at(
    dynamodb: Any,
) -> None:
    """Runs die after a random number of steps (reserve, settle, release, flush), each relaunch
    opens the ledger: at every relaunch and at the end recorded >= real, and recorded - real
    never exceeds the leases the relaunches took over."""
    rng = random.Random(21)
    real = 0.0
    for _ in range(12):
        record = ledger(dynamodb)
        guard = BudgetGuard(100.0, spent_usd=record.open(), record=record, lease_calls=3)
        assert guard.spent >= real - 1e-9
        assert guard.spent - real <= job(dynamodb).get("spend_unsettled_usd", 0) + 1e-9
        open_calls = []
        for _ in range(rng.randrange(1, 40)):
            move = rng.random()
            if move < 0.45 or not open_calls:
                worst = rng.uniform(0.001, 0.01)
                open_calls.append(guard.reserve(worst, label=rng.choice("ab")))
            elif move < 0.85:
                reservation = open_calls.pop(rng.randrange(len(open_calls)))
                cost = rng.uniform(0, reservation.amount)
                guard.settle(reservation, cost)
                real += cost
            elif move < 0.92:
                guard.release(open_calls.pop())
            else:
                guard.flush()
            assert job(dynamodb)["cost_usd"] >= real - 1e-9
        real += sum(reservation.amount for reservation in open_calls)  # billed in full
    final = ledger(dynamodb)
    recorded = final.open()
    final.close()
    assert real - 1e-9 <= recorded <= real + job(dynamodb)["spend_unsettled_usd"] + 1e-9


def test_a_lost_response_is_recognised_not_applied_twice(dynamodb: Any) -> None:
    """GIVEN the response of a lease write lost (the SDK retries the applied write) THEN the seq
    condition turns the retry into a no-op: spend is not counted twice."""
    record = ledger(dynamodb)
    guard = BudgetGuard(1.0, spent_usd=record.open(), record=record, lease_calls=0)
    with injected(Fault("dynamodb", "UpdateItem", FaultKind.LOSE_RESPONSE)) as plan:
        guard.settle(guard.reserve(0.3, label="m"), 0.1)
    assert plan.fired
    guard.close()
    assert job(dynamodb)["cost_usd"] == pytest.approx(0.1)
    assert job(dynamodb)["cost_by_model"] == {"m": 0.1}


def test_a_write_that_fails_is_retried_and_a_lost_open_is_recognised(dynamodb: Any) -> None:
    record = ledger(dynamodb)
    with injected(
        Fault("dynamodb", "UpdateItem", FaultKind.LOSE_RESPONSE, call=2),  # the registration
        Fault(
            "dynamodb",
            "UpdateItem",
            FaultKind.FAIL_BEFORE,
            call=3,
            error_code="ProvisionedThroughputExceededException",
        ),
    ) as plan:
        guard = BudgetGuard(1.0, spent_usd=record.open(), record=record)
        guard.settle(guard.reserve(0.2), 0.05)
    assert len(plan.fired) == 2
    guard.close()
    item = job(dynamodb)
    assert item["cost_usd"] == pytest.approx(0.05)
    assert item["spend_leases"] == {}


def test_a_missing_job_has_no_ledger(dynamodb: Any) -> None:
    with pytest.raises(NotFoundError):
        SpendLedger(dynamodb, TABLE, "nope").open()


def test_a_lease_covers_many_calls_per_write(dynamodb: Any) -> None:
    """GIVEN 16 concurrent calls costing a third of their worst case WHEN 400 run THEN the
    ledger writes at most once per 10 calls (31 measured, the figure in budget/ledger.py's
    docstring) and the job's cost is exact."""
    record = ledger(dynamodb)
    guard = BudgetGuard(100.0, spent_usd=record.open(), record=record)
    worst = 0.003
    spent = 0.0

    async def call(index: int) -> None:
        nonlocal spent
        for _ in range(25):
            reservation = await guard.acquire(worst, label="m")
            await asyncio.sleep(0)
            guard.settle(reservation, worst / 3)
            spent += worst / 3

    async def scenario() -> None:
        await asyncio.gather(*(call(index) for index in range(16)))

    asyncio.run(scenario())
    calls_per_write = 400 / record.writes
    guard.close()
    assert calls_per_write >= 10, record.writes
    assert job(dynamodb)["cost_usd"] == pytest.approx(spent, abs=1e-9)


def test_the_lease_never_takes_more_than_the_budget_left(dynamodb: Any) -> None:
    record = ledger(dynamodb)
    guard = BudgetGuard(0.1, spent_usd=record.open(), record=record)
    guard.settle(guard.reserve(0.04), 0.04)
    guard.reserve(0.05)
    assert job(dynamodb)["cost_usd"] <= 0.1 + 1e-12
    with pytest.raises(BudgetExceededError):
        guard.reserve(0.02)


def test_moto_adds_decimals_as_dynamodb_does(dynamodb: Any) -> None:
    """Pins the local cloud's patch (local/moto_numbers.py): sums that reach zero or go below
    1e-6 stay numbers later additions accept, and subtraction is exact."""

    def update(expression: str, value: str) -> Any:
        return dynamodb.update_item(
            TableName=TABLE,
            Key={"job_id": {"S": JOB}},
            UpdateExpression=expression,
            ExpressionAttributeValues={":v": {"N": value}},
            ReturnValues="UPDATED_NEW",
        )["Attributes"]["n"]["N"]

    assert update("ADD n :v", "0.0374059791") == "0.0374059791"
    assert update("ADD n :v", "-0.0374059791") == "0"
    assert update("ADD n :v", "1.5E-7") == "0.00000015"
    assert update("SET n = n + :v", "0.1") == "0.10000015"
    assert update("SET n = n - :v", "0.1") == "0.00000015"
