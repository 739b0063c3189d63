"""What IAM checks for one AWS API call: the actions, resource ARNs and condition keys.

An API call is not always one action on one resource: S3's ``ListObjectsV2`` is
``s3:ListBucket`` on the bucket with the ``s3:prefix`` key, ``CopyObject`` reads one object and
writes another, a DynamoDB transaction is one action per item, ECS ``RunTask`` also passes the
task definition's roles (``iam:PassRole``), and Bedrock's ``Converse`` is ``bedrock:InvokeModel``.
The mapping follows the Service Authorization Reference for the operations our code calls; any
other operation is ``<prefix>:<Operation>`` on the resource its parameters name, or ``*``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The IAM prefix of a service, where it is not botocore's signing name.
_PREFIX = {"monitoring": "cloudwatch"}
# Cognito operations a signed-out user calls with no AWS credentials: IAM never sees them.
_UNSIGNED_COGNITO = {
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "GetUser",
    "ChangePassword",
    "GlobalSignOut",
    "RevokeToken",
    "GetTokensFromRefreshToken",
}
_S3_OBJECT_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "GetObjectAttributes": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "DeleteObject": "s3:DeleteObject",
    "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectTagging": "s3:PutObjectTagging",
}
_S3_BUCKET_ACTIONS = {
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "ListObjectVersions": "s3:ListBucketVersions",
}
_DYNAMODB_TRANSACT = {
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "Get": "dynamodb:GetItem",
}
_KEY_EQUALS = re.compile(r"(#?[A-Za-z0-9_.]+)\s*=\s*(:[A-Za-z0-9_]+)")
_INFERENCE_PROFILE = re.compile(r"^(us|eu|apac|us-gov|ca|jp|au|global)\.")


@dataclass(frozen=True)
class Check:
    """One thing IAM decides for a call: ``action`` on ``resource`` with condition keys."""

    action: str
    resource: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    """Where ARNs point, and what the account's resources say about themselves.

    ``partition_keys`` (table name to partition key attribute) gives ``dynamodb:LeadingKeys``;
    ``task_roles`` (task definition family to its task and execution role ARNs) gives the
    roles ``RunTask`` passes.
    """

    region: str
    account_id: str
    partition_keys: Mapping[str, str] = field(default_factory=dict)
    task_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def checks(prefix: str, operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    """The IAM checks of one call (none for calls IAM does not authorize)."""
    prefix = _PREFIX.get(prefix, prefix)
    mapper = _MAPPERS.get(prefix)
    if mapper is not None:
        return mapper(operation, params, account)
    if prefix == "sts" and operation == "GetCallerIdentity":
        return []  # always allowed, whatever the policies say
    return [Check(f"{prefix}:{operation}", "*")]


# -- DynamoDB ----------------------------------------------------------------------------------


def _table_arn(account: Account, table: str, index: str | None = None) -> str:
    if table.startswith("arn:"):
        arn = table
    else:
        arn = f"arn:aws:dynamodb:{account.region}:{account.account_id}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _key_value(value: Any) -> str | None:
    if isinstance(value, Mapping):
        for kind in ("S", "N", "B"):
            if kind in value:
                return str(value[kind])
    return None


def _leading_keys(table: str, params: Mapping[str, Any], account: Account) -> list[str]:
    """The partition key values a request names (``dynamodb:LeadingKeys``)."""
    attribute = account.partition_keys.get(table.rsplit("/", 1)[-1])
    if attribute is None:
        return []
    for element in ("Key", "Item"):
        if element in params:
            value = _key_value(params[element].get(attribute))
            return [value] if value is not None else []
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    expression = params.get("KeyConditionExpression")
    expression = expression if isinstance(expression, str) else ""  # boto3 builds objects later
    for name, placeholder in _KEY_EQUALS.findall(expression):
        if names.get(name, name) == attribute:
            value = _key_value(values.get(placeholder))
            return [value] if value is not None else []
    legacy = params.get("KeyConditions", {}).get(attribute, {})
    found = [_key_value(value) for value in legacy.get("AttributeValueList", [])[:1]]
    return [value for value in found if value is not None]


def _dynamodb_item(action: str, params: Mapping[str, Any], account: Account) -> Check:
    table = str(params["TableName"])
    keys = _leading_keys(table, params, account)
    return Check(
        action,
        _table_arn(account, table, params.get("IndexName")),
        {"dynamodb:LeadingKeys": keys} if keys else {},
    )


def _dynamodb(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            _dynamodb_item(_DYNAMODB_TRANSACT[kind], body, account)
            for item in params.get("TransactItems", [])
            for kind, body in item.items()
        ]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [
            Check(f"dynamodb:{operation}", _table_arn(account, table))
            for table in params.get("RequestItems", {})
        ]
    if "TableName" in params:
        return [_dynamodb_item(f"dynamodb:{operation}", params, account)]
    if "StreamArn" in params:
        return [Check(f"dynamodb:{operation}", str(params["StreamArn"]))]
    if "ResourceArn" in params:
        return [Check(f"dynamodb:{operation}", str(params["ResourceArn"]))]
    return [Check(f"dynamodb:{operation}", "*")]


# -- S3 -----------------------------------------------------------------------------------------


def _s3(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    bucket = str(params.get("Bucket", ""))
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if operation in ("CopyObject", "UploadPartCopy"):
        source = params["CopySource"]
        if isinstance(source, Mapping):
            source_path = f"{source['Bucket']}/{source['Key']}"
        else:
            source_path = str(source).lstrip("/").split("?", 1)[0]
        return [
            Check("s3:GetObject", f"arn:aws:s3:::{source_path}"),
            Check("s3:PutObject", f"{bucket_arn}/{params['Key']}"),
        ]
    if operation == "DeleteObjects":
        return [
            Check("s3:DeleteObject", f"{bucket_arn}/{item['Key']}")
            for item in params.get("Delete", {}).get("Objects", [])
        ]
    if operation in _S3_OBJECT_ACTIONS:
        return [Check(_S3_OBJECT_ACTIONS[operation], f"{bucket_arn}/{params['Key']}")]
    if operation in _S3_BUCKET_ACTIONS:
        context = {"s3:prefix": str(params["Prefix"])} if "Prefix" in params else {}
        return [Check(_S3_BUCKET_ACTIONS[operation], bucket_arn, context)]
    if operation == "ListBuckets":
        return [Check("s3:ListAllMyBuckets", "*")]
    return [Check(f"s3:{operation}", bucket_arn if bucket else "*")]


# -- Step Functions, ECS, Lambda ----------------------------------------------------------------


def _states(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    for element in ("executionArn", "stateMachineArn", "activityArn", "mapRunArn"):
        if element in params:
            return [Check(f"states:{operation}", str(params[element]))]
    return [Check(f"states:{operation}", "*")]


def _cluster_arn(account: Account, cluster: str | None) -> str:
    name = cluster or "default"
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ecs:{account.region}:{account.account_id}:cluster/{name}"


def _ecs(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    cluster = _cluster_arn(account, params.get("cluster"))
    context = {"ecs:cluster": cluster}
    if operation == "RunTask":
        definition = str(params["taskDefinition"])
        family = definition.rsplit("/", 1)[-1]
        if ":" not in family:
            family = f"{family}:*"
        arn = (
            definition
            if definition.startswith("arn:")
            else f"arn:aws:ecs:{account.region}:{account.account_id}:task-definition/{family}"
        )
        passed = account.task_roles.get(family.split(":", 1)[0], ())
        return [Check("ecs:RunTask", arn, context)] + [
            Check("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
            for role in passed
        ]
    tasks = [params["task"]] if "task" in params else list(params.get("tasks", []))
    if tasks:
        base = (
            f"arn:aws:ecs:{account.region}:{account.account_id}:task/{cluster.rsplit('/', 1)[-1]}"
        )
        return [
            Check(
                f"ecs:{operation}", task if task.startswith("arn:") else f"{base}/{task}", context
            )
            for task in map(str, tasks)
        ]
    return [Check(f"ecs:{operation}", "*", context if "cluster" in params else {})]


def _lambda(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    action = "lambda:InvokeFunction" if operation in ("Invoke", "InvokeAsync") else None
    name = params.get("FunctionName")
    if name is None:
        return [Check(action or f"lambda:{operation}", "*")]
    name = str(name)
    arn = (
        name
        if name.startswith("arn:")
        else f"arn:aws:lambda:{account.region}:{account.account_id}:function:{name}"
    )
    if "Qualifier" in params:
        arn = f"{arn}:{params['Qualifier']}"
    return [Check(action or f"lambda:{operation}", arn)]


# -- Bedrock, SNS, SES, Cognito -----------------------------------------------------------------


def _bedrock(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    streaming = operation in ("ConverseStream", "InvokeModelWithResponseStream")
    action = "bedrock:InvokeModelWithResponseStream" if streaming else "bedrock:InvokeModel"
    if operation not in ("Converse", "ConverseStream", "InvokeModel") and not streaming:
        return [Check(f"bedrock:{operation}", "*")]
    model = str(params.get("modelId", ""))
    if model.startswith("arn:"):
        return [Check(action, model)]
    if _INFERENCE_PROFILE.match(model):
        # The profile, and the model it routes to (the Region it routes to is not known here).
        profile = f"arn:aws:bedrock:{account.region}:{account.account_id}:inference-profile/{model}"
        underlying = model.split(".", 1)[1]
        return [
            Check(action, profile),
            Check(action, f"arn:aws:bedrock:{account.region}::foundation-model/{underlying}"),
        ]
    return [Check(action, f"arn:aws:bedrock:{account.region}::foundation-model/{model}")]


def _sns(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    target = params.get("TopicArn") or params.get("TargetArn") or "*"
    return [Check(f"sns:{operation}", str(target))]


def _ses(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    sender = params.get("Source") or params.get("FromEmailAddress")
    if sender is None:
        return [Check(f"ses:{operation}", "*")]
    address = str(sender).rsplit("<", 1)[-1].rstrip(">").strip()
    identity = f"arn:aws:ses:{account.region}:{account.account_id}:identity/{address}"
    return [Check(f"ses:{operation}", identity, {"ses:FromAddress": address})]


def _cognito(operation: str, params: Mapping[str, Any], account: Account) -> list[Check]:
    if operation in _UNSIGNED_COGNITO:
        return []
    pool = params.get("UserPoolId")
    resource = (
        f"arn:aws:cognito-idp:{account.region}:{account.account_id}:userpool/{pool}"
        if pool
        else "*"
    )
    return [Check(f"cognito-idp:{operation}", resource)]


_MAPPERS = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "states": _states,
    "ecs": _ecs,
    "lambda": _lambda,
    "bedrock": _bedrock,
    "sns": _sns,
    "ses": _ses,
    "cognito-idp": _cognito,
}
