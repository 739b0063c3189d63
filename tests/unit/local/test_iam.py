"""The local IAM: policy evaluation, what a call asks IAM, and enforcement at the SDK."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from plot_palette.errors import LocalCloudError
from plot_palette.local import iam_enforcement
from plot_palette.local.iam_enforcement import LocalIam, acting_as
from plot_palette.local.iam_policy import Role, Statement, managed_statements
from plot_palette.local.iam_requests import Account, Check, checks
from plot_palette.local.sam_policies import sam_statements

ACCOUNT = Account(
    "us-east-1",
    "123456789012",
    partition_keys={"Templates": "template_id", "Jobs": "job_id"},
    task_roles={"stack-worker": ("arn:aws:iam::123456789012:role/task",)},
)
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table"


def role(*bodies: dict[str, Any]) -> Role:
    return Role("arn:aws:iam::123456789012:role/r", [Statement.parse(b) for b in bodies])


# -- evaluation ---------------------------------------------------------------------------------


def test_an_allow_matches_action_resource_and_wildcards() -> None:
    r = role({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/jobs/*"})
    assert r.allows("s3:GetObject", "arn:aws:s3:::b/jobs/1/config.json")
    assert r.allows("S3:getobject", "arn:aws:s3:::b/jobs/x")  # actions ignore case
    assert not r.allows("s3:GetObject", "arn:aws:s3:::b/seed-data/x")
    assert not r.allows("s3:PutObject", "arn:aws:s3:::b/jobs/x")
    assert not r.allows("s3:GetObject", "arn:aws:s3:::B/jobs/x")  # resources do not


def test_an_explicit_deny_wins() -> None:
    r = role(
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": f"{TABLE}/Jobs"},
    )
    assert r.allows("dynamodb:PutItem", f"{TABLE}/Jobs")
    assert not r.allows("dynamodb:DeleteItem", f"{TABLE}/Jobs")


def test_conditions_follow_iams_rules_for_absent_keys() -> None:
    leading = role(
        {
            "Effect": "Allow",
            "Action": "dynamodb:DeleteItem",
            "Resource": f"{TABLE}/Templates",
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["gal-*"]}},
        }
    )
    resource = f"{TABLE}/Templates"
    assert leading.allows("dynamodb:DeleteItem", resource, {"dynamodb:LeadingKeys": ["gal-1"]})
    assert not leading.allows("dynamodb:DeleteItem", resource, {"dynamodb:LeadingKeys": ["t-1"]})
    # ForAllValues over no values is true: IAM's trap, reproduced rather than hidden
    assert leading.allows("dynamodb:DeleteItem", resource, {})

    prefix = role(
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::b",
            "Condition": {"StringLike": {"s3:prefix": "jobs/*"}},
        }
    )
    assert prefix.allows("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "jobs/1/"})
    assert not prefix.allows("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "seed-data/"})
    assert not prefix.allows("s3:ListBucket", "arn:aws:s3:::b", {})  # a plain operator needs it

    optional = role(
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"s3:prefix": "private/"}},
        }
    )
    assert optional.allows("s3:ListBucket", "arn:aws:s3:::b", {})
    assert optional.allows("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "jobs/"})
    assert not optional.allows("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "private/"})


def test_unknown_operators_and_managed_policies_are_refused_not_ignored() -> None:
    with pytest.raises(LocalCloudError, match="NumericLessThan"):
        Statement.parse(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"NumericLessThan": {"s3:max-keys": "10"}},
            }
        )
    with pytest.raises(LocalCloudError, match="AdministratorAccess"):
        managed_statements("arn:aws:iam::aws:policy/AdministratorAccess")


def test_a_role_survives_the_trip_to_a_worker_process() -> None:
    original = role(
        {
            "Sid": "S",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": "arn:aws:s3:::b",
            "Condition": {"StringLike": {"s3:prefix": ["jobs/*"]}},
        }
    )
    assert Role.from_dict(original.to_dict()) == original


def test_sam_policy_templates_expand_as_sam_expands_them() -> None:
    found = sam_statements(
        [{"LambdaInvokePolicy": {"FunctionName": "stack-Export"}}],
        lambda value: _sub(value),
        managed=("AWSLambdaBasicExecutionRole",),
    )
    r = Role("arn:aws:iam::1:role/r", found)
    assert r.allows("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:stack-Export")
    assert not r.allows("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:other")
    assert r.allows("logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:x")


def _sub(value: Any) -> Any:
    """Just enough of Fn::Sub for the policy template above."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        text, variables = value["Fn::Sub"]
        pseudo = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "1"}
        for name, replacement in {**pseudo, **variables}.items():
            text = text.replace("${" + name + "}", replacement)
        return text
    if isinstance(value, dict):
        return {k: _sub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub(v) for v in value]
    return value


