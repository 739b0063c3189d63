"""The fault harness does to a call exactly what it says: fail, lose the response, crash after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from moto import mock_aws

from plot_palette.local.faults import (
    Fault,
    FaultKind,
    InjectedCrash,
    call_site,
    encode,
    injected,
    install_from_env,
)

TABLE = "plot-palette-Database-JobsTable"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def add_one(client: Any) -> Any:
    return client.update_item(
        TableName=TABLE,
        Key={"job_id": {"S": "j"}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def count(client: Any) -> int:
    item = client.get_item(TableName=TABLE, Key={"job_id": {"S": "j"}}).get("Item")
    return int(item["n"]["N"]) if item else 0


def test_fail_before_never_applies_and_the_caller_sees_the_error(dynamodb: Any) -> None:
    fault = Fault("dynamodb", "UpdateItem", FaultKind.FAIL_BEFORE, error_code="ThrottlingException")
    with injected(fault) as plan, pytest.raises(ClientError) as raised:
        add_one(dynamodb)
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert plan.fired == [fault]
    assert count(dynamodb) == 0


def test_a_network_failure_can_be_injected_by_name(dynamodb: Any) -> None:
    fault = Fault(
        "dynamodb", "UpdateItem", FaultKind.FAIL_BEFORE, error_code="EndpointConnectionError"
    )
    with injected(fault), pytest.raises(EndpointConnectionError):
        add_one(dynamodb)


def test_a_lost_response_is_retried_by_the_sdk_so_the_write_applies_twice(dynamodb: Any) -> None:
    with injected(Fault("dynamodb", "UpdateItem", FaultKind.LOSE_RESPONSE)):
        add_one(dynamodb)
    assert count(dynamodb) == 2  # the first attempt applied, the SDK's retry applied again


def test_a_lost_response_without_retries_surfaces_after_applying(dynamodb: Any) -> None:
    single = boto3.client(
        "dynamodb", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
    )
    with (
        injected(Fault("dynamodb", "UpdateItem", FaultKind.LOSE_RESPONSE)),
        pytest.raises(ConnectionClosedError),
    ):
        add_one(single)
    assert count(dynamodb) == 1


def test_crash_after_applies_then_unwinds_past_except_exception(dynamodb: Any) -> None:
    caught = []
    with injected(Fault("dynamodb", "UpdateItem", FaultKind.CRASH_AFTER)):
        try:
            add_one(dynamodb)
        except Exception as error:  # what a handler does; it must not see the crash
            caught.append(error)
        except InjectedCrash:
            caught.append("crash")
    assert caught == ["crash"]
    assert count(dynamodb) == 1


def test_only_the_counted_matching_call_is_hit(dynamodb: Any) -> None:
    fault = Fault(
        "dynamodb", "UpdateItem", FaultKind.FAIL_BEFORE, call=3, match={"TableName": "Jobs"}
    )
    with injected(fault) as plan:
        add_one(dynamodb)
        count(dynamodb)  # a GetItem does not count
        add_one(dynamodb)
        with pytest.raises(ClientError):
            add_one(dynamodb)
        add_one(dynamodb)
    assert count(dynamodb) == 3
    assert plan.sites.count("dynamodb.UpdateItem Jobs") == 4
    assert "dynamodb.GetItem Jobs" in plan.sites


def test_faults_are_disarmed_outside_the_block(dynamodb: Any) -> None:
    with injected(Fault("dynamodb", "UpdateItem", FaultKind.FAIL_BEFORE, call=5)):
        add_one(dynamodb)
    for _ in range(5):
        add_one(dynamodb)
    assert count(dynamodb) == 6


def test_call_sites_name_the_table_or_the_kind_of_object() -> None:
    assert call_site("dynamodb", "PutItem", {"TableName": "x-Database-QueueTable"}) == (
        "dynamodb.PutItem Queue"
    )
    assert call_site("s3", "PutObject", {"Key": "jobs/j/checkpoint.json"}) == (
        "s3.PutObject checkpoint"
    )
    assert call_site("s3", "PutObject", {"Key": "jobs/j/outputs/batch-00001.jsonl"}) == (
        "s3.PutObject batch"
    )
    assert call_site("stepfunctions", "SendTaskHeartbeat", {"taskToken": "t"}) == (
        "stepfunctions.SendTaskHeartbeat"
    )


def test_a_plan_travels_to_a_subprocess_through_its_environment(tmp_path: Any) -> None:
    faults = [Fault("s3", "PutObject", FaultKind.CRASH_AFTER, call=2, match={"Key": "outputs"})]
    log = tmp_path / "sites.log"
    plan = install_from_env(
        {"PLOT_PALETTE_FAULTS": encode(faults), "PLOT_PALETTE_FAULT_LOG": str(log)}
    )
    assert plan is not None
    try:
        assert plan.decide("s3", "PutObject", {"Key": "jobs/j/outputs/batch-00000.jsonl"}) is None
        assert (
            plan.decide("s3", "PutObject", {"Key": "jobs/j/outputs/batch-00001.jsonl"}) == faults[0]
        )
        assert log.read_text().splitlines() == ["s3.PutObject batch", "s3.PutObject batch"]
    finally:
        from plot_palette.local import faults as module

        module._active.remove(plan)
    assert install_from_env({}) is None


def test_a_fault_can_target_calls_made_from_one_module(dynamodb: Any) -> None:
    fault = Fault("dynamodb", "UpdateItem", FaultKind.FAIL_BEFORE, caller="plot_palette.nowhere")
    with injected(fault) as plan:
        add_one(dynamodb)
    assert plan.fired == []
    fault = Fault("dynamodb", "UpdateItem", FaultKind.FAIL_BEFORE, caller=__name__)
    with injected(fault) as plan, pytest.raises(ClientError):
        add_one(dynamodb)
