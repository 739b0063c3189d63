"""Batches as Arrow tables of one schema, parsed by pyarrow's JSON reader (C++, no Python loop).

The fast path is optimistic: the first batch's schema is taken as the dataset's, and each later
batch is parsed against it (fields it lacks become nulls). A batch that brings a new field or a
type the schema cannot hold raises ``SchemaChanged``; the export then runs ``unified_schema``, a
first pass that reads every batch's schema and unifies them (ints meeting floats widen, structs
take the union of their fields), and writes again against that. Types Arrow cannot unify (a
number in one record and an object in another) raise ``Incompatible`` and the export falls back
to the record-by-record path of ``schema.py``, which keeps such a field as JSON text.

Strings that look like dates stay strings: pyarrow would infer timestamps from ISO text, which
would not give back the exact text the records had.

Known limit: pyarrow reads an integer beyond 64 bits as a float (the exact path does not).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.json as pj

from plot_palette.exports.batches import SeenIds


class SchemaChanged(Exception):
    """A later batch has a field or a type the schema taken from the first batch lacks."""


class Incompatible(Exception):
    """Arrow cannot hold the batches in one schema (or Parquet cannot store it)."""


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


def _text_for_times(kind: pa.DataType) -> pa.DataType:
    """``kind`` with every inferred timestamp, date or time turned back into a string."""
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(item.name, _text_for_times(item.type)) for item in kind])
    if pa.types.is_list(kind):
        return pa.list_(_text_for_times(kind.value_type))
    return kind


def _storable(kind: pa.DataType) -> bool:
    """False for an empty struct anywhere (Parquet cannot store one; the exact path can)."""
    if pa.types.is_struct(kind):
        return kind.num_fields > 0 and all(_storable(item.type) for item in kind)
    if pa.types.is_list(kind):
        return _storable(kind.value_type)
    return True


def _normal(schema: pa.Schema) -> pa.Schema:
    normal = pa.schema([pa.field(item.name, _text_for_times(item.type)) for item in schema])
    if not all(_storable(item.type) for item in normal):
        raise Incompatible("an object is empty in every record")
    return normal


def _read(body: bytes, schema: pa.Schema | None = None, unexpected: str = "infer") -> pa.Table:
    options = (
        pj.ParseOptions()
        if schema is None
        else pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected)
    )
    return pj.read_json(io.BytesIO(body), parse_options=options)


def _first(body: bytes) -> pa.Table:
    try:
        table = _read(body)
        schema = _normal(table.schema)
        return table if schema.equals(table.schema) else _read(body, schema, "error")
    except _ARROW_ERRORS as conflict:
        raise Incompatible(str(conflict)) from None


def _fresh(table: pa.Table, seen: SeenIds) -> pa.Table:
    """The table without records whose id an earlier row or batch had."""
    if "id" not in table.column_names:
        return table
    column = table.column("id")
    values = column.to_pylist()
    text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    ids = values if text else [None if value is None else str(value) for value in values]
    if seen.all_fresh(ids):
        return table
    return table.filter(pa.array(seen.fresh(ids), pa.bool_()))


def optimistic_tables(bodies: Iterable[bytes], seen: SeenIds) -> Iterator[pa.Table]:
    """Tables of the first batch's schema; ``SchemaChanged`` when a later batch needs more."""
    schema: pa.Schema | None = None
    for body in bodies:
        if not body.strip():
            continue
        if schema is None:
            table = _first(body)
            schema = table.schema
        else:
            try:
                table = _read(body, schema, "infer")
            except _ARROW_ERRORS as conflict:
                raise SchemaChanged(str(conflict)) from None
            if not table.schema.equals(schema):
                raise SchemaChanged("a later batch has fields the first one did not")
        yield _fresh(table, seen)


def unified_schema(bodies: Iterable[bytes]) -> pa.Schema | None:
    """One schema every batch fits (the first pass after a change), or None without records."""
    schemas = [_first(body).schema for body in bodies if body.strip()]
    if not schemas:
        return None
    try:
        return _normal(pa.unify_schemas(schemas, promote_options="permissive"))
    except _ARROW_ERRORS as conflict:
        raise Incompatible(str(conflict)) from None


def fixed_tables(bodies: Iterable[bytes], schema: pa.Schema, seen: SeenIds) -> Iterator[pa.Table]:
    """Every batch as a table of ``schema`` (which the first pass made fit them all)."""
    for body in bodies:
        if not body.strip():
            continue
        try:
            table = _read(body, schema, "error")
        except _ARROW_ERRORS as conflict:
            raise Incompatible(str(conflict)) from None
        yield _fresh(table, seen)
