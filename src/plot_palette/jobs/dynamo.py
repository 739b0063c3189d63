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
