"""The template gallery's infrastructure: two sparse GSIs on the Templates table, and an API
role that may query them and delete gallery entries, never templates."""

from __future__ import annotations

from typing import Any

from plot_palette.local.iam_requests import Account, checks
from tests.unit.infra.cfn import ACCOUNT, REGION, STACKS, resources, stack
from tests.unit.infra.iam import Role, function_roles

TEMPLATES = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/TemplatesTableName"


def templates_table() -> dict[str, Any]:
    return resources(stack("database"), "AWS::DynamoDB::Table")["TemplatesTable"]


def api_role() -> Role:
    path = next(path for path in STACKS if path.name == "api.yaml")
    (role,) = {r.logical_id: r for r in function_roles(path).values()}.values()
    return role


def test_gallery_indexes_are_keyed_on_the_sparse_gallery_attribute() -> None:
    indexes = {i["IndexName"]: i for i in templates_table()["GlobalSecondaryIndexes"]}
    recent = [
        (k["AttributeName"], k["KeyType"]) for k in indexes["gallery-recent-index"]["KeySchema"]
    ]
    forks = [
        (k["AttributeName"], k["KeyType"]) for k in indexes["gallery-forks-index"]["KeySchema"]
    ]
    assert recent == [("gallery", "HASH"), ("published_at", "RANGE")]
    assert forks == [("gallery", "HASH"), ("forks", "RANGE")]
    types = {
        a["AttributeName"]: a["AttributeType"] for a in templates_table()["AttributeDefinitions"]
    }
    assert types["gallery"] == "S" and types["published_at"] == "S" and types["forks"] == "N"
    # the owner index stays: gallery entries never carry owner_id, so they list nowhere else
    assert "owner-index" in indexes


def test_api_queries_the_gallery_indexes_and_never_scans() -> None:
    role = api_role()
    for index in ("gallery-recent-index", "gallery-forks-index", "owner-index"):
        assert role.allows("dynamodb:Query", f"{TEMPLATES}/index/{index}")
    assert not role.could("dynamodb:Scan")


def test_api_deletes_gallery_entries_but_never_templates() -> None:
    role = api_role()
    assert role.allows(
        "dynamodb:DeleteItem", TEMPLATES, {"dynamodb:LeadingKeys": "gal-0123456789abcdef0123"}
    )
    assert not role.allows(
        "dynamodb:DeleteItem", TEMPLATES, {"dynamodb:LeadingKeys": "tpl-0123456789abcdef0123"}
    )
    # "ForAllValues" holds for a request without partition keys (IAM's rule), but DeleteItem
    # always names its item's key, so IAM always sees dynamodb:LeadingKeys for it.
    (check,) = checks(
        "dynamodb",
        "DeleteItem",
        {"TableName": "Templates", "Key": {"template_id": {"S": "tpl-0123456789abcdef0123"}}},
        Account("REGION", "ACCOUNT", partition_keys={"Templates": "template_id"}),
    )
    assert not role.allows(check.action, TEMPLATES, check.context)
