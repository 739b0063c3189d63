"""Batches: a Batches table (encrypted, recoverable, a user's batches by Query), a sparse
batch-id-index on Jobs, and an API role that reads and writes batches and never scans."""

from __future__ import annotations

from typing import Any

from tests.unit.infra.cfn import ACCOUNT, REGION, ROOT, STACKS, resources, stack
from tests.unit.infra.iam import Role, function_roles

TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"


def table(logical: str) -> dict[str, Any]:
    return resources(stack("database"), "AWS::DynamoDB::Table")[logical]


def keys(index: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]]


def api_role() -> Role:
    path = next(path for path in STACKS if path.name == "api.yaml")
    (role,) = {r.logical_id: r for r in function_roles(path).values()}.values()
    return role


def test_batches_table_is_encrypted_recoverable_and_queried_by_user() -> None:
    batches = table("BatchesTable")
    assert keys(batches) == [("batch_id", "HASH")]
    assert batches["SSESpecification"] == {"SSEEnabled": True}
    assert batches["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    (index,) = batches["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "user-id-index"
    assert keys(index) == [("user_id", "HASH"), ("created_at", "RANGE")]


def test_jobs_of_a_batch_are_one_query_on_a_sparse_index() -> None:
    indexes = {i["IndexName"]: i for i in table("JobsTable")["GlobalSecondaryIndexes"]}
    assert keys(indexes["batch-id-index"]) == [("batch_id", "HASH"), ("created_at", "RANGE")]
    assert "user-id-index" in indexes


def test_the_api_is_told_the_batches_table() -> None:
    api = resources(ROOT / "template.yaml", "AWS::Serverless::Application", sam=True)["Api"]
    assert api["Location"] == "stacks/api.yaml"
    assert api["Parameters"]["BatchesTableName"] == {
        "Fn::GetAtt": ["Database", "Outputs.BatchesTableName"]
    }


def test_api_reads_and_writes_batches_and_queries_jobs_by_batch_only() -> None:
    role = api_role()
    # UpdateItem: BatchesStore.record_failure marks a sweep FAILED when queuing stops part-way.
    for action in ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"):
        assert role.allows(action, f"{TABLE}/BatchesTableName")
    assert role.allows("dynamodb:Query", f"{TABLE}/BatchesTableName/index/user-id-index")
    assert role.allows("dynamodb:Query", f"{TABLE}/JobsTableName/index/batch-id-index")
    for action in ("dynamodb:DeleteItem", "dynamodb:Scan"):
        assert not role.allows(action, f"{TABLE}/BatchesTableName"), action
    assert not role.could("dynamodb:Scan")
