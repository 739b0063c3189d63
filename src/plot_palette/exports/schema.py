"""One Arrow schema for a whole dataset, inferred from the records, widened and never lossy.

The rules, shared by the Arrow fast path (``tables.py``) and the record-by-record exact path:

* a field missing from some records is nullable (it reads back as null where it was absent);
* ``int`` meeting ``float`` widens to ``float64``; a field that is null everywhere stays null;
* objects become structs holding the union of their fields; lists merge their item types;
* two types that cannot be widened into each other (a number in one record and an object in
  another, a list mixing strings and numbers, an integer beyond 64 bits, an object that is
  empty in every record, which Parquet cannot store) become a *JSON text* column: every value
  of that field is stored as its JSON text (a string ``"a"`` as ``"\\"a\\""``), so readers can
  ``json.loads`` each one back exactly, and the export's manifest names the field in
  ``schema_notes``. Nothing is silently dropped.

JSON text columns carry the type ``large_string`` (``JSON_TEXT``) to keep them apart from
ordinary strings; Parquet stores both as UTF-8 strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from plot_palette.errors import ExportError

JSON_TEXT = pa.large_string()
_INT64 = range(-(2**63), 2**63)


def infer_type(value: Any) -> pa.DataType:
    """The Arrow type of one JSON value."""
    if value is None:
        return pa.null()
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64() if value in _INT64 else JSON_TEXT
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
    return JSON_TEXT


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def merge_types(left: pa.DataType, right: pa.DataType, notes: list[str], path: str) -> pa.DataType:
    """The narrowest type both fit in; JSON text (and a note) when there is none."""
    if left == right:
        return left
    if pa.types.is_null(left):
        return right
    if pa.types.is_null(right):
        return left
    if JSON_TEXT in (left, right):
        return JSON_TEXT
    if _numeric(left) and _numeric(right):
        return pa.float64()
    if pa.types.is_struct(left) and pa.types.is_struct(right):
        fields: dict[str, pa.DataType] = {item.name: item.type for item in left}
        for item in right:
            name = f"{path}.{item.name}" if path else item.name
            previous = fields.get(item.name)
            fields[item.name] = (
                item.type if previous is None else merge_types(previous, item.type, notes, name)
            )
        return pa.struct([pa.field(name, kind) for name, kind in fields.items()])
    if pa.types.is_list(left) and pa.types.is_list(right):
        return pa.list_(merge_types(left.value_type, right.value_type, notes, f"{path}[]"))
    _note(notes, f"{path or '(record)'}: {left} and {right} cannot be widened; kept as JSON text")
    return JSON_TEXT


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


def storable(kind: pa.DataType, notes: list[str], path: str = "") -> pa.DataType:
    """``kind`` with what Parquet cannot store (an always-empty object) turned to JSON text."""
    if pa.types.is_struct(kind):
        if kind.num_fields == 0:
            _note(notes, f"{path or '(record)'}: always an empty object; kept as JSON text")
            return JSON_TEXT
        return pa.struct(
            [
                pa.field(item.name, storable(item.type, notes, f"{path}.{item.name}".strip(".")))
                for item in kind
            ]
        )
    if pa.types.is_list(kind):
        return pa.list_(storable(kind.value_type, notes, f"{path}[]"))
    return kind


def infer_schema(records: Iterable[dict[str, Any]], notes: list[str]) -> pa.Schema:
    """Merge the types of every record into one storable schema (the exact path's first pass)."""
    merged: pa.DataType = pa.struct([])
    for record in records:
        merged = merge_types(merged, infer_type(record), notes, "")
    return pa.schema(
        [pa.field(item.name, storable(item.type, notes, item.name)) for item in merged]
    )


def conform(value: Any, kind: pa.DataType) -> Any:
    """A value shaped for its column: JSON text where the schema says so, ints widened."""
    if value is None:
        return None
    if kind == JSON_TEXT:
        return json.dumps(value, ensure_ascii=False)
    if pa.types.is_floating(kind) and isinstance(value, int):
        return float(value)
    if pa.types.is_struct(kind):
        return {item.name: conform(value.get(item.name), item.type) for item in kind}
    if pa.types.is_list(kind):
        return [conform(item, kind.value_type) for item in value]
    return value


def to_table(records: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """Records as an Arrow table of exactly ``schema``.

    Records with no field at all (``{}``) have no columns to live in; rather than vanish from
    the row count they are refused (the record contract always has an ``id``).
    """
    if records and not len(schema):
        raise ExportError("records without any field cannot be written as a table")
    rows = [
        {item.name: conform(record.get(item.name), item.type) for item in schema}
        for record in records
    ]
    return pa.Table.from_pylist(rows, schema=schema)


def describe(schema: pa.Schema) -> dict[str, Any]:
    """The schema as JSON for the manifest: structs as objects, lists as ``[item]``, JSON text
    columns as ``"json"``."""

    def kind(value: pa.DataType) -> Any:
        if value == JSON_TEXT:
            return "json"
        if pa.types.is_struct(value):
            return {item.name: kind(item.type) for item in value}
        if pa.types.is_list(value):
            return [kind(value.value_type)]
        return str(value)

    return {item.name: kind(item.type) for item in schema}
