"""The local cloud's DynamoDB applies concurrent operations atomically, as AWS does per item.

moto as shipped lets concurrent conditional updates interleave (the slot counter ended at -9
with no holders) and fails a scan that meets a write; ``moto_seams`` serialises its DynamoDB.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from plot_palette.jobs.admission import SLOTS_KEY, Admission, release_slot, take_slot
from plot_palette.local import moto_seams
from tests.integration.local.test_moto_seams import run, state_machine

pytestmark = pytest.mark.slow(seconds=50)

LIMIT = 5
PAIRS = 200
THREADS = 24
DEADLINE_S = 120.0
KEY_ATTRIBUTES = {"queue_id", "queue_key"}
SEEDED, WRITERS, STEPS = 20, 4, 30
COUNTERS = tuple("abcdef")
REGION = "us-east-1"


@pytest.fixture
def dynamodb(moto_server: str) -> Iterator[Any]:
    """A DynamoDB client of a moto server with the local cloud's seams installed.

    The interpreter switches threads far more often than its default 5 ms while it runs, so
    that requests interleave inside moto's handlers as they do on a loaded machine.
    """
    moto_seams.attach(ecs=None, lambda_=None)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    config = Config(max_pool_connections=THREADS * 2, retries={"mode": "standard"})
    try:
        yield boto3.client("dynamodb", endpoint_url=moto_server, region_name=REGION, config=config)
    finally:
        sys.setswitchinterval(interval)


def queue_table(dynamodb: Any, name: str, *, stream: bool = False) -> str:
    extra: dict[str, Any] = {}
    if stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "queue_id", "KeyType": "HASH"},
            {"AttributeName": "queue_key", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "queue_id", "AttributeType": "S"},
            {"AttributeName": "queue_key", "AttributeType": "S"},
        ],
        **extra,
    )
    return name


def slots_item(admission: Admission) -> dict[str, Any]:
    item: dict[str, Any] = admission.dynamodb.get_item(
        TableName=admission.queue_table, Key=SLOTS_KEY, ConsistentRead=True
    ).get("Item", {})
    return item


def holders_of(item: dict[str, Any]) -> list[str]:
    return sorted(set(item) - KEY_ATTRIBUTES - {"running_count"})


def test_200_concurrent_take_release_pairs_leave_the_counter_equal_to_the_holders(
    dynamodb: Any,
) -> None:
    # GIVEN five slots and 200 holders, each taking a slot (trying again while all are taken)
    # and giving it back, from many threads at once
    admission = Admission(
        dynamodb=dynamodb, sfn=None, queue_table=queue_table(dynamodb, "slots"), limit=LIMIT
    )
    deadline = time.monotonic() + DEADLINE_S
    guard = threading.Lock()
    inside = 0  # holders between their granted take and their release: never above the limit
    most_inside = 0
    done = threading.Event()
    samples: list[tuple[int, int]] = []
    lost: list[str] = []

    def pair(number: int) -> None:
        nonlocal inside, most_inside
        holder = f"job-{number:03d}"
        while not take_slot(admission, holder):
            assert time.monotonic() < deadline, f"{holder} never got a slot"
            time.sleep(0.005)
        with guard:
            inside += 1
            most_inside = max(most_inside, inside)
        time.sleep(0.002)  # holds the slot a moment, as a job would
        with guard:
            inside -= 1
        if not release_slot(admission, holder):
            with guard:
                lost.append(holder)  # its granted take did not stick

    def sample() -> None:
        while not done.is_set():
            item = slots_item(admission)
            samples.append((int(item.get("running_count", {"N": "0"})["N"]), len(holders_of(item))))

    # WHEN they all run
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            for future in [pool.submit(pair, number) for number in range(PAIRS)]:
                future.result(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        done.set()
        sampler.join(timeout=30)

    # THEN the counter equals the holders (none), and no moment saw more holders than slots
    item = slots_item(admission)
    assert (item["running_count"], holders_of(item)) == ({"N": "0"}, [])
    assert lost == []
    assert most_inside <= LIMIT
    assert samples, "the sampler read the slots item at least once"
    assert all(count == holders for count, holders in samples), [
        sample for sample in samples if sample[0] != sample[1]
    ][:5]
    assert max(holders for _, holders in samples) <= LIMIT


def whole(item: dict[str, Any]) -> bool:
    """Every counter of an item has the same value: no write was seen half applied."""
    return len({item[name]["N"] for name in COUNTERS}) == 1


def test_scans_and_stream_reads_see_whole_items_while_items_are_written(dynamodb: Any) -> None:
    # GIVEN a table with a stream, written by threads that add items and add one to six
    # counters of existing ones in one update (a reader must see all or none of it)
    table = queue_table(dynamodb, "busy", stream=True)
    for number in range(SEEDED):
        dynamodb.put_item(
            TableName=table,
            Item={
                "queue_id": {"S": "Q"},
                "queue_key": {"S": f"seed-{number:03d}"},
                **{name: {"N": "0"} for name in COUNTERS},
            },
        )
    done = threading.Event()
    deadline = time.monotonic() + DEADLINE_S
    torn: list[dict[str, Any]] = []
    counts: list[int] = []
    failed: list[str] = []

    def writer(worker: int) -> None:
        for step in range(STEPS):
            dynamodb.put_item(
                TableName=table,
                Item={
                    "queue_id": {"S": "Q"},
                    "queue_key": {"S": f"new-{worker}-{step:03d}"},
                    **{name: {"N": str(step)} for name in COUNTERS},
                },
            )
            dynamodb.update_item(
                TableName=table,
                Key={"queue_id": {"S": "Q"}, "queue_key": {"S": f"seed-{step % SEEDED:03d}"}},
                UpdateExpression="SET " + ", ".join(f"{name} = {name} + :one" for name in COUNTERS),
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    # readers do not retry: a read the server failed must show
    once = Config(retries={"total_max_attempts": 1})
    endpoint = dynamodb.meta.endpoint_url

    def scanner() -> None:
        scans = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, config=once)
        while not done.is_set() and time.monotonic() < deadline:
            try:
                items = scans.scan(TableName=table, ConsistentRead=True)["Items"]
            except ClientError as error:
                failed.append(str(error))
                continue
            counts.append(len(items))
            time.sleep(0.001)  # leave the writers room: the lock serves readers and writers
            torn.extend(item for item in items if not whole(item))

    def stream_reader() -> None:
        streams = boto3.client(
            "dynamodbstreams", endpoint_url=endpoint, region_name=REGION, config=once
        )
        arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while not done.is_set() and time.monotonic() < deadline:
            try:
                page = streams.get_records(ShardIterator=iterator, Limit=100)
            except ClientError as error:
                failed.append(str(error))
                continue
            images = [record["dynamodb"]["NewImage"] for record in page["Records"]]
            torn.extend(image for image in images if not whole(image))
            iterator = page["NextShardIterator"]
            time.sleep(0.001)

    # WHEN scans and stream reads run while the writers write
    readers = [threading.Thread(target=scanner) for _ in range(2)]
    readers.append(threading.Thread(target=stream_reader))
    for reader in readers:
        reader.start()
    try:
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            for future in [pool.submit(writer, worker) for worker in range(WRITERS)]:
                future.result(timeout=DEADLINE_S)
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=30)

    # THEN no read failed or saw half an update, and the table holds every item written
    assert failed == []
    assert torn == []
    assert counts and all(SEEDED <= count <= SEEDED + WRITERS * STEPS for count in counts)
    final = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    assert len(final) == SEEDED + WRITERS * STEPS


def test_a_state_machine_dynamodb_task_runs_under_the_same_lock(
    dynamodb: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the backend's update_item records whether the DynamoDB lock is held while it runs
    from moto.dynamodb.models import DynamoDBBackend

    table = queue_table(dynamodb, "sfn")
    held: list[bool] = []
    serialised_update = DynamoDBBackend.update_item

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        # held by this request's thread, the lock cannot be taken by any other thread
        def probe() -> None:
            free = moto_seams.dynamodb_lock.acquire(blocking=False)
            if free:
                moto_seams.dynamodb_lock.release()
            held.append(not free)

        other = threading.Thread(target=probe)
        other.start()
        other.join()
        return serialised_update(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", recording)
    arn = state_machine(
        client_for,
        {
            "Take Slot": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": {
                    "TableName": table,
                    "Key": SLOTS_KEY,
                    "UpdateExpression": "SET running_count = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                },
                "End": True,
            }
        },
        "Take Slot",
    )

    # WHEN an execution runs the DynamoDB task
    result = run(client_for, arn, {}, "take-slot")

    # THEN the task's update ran while the lock was held
    assert result["description"]["status"] == "SUCCEEDED", json.dumps(
        result["history"], default=str
    )
    assert held == [True]
    item = dynamodb.get_item(TableName=table, Key=SLOTS_KEY, ConsistentRead=True)["Item"]
    assert item["running_count"] == {"N": "1"}


def test_a_cancelled_transaction_leaves_the_stream_as_it_was_and_readable(dynamodb: Any) -> None:
    """moto rolled a cancelled transaction back by swapping in copies of its tables: the
    stream a reader held went silent for good, and kept INSERTs of the writes undone."""
    table = queue_table(dynamodb, "rollback", stream=True)
    streams = boto3.client(
        "dynamodbstreams", endpoint_url=dynamodb.meta.endpoint_url, region_name=REGION
    )
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    def put(key: str) -> dict[str, Any]:
        item = {"queue_id": {"S": "Q"}, "queue_key": {"S": key}}
        return {"Put": {"TableName": table, "Item": item}}

    dynamodb.put_item(**put("taken")["Put"])
    refused = {
        "Put": {
            **put("taken")["Put"],
            "ConditionExpression": "attribute_not_exists(queue_key)",
        }
    }
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[put("undone"), refused])
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    dynamodb.put_item(**put("after")["Put"])

    records = streams.get_records(ShardIterator=iterator)["Records"]
    keys = [record["dynamodb"]["Keys"]["queue_key"]["S"] for record in records]
    assert keys == ["taken", "after"]
    stored = dynamodb.scan(TableName=table)["Items"]
    assert sorted(item["queue_key"]["S"] for item in stored) == ["after", "taken"]
