"""The fast path for Parquet and CSV: pyarrow's JSON reader parses whole batches in C++.

Pass one reads each batch's schema and unifies them (missing fields become nulls, ints meeting
floats widen); timestamps pyarrow would infer from ISO strings stay strings, so values keep the
exact text the records had. Pass two re-reads each batch against that schema. When the batches'
types cannot be unified (a number in one, an object in another) the caller falls back to the
record-by-record path in ``schema.py``, which keeps such a field as JSON text and reports it.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from plot_palette.exports.batches import batch_bodies


class Incompatible(Exception):
    """The batches' types cannot be unified by Arrow."""


def _without_timestamps(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _without_timestamps(f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(_without_timestamps(kind.value_type))
    return kind


class LocalBatches:
    """Batches read once from S3 and kept on local disk (Lambda's /tmp) for the second pass,
    so memory stays bounded by one batch and S3 is read once."""

    def __init__(self, s3: Any, bucket: str, keys: list[str]) -> None:
        self._s3, self._bucket, self._keys = s3, bucket, keys
        self._directory = tempfile.TemporaryDirectory(prefix="plot-palette-export-")
        self._paths: list[Path] = []

    def fetch(self) -> Iterator[bytes]:
        """Each batch from S3, saved locally as it passes."""
        for number, body in enumerate(batch_bodies(self._s3, self._bucket, self._keys)):
            path = Path(self._directory.name) / f"{number:06d}.jsonl"
            path.write_bytes(body)
            self._paths.append(path)
            yield body

    def again(self) -> Iterator[bytes]:
        """Each batch again, from local disk."""
        for path in self._paths:
            yield path.read_bytes()

    def close(self) -> None:
        self._directory.cleanup()


def unified_schema(batches: LocalBatches) -> pa.Schema | None:
    """One schema for every batch, or None when there is no record at all."""
    schemas = []
    for body in batches.fetch():
        if body.strip():
            schemas.append(pj.read_json(io.BytesIO(body)).schema)
    if not schemas:
        return None
    try:
        schema = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as conflict:
        raise Incompatible(str(conflict)) from None
    return pa.schema([pa.field(f.name, _without_timestamps(f.type)) for f in schema])


def tables(batches: LocalBatches, schema: pa.Schema) -> Iterator[pa.Table]:
    """Each batch as a table of ``schema``, records seen before dropped."""
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    seen: set[str] = set()
    for body in batches.again():
        if not body.strip():
            continue
        try:
            table = pj.read_json(io.BytesIO(body), parse_options=options)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as conflict:
            raise Incompatible(str(conflict)) from None
        if "id" in table.column_names:
            ids = table.column("id").to_pylist()
            keep = [identity is None or identity not in seen for identity in ids]
            seen.update(identity for identity in ids if identity is not None)
            if not all(keep):
                table = table.filter(pa.array(keep))
        yield table


def flat_for_csv(table: pa.Table) -> pa.Table:
    """Structs open into dotted columns; lists (which CSV cannot hold) become JSON text."""
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    for index, field in enumerate(table.schema):
        if pa.types.is_list(field.type) or pa.types.is_null(field.type):
            values = [
                None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True)
                for v in table.column(index).to_pylist()
            ]
            table = table.set_column(index, field.name, pa.array(values, pa.string()))
        elif pa.types.is_boolean(field.type):
            text = pc.if_else(table.column(index), "true", "false")
            table = table.set_column(index, field.name, text)
    return table
