"""Plain Python values <-> DynamoDB attribute values (floats travel as exact decimals)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _to_dynamo(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(item) for item in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(item) for item in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialise a dict of Python values into a DynamoDB item (None values are left out)."""
    return {
        key: _serializer.serialize(_to_dynamo(value))
        for key, value in values.items()
        if value is not None
    }


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Deserialise a DynamoDB item into plain Python values (whole numbers become ints)."""
    return {key: _from_dynamo(_deserializer.deserialize(value)) for key, value in item.items()}


def newest_first_page(
    client: Any,
    table: str,
    *,
    user_id: str,
    id_name: str,
    limit: int,
    after: tuple[str, str] | None = None,
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """One page of a user's items on the table's ``user-id-index`` (newest first) and where
    the next page starts, as ``(created_at, <id_name>)``.

    The user id of the start key is always the caller's, never taken from ``after``, so a
    forged position cannot reach another user's items.
    """
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": "user-id-index",
        "KeyConditionExpression": "user_id = :user",
        "ExpressionAttributeValues": {":user": {"S": user_id}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if after is not None:
        request["ExclusiveStartKey"] = {
            "user_id": {"S": user_id},
            "created_at": {"S": after[0]},
            id_name: {"S": after[1]},
        }
    response = client.query(**request)
    items = [from_item(item) for item in response["Items"]]
    last = response.get("LastEvaluatedKey")
    following = (last["created_at"]["S"], last[id_name]["S"]) if last else None
    return items, following
