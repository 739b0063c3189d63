"""The Parquet and CSV datasets: Arrow tables of one schema into a streaming writer.

Three ways to get the tables, tried in order, each writing into a fresh multipart upload that
is aborted if the way gives up (so a failed attempt never replaces the previous export):

1. optimistic: the first batch's schema, one parse per batch (the usual case);
2. unified: after a batch brought a new field or type, a first pass unifies every batch's
   schema, then a second pass writes against it;
3. exact: when Arrow cannot unify the types, records are parsed with ``json``, the schema is
   merged record by record (conflicts kept as JSON text and reported), and tables are built.

Parquet keeps nested objects as structs (row groups of ``ROW_GROUP_ROWS``, zstd). CSV opens
structs into dotted columns (``fields.author.name``), writes lists as JSON text, writes a null
as an empty field and an empty string as ``""``, and quotes every string (RFC 4180).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from plot_palette.exports.batches import Batches, SeenIds, iter_records
from plot_palette.exports.manifest import ExportFile, ExportResult
from plot_palette.exports.schema import describe, infer_schema, to_table
from plot_palette.exports.tables import (
    Incompatible,
    SchemaChanged,
    fixed_tables,
    optimistic_tables,
    unified_schema,
)
from plot_palette.exports.upload import StreamingUpload

# About 10 MB of 1 KB records: large enough for efficient scans, small enough for Lambda memory.
ROW_GROUP_ROWS = 10_000
CONTENT_TYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv; charset=utf-8"}


class TableSink(Protocol):
    """Where tables of one schema go."""

    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


class ParquetSink:
    """Tables gathered into row groups of ``ROW_GROUP_ROWS`` and written with zstd."""

    def __init__(self, upload: StreamingUpload, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(pa.PythonFile(upload, mode="w"), schema, compression="zstd")
        self._pending: list[pa.Table] = []
        self._rows = 0

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._rows += table.num_rows
        if self._rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=ROW_GROUP_ROWS)
        self._pending, self._rows = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


def flat_for_csv(table: pa.Table) -> pa.Table:
    """Structs opened into dotted columns; lists (which CSV cannot hold) as JSON text."""
    while any(pa.types.is_struct(item.type) for item in table.schema):
        table = table.flatten()
    for index, item in enumerate(table.schema):
        if pa.types.is_list(item.type):
            values = [
                None if value is None else json.dumps(value, ensure_ascii=False)
                for value in table.column(index).to_pylist()
            ]
            table = table.set_column(index, item.name, pa.array(values, pa.string()))
    return table


class CsvSink:
    """Tables flattened and written as CSV rows under one header."""

    def __init__(self, upload: StreamingUpload, schema: pa.Schema) -> None:
        self._file = pa.PythonFile(upload, mode="w")
        self._writer: pa_csv.CSVWriter | None = None
        if len(schema):
            flat = flat_for_csv(schema.empty_table()).schema
            options = pa_csv.WriteOptions(quoting_style="needed")
            self._writer = pa_csv.CSVWriter(self._file, flat, write_options=options)

    def write(self, table: pa.Table) -> None:
        if self._writer is not None:
            self._writer.write_table(flat_for_csv(table))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


SINKS: dict[str, Callable[[StreamingUpload, pa.Schema], TableSink]] = {
    "parquet": ParquetSink,
    "csv": CsvSink,
}


def export_columnar(fmt: str, batches: Batches, key: str) -> ExportResult:
    """Write ``batches`` as the ``fmt`` dataset at ``key``, fast when types agree, exact always."""
    try:
        return _write(
            fmt, batches, key, None, lambda seen: optimistic_tables(batches.bodies(), seen)
        )
    except SchemaChanged:
        pass
    except Incompatible:
        return _write_exact(fmt, batches, key)
    try:
        schema = unified_schema(batches.bodies())
        if schema is None:  # pragma: no cover - a changed schema implies a record
            return _write_exact(fmt, batches, key)
        return _write(
            fmt, batches, key, schema, lambda seen: fixed_tables(batches.bodies(), schema, seen)
        )
    except Incompatible:
        return _write_exact(fmt, batches, key)


def _write(
    fmt: str,
    batches: Batches,
    key: str,
    schema: pa.Schema | None,
    tables: Callable[[SeenIds], Iterator[pa.Table]],
    notes: list[str] | None = None,
) -> ExportResult:
    """Stream ``tables`` into one upload; the sink opens on the first table's schema."""
    seen = SeenIds()
    sink: TableSink | None = None
    with StreamingUpload(batches.s3, batches.bucket, key, CONTENT_TYPES[fmt]) as upload:
        count = 0
        for table in tables(seen):
            if sink is None:
                schema = table.schema
                sink = SINKS[fmt](upload, schema)
            sink.write(table)
            count += table.num_rows
        if sink is None:
            schema = schema if schema is not None else pa.schema([])
            sink = SINKS[fmt](upload, schema)
        sink.close()
    assert schema is not None
    return ExportResult(
        fmt,
        key,
        [ExportFile(key, count, upload.size, upload.sha256)],
        schema=describe(schema),
        schema_notes=notes or [],
        duplicates=seen.duplicates,
    )


def _write_exact(fmt: str, batches: Batches, key: str) -> ExportResult:
    """Record by record: two ``json`` passes, for datasets whose types Arrow cannot unify."""
    notes: list[str] = []
    schema = infer_schema(iter_records(batches.bodies(), SeenIds()), notes)

    def tables(seen: SeenIds) -> Iterator[pa.Table]:
        chunk = []
        for record in iter_records(batches.bodies(), seen):
            chunk.append(record)
            if len(chunk) >= ROW_GROUP_ROWS:
                yield to_table(chunk, schema)
                chunk = []
        if chunk:
            yield to_table(chunk, schema)

    return _write(fmt, batches, key, schema, tables, notes)
