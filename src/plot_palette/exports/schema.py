"""Schema inference for exports: one Arrow schema for the whole dataset, widened, never lossy.

A first streaming pass infers each batch's types and merges them: a field missing from some
records is nullable; ``int`` meeting ``float`` widens to ``float64``; structs take the union of
their fields; lists merge their item types. Two types that cannot be widened into each other
(say a number in one record and an object in another) become a JSON string column, and the
conflict is reported in the export's manifest (``schema_notes``): nothing is silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa


def infer_type(value: Any) -> pa.DataType:
    """The Arrow type of one JSON value."""
    if value is None:
        return pa.null()
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return pa.string()
    if isinstance(value, dict):
        return pa.struct([pa.field(key, infer_type(item)) for key, item in value.items()])
    if isinstance(value, list):
        item_type: pa.DataType = pa.null()
        for item in value:
            item_type = merge_types(item_type, infer_type(item), [], "")
        return pa.list_(item_type)
    return pa.string()


def merge_types(left: pa.DataType, right: pa.DataType, notes: list[str], path: str) -> pa.DataType:
    """The narrowest type both fit in; a JSON string (noted) when there is none."""
    if left == right:
        return left
    if pa.types.is_null(left):
        return right
    if pa.types.is_null(right):
        return left
    numeric = (pa.types.is_integer, pa.types.is_floating)
    if any(check(left) for check in numeric) and any(check(right) for check in numeric):
        return pa.float64()
    if pa.types.is_struct(left) and pa.types.is_struct(right):
        fields: dict[str, pa.DataType] = {field.name: field.type for field in left}
        for field in right:
            fields[field.name] = (
                merge_types(
                    fields[field.name], field.type, notes, f"{path}.{field.name}".strip(".")
                )
                if field.name in fields
                else field.type
            )
        return pa.struct([pa.field(name, kind) for name, kind in fields.items()])
    if pa.types.is_list(left) and pa.types.is_list(right):
        return pa.list_(merge_types(left.value_type, right.value_type, notes, f"{path}[]"))
    note = f"{path or '(record)'}: {left} and {right} cannot be widened; kept as JSON text"
    if note not in notes:
        notes.append(note)
    return pa.string()


def infer_schema(records: Iterable[dict[str, Any]], notes: list[str]) -> pa.Schema:
    """Merge the types of every record (the first pass of an export)."""
    merged: pa.DataType = pa.struct([])
    for record in records:
        merged = merge_types(merged, infer_type(record), notes, "")
    return pa.schema(list(merged)) if pa.types.is_struct(merged) else pa.schema([])


def conform(value: Any, kind: pa.DataType) -> Any:
    """A value shaped for its column: JSON text where the schema chose text, floats widened."""
    if value is None:
        return None
    if pa.types.is_string(kind) and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if pa.types.is_floating(kind) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if pa.types.is_struct(kind) and isinstance(value, dict):
        return {field.name: conform(value.get(field.name), field.type) for field in kind}
    if pa.types.is_list(kind) and isinstance(value, list):
        return [conform(item, kind.value_type) for item in value]
    return value


def to_table(records: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Records as an Arrow table of exactly ``schema``."""
    struct = pa.struct(list(schema))
    rows = [conform(record, struct) for record in records]
    return pa.Table.from_pylist(rows, schema=schema)


def flatten_columns(schema: pa.Schema) -> list[str]:
    """Dotted column names of the leaves (CSV): structs open up, lists stay one column."""
    columns: list[str] = []

    def walk(kind: pa.DataType, prefix: str) -> None:
        for field in kind:
            name = f"{prefix}{field.name}"
            if pa.types.is_struct(field.type) and field.type.num_fields:
                walk(field.type, name + ".")
            else:
                columns.append(name)

    walk(pa.struct(list(schema)), "")
    return columns


def flatten_record(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists are kept whole)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten_record(value, name + "."))
        else:
            flat[name] = value
    return flat
