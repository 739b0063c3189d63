"""Idempotency-Key records: a table in powertools' layout (PK ``id``, TTL ``expiration``), named
to the api function, which may read and write its records and nothing more, and a CORS policy
that lets the dashboard send the header."""

from __future__ import annotations

from tests.unit.infra.cfn import ACCOUNT, REGION, ROOT, STACKS, resources, stack
from tests.unit.infra.iam import Role, function_roles

TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
API = next(path for path in STACKS if path.name == "api.yaml")


def api_role() -> Role:
    (role,) = {r.logical_id: r for r in function_roles(API).values()}.values()
    return role


def test_idempotency_table_has_powertools_layout_and_expires_keys() -> None:
    table = resources(stack("database"), "AWS::DynamoDB::Table")["IdempotencyTable"]
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("id", "HASH")]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "GlobalSecondaryIndexes" not in table
    assert "StreamSpecification" not in table


def test_the_api_function_is_told_the_idempotency_table() -> None:
    api = resources(ROOT / "template.yaml", "AWS::Serverless::Application", sam=True)["Api"]
    assert api["Parameters"]["IdempotencyTableName"] == {
        "Fn::GetAtt": ["Database", "Outputs.IdempotencyTableName"]
    }
    (function,) = resources(API, "AWS::Serverless::Function", sam=True).values()
    variables = function["Environment"]["Variables"]
    assert variables["IDEMPOTENCY_TABLE_NAME"] == {"Ref": "IdempotencyTableName"}


def test_api_keeps_idempotency_records_and_nothing_more() -> None:
    role = api_role()
    table = f"{TABLE}/IdempotencyTableName"
    for action in ("PutItem", "GetItem", "UpdateItem", "DeleteItem"):
        assert role.allows(f"dynamodb:{action}", table), action
    for action in ("Scan", "Query", "BatchWriteItem", "DeleteTable"):
        assert not role.allows(f"dynamodb:{action}", table), action
    # the other tables gain nothing from it
    assert not role.allows("dynamodb:DeleteItem", f"{TABLE}/JobsTableName")


def test_the_dashboard_may_send_the_header_across_origins() -> None:
    (api,) = resources(API, "AWS::Serverless::HttpApi", sam=True).values()
    cors = api["CorsConfiguration"]
    assert "Idempotency-Key" in cors["AllowHeaders"]
    # a cross-origin page reads only the headers CORS exposes: the 409's Retry-After among them
    assert "Retry-After" in cors["ExposeHeaders"]
