"""Storage and database: private, encrypted, TLS-only, recoverable, and archived as ADR-014 says.

Every bucket and table in any stack is held to the same rules, so a bucket added later cannot
forget its public access block.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.infra.cfn import (
    ROOT_TEMPLATE,
    STACKS,
    all_resources,
    raw,
    resolved,
    resources,
    stack,
)

BUCKETS = all_resources("AWS::S3::Bucket")
TABLES = all_resources("AWS::DynamoDB::Table")
BUCKET_IDS = [f"{path.name}:{logical}" for path, logical, _ in BUCKETS]
TABLE_IDS = [f"{path.name}:{logical}" for path, logical, _ in TABLES]


def test_there_is_one_bucket_and_four_tables() -> None:
    assert [logical for _, logical, _ in BUCKETS] == ["DataBucket"]
    assert {logical for _, logical, _ in TABLES} == {
        "JobsTable",
        "QueueTable",
        "TemplatesTable",
        "CostTrackingTable",
        "NotificationPreferencesTable",
        "BatchesTable",
        "IdempotencyTable",
        "QuotasTable",
    }


@pytest.mark.parametrize(("path", "logical", "bucket"), BUCKETS, ids=BUCKET_IDS)
def test_buckets_block_all_public_access(path: Any, logical: str, bucket: dict[str, Any]) -> None:
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


@pytest.mark.parametrize(("path", "logical", "bucket"), BUCKETS, ids=BUCKET_IDS)
def test_buckets_encrypt_every_object(path: Any, logical: str, bucket: dict[str, Any]) -> None:
    rules = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules
    for rule in rules:
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")


@pytest.mark.parametrize(("path", "logical", "bucket"), BUCKETS, ids=BUCKET_IDS)
def test_buckets_refuse_requests_without_tls(
    path: Any, logical: str, bucket: dict[str, Any]
) -> None:
    policies = [
        resolved(path, policy)
        for policy in resources(path, "AWS::S3::BucketPolicy").values()
        if policy["Bucket"] == {"Ref": logical}
    ]
    assert len(policies) == 1, f"{logical} needs exactly one bucket policy"
    statements = policies[0]["PolicyDocument"]["Statement"]
    insecure = [
        s
        for s in statements
        if s["Effect"] == "Deny"
        and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert len(insecure) == 1
    (deny,) = insecure
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert set(deny["Resource"]) == {f"{logical}.Arn", f"{logical}.Arn/*"}
    assert not any(s["Effect"] == "Allow" for s in statements), "the bucket policy grants nothing"


def lifecycle_rules() -> dict[str, dict[str, Any]]:
    (bucket,) = resources(stack("storage"), "AWS::S3::Bucket").values()
    return {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}


def test_job_objects_move_to_glacier_instant_retrieval_after_three_days() -> None:
    rule = lifecycle_rules()["ArchiveJobObjects"]
    assert rule["Status"] == "Enabled"
    assert rule["Prefix"] == "jobs/"
    assert rule["Transitions"] == [{"TransitionInDays": 3, "StorageClass": "GLACIER_IR"}]


def test_no_object_ever_needs_a_restore() -> None:
    # The decision of ADR-014 here: Glacier IR is read with a plain GET. A class that needs a
    # RestoreObject first (GLACIER, DEEP_ARCHIVE, Intelligent-Tiering's archive tiers) would
    # break download links, export re-runs and worker relaunches.
    for rule in lifecycle_rules().values():
        for transition in rule.get("Transitions", []) + rule.get(
            "NoncurrentVersionTransitions", []
        ):
            assert transition["StorageClass"] in ("STANDARD_IA", "GLACIER_IR"), rule["Id"]
    (bucket,) = resources(stack("storage"), "AWS::S3::Bucket").values()
    assert "IntelligentTieringConfigurations" not in bucket


def test_only_job_objects_are_archived() -> None:
    for rule in lifecycle_rules().values():
        if rule.get("Transitions"):
            assert rule["Prefix"] == "jobs/", rule["Id"]


def test_overwritten_objects_stay_recoverable_for_a_while_then_expire() -> None:
    (bucket,) = resources(stack("storage"), "AWS::S3::Bucket").values()
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = lifecycle_rules()["ExpireNoncurrentVersions"]
    assert rule["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": {"Ref": "NoncurrentVersionDays"}
    }
    assert lifecycle_rules()["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }


def test_cors_admits_presigned_uploads_from_the_dashboard_only() -> None:
    (bucket,) = resources(stack("storage"), "AWS::S3::Bucket").values()
    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [{"Ref": "DashboardOrigin"}]
    assert set(rule["AllowedMethods"]) == {"GET", "PUT", "HEAD"}
    assert "ETag" in rule["ExposedHeaders"]


@pytest.mark.parametrize(("path", "logical", "table"), TABLES, ids=TABLE_IDS)
def test_tables_are_encrypted_recoverable_and_on_demand(
    path: Any, logical: str, table: dict[str, Any]
) -> None:
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def tables() -> dict[str, dict[str, Any]]:
    return resources(stack("database"), "AWS::DynamoDB::Table")


def keys(table: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in table["KeySchema"]]


def test_tables_have_the_keys_of_the_contract() -> None:
    found = tables()
    assert keys(found["JobsTable"]) == [("job_id", "HASH")]
    assert keys(found["QueueTable"]) == [("queue_id", "HASH"), ("queue_key", "RANGE")]
    assert keys(found["TemplatesTable"]) == [("template_id", "HASH"), ("version", "RANGE")]
    assert keys(found["CostTrackingTable"]) == [("job_id", "HASH"), ("timestamp", "RANGE")]
    indexes = {index["IndexName"] for index in found["JobsTable"]["GlobalSecondaryIndexes"]}
    assert "user-id-index" in indexes


def test_the_queue_table_streams_its_changes_to_the_pipe() -> None:
    queue = tables()["QueueTable"]
    assert queue["StreamSpecification"]["StreamViewType"] in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    others = {name for name, table in tables().items() if "StreamSpecification" in table}
    assert others == {"QueueTable"}


def test_cost_rows_expire_by_ttl_and_nothing_else_does() -> None:
    assert tables()["CostTrackingTable"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    # ADR-014: job metadata and templates are kept for good
    for name in ("JobsTable", "QueueTable", "TemplatesTable"):
        assert "TimeToLiveSpecification" not in tables()[name]


KEPT = {
    "JobsTable",
    "TemplatesTable",
    "BatchesTable",
    "CostTrackingTable",
    "NotificationPreferencesTable",
    "QuotasTable",
    "DataBucket",
    "UserPool",
}
DELETED = {"QueueTable", "IdempotencyTable"}


def _stores() -> list[tuple[str, str, dict[str, Any]]]:
    kinds = {
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::Cognito::UserPool",
        "AWS::Logs::LogGroup",
    }
    return [
        (path.name, logical, body)
        for path in STACKS
        for logical, body in raw(path).get("Resources", {}).items()
        if body["Type"] in kinds
    ]


@pytest.mark.parametrize(
    ("name", "logical", "body"), _stores(), ids=[f"{s}:{lid}" for s, lid, _ in _stores()]
)
def test_what_a_delete_keeps_is_decided_for_every_store(
    name: str, logical: str, body: dict[str, Any]
) -> None:
    policies = (body.get("DeletionPolicy"), body.get("UpdateReplacePolicy"))
    if logical in KEPT:
        # kept on delete and on replacement, but a failed first deploy leaves nothing behind
        assert policies == ("RetainExceptOnCreate", "Retain"), f"{name}:{logical}"
    else:
        assert logical in DELETED or body["Type"] == "AWS::Logs::LogGroup", f"{name}:{logical}"
        assert policies == ("Delete", "Delete"), f"{name}:{logical}"


def test_the_user_pool_is_not_deletion_protected_by_default() -> None:
    """A protected pool cannot be removed when the first deploy rolls back."""
    template = raw(stack("auth"))
    pool = template["Resources"]["UserPool"]["Properties"]
    assert pool["DeletionProtection"] == {"Ref": "DeletionProtection"}
    assert template["Parameters"]["DeletionProtection"]["Default"] == "INACTIVE"
    root = raw(ROOT_TEMPLATE)
    assert root["Parameters"]["UserPoolDeletionProtection"]["Default"] == "INACTIVE"
    auth = root["Resources"]["Auth"]["Properties"]["Parameters"]
    assert auth["DeletionProtection"] == {"Ref": "UserPoolDeletionProtection"}