# -- what a call asks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "operation", "params", "expected"),
    [
        (
            "dynamodb",
            "UpdateItem",
            {"TableName": "Jobs", "Key": {"job_id": {"S": "j1"}}},
            [Check("dynamodb:UpdateItem", f"{TABLE}/Jobs", {"dynamodb:LeadingKeys": ["j1"]})],
        ),
        (
            "dynamodb",
            "Query",
            {
                "TableName": "Templates",
                "IndexName": "owner-index",
                "KeyConditionExpression": "#o = :o",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":o": {"S": "u"}},
            },
            [Check("dynamodb:Query", f"{TABLE}/Templates/index/owner-index")],
        ),
        (
            "dynamodb",
            "Query",
            {
                "TableName": "Jobs",
                "KeyConditionExpression": "job_id = :j AND begins_with(sk, :p)",
                "ExpressionAttributeValues": {":j": {"S": "j9"}, ":p": {"S": "x"}},
            },
            [Check("dynamodb:Query", f"{TABLE}/Jobs", {"dynamodb:LeadingKeys": ["j9"]})],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {
                        "ConditionCheck": {
                            "TableName": "Templates",
                            "Key": {"template_id": {"S": "t"}},
                        }
                    },
                    {"Put": {"TableName": "Jobs", "Item": {"job_id": {"S": "j"}}}},
                ]
            },
            [
                Check(
                    "dynamodb:ConditionCheckItem",
                    f"{TABLE}/Templates",
                    {"dynamodb:LeadingKeys": ["t"]},
                ),
                Check("dynamodb:PutItem", f"{TABLE}/Jobs", {"dynamodb:LeadingKeys": ["j"]}),
            ],
        ),
        (
            "s3",
            "ListObjectsV2",
            {"Bucket": "b", "Prefix": "jobs/1/"},
            [Check("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "jobs/1/"})],
        ),
        (
            "s3",
            "HeadObject",
            {"Bucket": "b", "Key": "jobs/1/out.jsonl"},
            [Check("s3:GetObject", "arn:aws:s3:::b/jobs/1/out.jsonl")],
        ),
        (
            "s3",
            "CopyObject",
            {"Bucket": "b", "Key": "jobs/2/x", "CopySource": "b/seed-data/u/x"},
            [
                Check("s3:GetObject", "arn:aws:s3:::b/seed-data/u/x"),
                Check("s3:PutObject", "arn:aws:s3:::b/jobs/2/x"),
            ],
        ),
        (
            "s3",
            "UploadPart",
            {"Bucket": "b", "Key": "jobs/1/p", "UploadId": "u", "PartNumber": 1},
            [Check("s3:PutObject", "arn:aws:s3:::b/jobs/1/p")],
        ),
        (
            "ecs",
            "RunTask",
            {"cluster": "c", "taskDefinition": "stack-worker"},
            [
                Check(
                    "ecs:RunTask",
                    "arn:aws:ecs:us-east-1:123456789012:task-definition/stack-worker:*",
                    {"ecs:cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/c"},
                ),
                Check(
                    "iam:PassRole",
                    "arn:aws:iam::123456789012:role/task",
                    {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
                ),
            ],
        ),
        (
            "ecs",
            "StopTask",
            {"cluster": "c", "task": "abc"},
            [
                Check(
                    "ecs:StopTask",
                    "arn:aws:ecs:us-east-1:123456789012:task/c/abc",
                    {"ecs:cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/c"},
                )
            ],
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "stack-Export"},
            [
                Check(
                    "lambda:InvokeFunction",
                    "arn:aws:lambda:us-east-1:123456789012:function:stack-Export",
                )
            ],
        ),
        (
            "bedrock",
            "Converse",
            {"modelId": "us.amazon.nova-lite-v1:0"},
            [
                Check(
                    "bedrock:InvokeModel",
                    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
                ),
                Check(
                    "bedrock:InvokeModel",
                    "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
                ),
            ],
        ),
        (
            "states",
            "SendTaskHeartbeat",
            {"taskToken": "t"},
            [Check("states:SendTaskHeartbeat", "*")],
        ),
        (
            "ses",
            "SendEmail",
            {"Source": "Plot Palette <no-reply@example.com>"},
            [
                Check(
                    "ses:SendEmail",
                    "arn:aws:ses:us-east-1:123456789012:identity/no-reply@example.com",
                    {"ses:FromAddress": "no-reply@example.com"},
                )
            ],
        ),
        ("cognito-idp", "InitiateAuth", {"ClientId": "c"}, []),
        ("sts", "GetCallerIdentity", {}, []),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_what_a_call_asks_iam(
    prefix: str, operation: str, params: dict[str, Any], expected: list[Check]
) -> None:
    assert checks(prefix, operation, params, ACCOUNT) == expected


# -- enforcement at the SDK ---------------------------------------------------------------------


def test_a_client_created_acting_as_a_role_is_checked_before_the_request_leaves() -> None:
    iam_enforcement.install()
    iam = LocalIam("us-east-1", "123456789012")
    arn = "arn:aws:iam::123456789012:role/fn"
    iam.attach(
        arn,
        [
            Statement.parse(
                {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": f"{TABLE}/Jobs"}
            )
        ],
    )
    with acting_as(iam.principal(arn)):
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
    key = {"job_id": {"S": "j"}}
    with Stubber(client) as stub:
        stub.add_response("get_item", {}, {"TableName": "Jobs", "Key": key})
        client.get_item(TableName="Jobs", Key=key)  # allowed: reaches the (stubbed) service
        with pytest.raises(ClientError) as denied:
            client.update_item(TableName="Jobs", Key=key)
        with pytest.raises(ClientError), iam.without(arn, "dynamodb:GetItem"):
            client.get_item(TableName="Jobs", Key=key)
        stub.assert_no_pending_responses()
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "dynamodb:UpdateItem" in error["Message"]
    assert f"{TABLE}/Jobs" in error["Message"]
    assert "assumed-role/fn" in error["Message"]


def test_a_client_with_no_principal_is_not_checked() -> None:
    iam_enforcement.install()
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(client) as stub:
        stub.add_response("list_buckets", {"Buckets": []}, {})
        assert client.list_buckets()["Buckets"] == []
