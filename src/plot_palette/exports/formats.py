"""The export formats: JSONL, Parquet and CSV datasets, and partitioned JSONL sets.

Every writer streams: batches are read one at a time, Parquet and CSV after a first pass that
infers the schema (``schema.py``), and bytes go out through a multipart upload, so memory is
bounded by a row group (Parquet) or a part (8 MiB), never by the dataset.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pj
import pyarrow.parquet as pq

from plot_palette.exports.arrow_path import (
    Incompatible,
    LocalBatches,
    flat_for_csv,
    tables,
    unified_schema,
)
from plot_palette.exports.batches import batch_bodies, iter_records
from plot_palette.exports.schema import (
    conform,
    flatten_columns,
    flatten_record,
    infer_schema,
    to_table,
)
from plot_palette.exports.upload import StreamingUpload
from plot_palette.records import exports_prefix

ROW_GROUP_ROWS = 10_000
CSV_CHUNK_ROWS = 1_000
PARTITION_UPLOADS = 8
SPOOL_BYTES = 1024 * 1024
UNKNOWN_PARTITION = "_unknown"


@dataclass(frozen=True)
class Source:
    """The committed batches of one job."""

    s3: Any
    bucket: str
    keys: list[str]

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record once, in batch order (the slow, exact path)."""
        return iter_records(self.s3, self.bucket, self.keys)


@dataclass
class ExportFile:
    """One file an export wrote."""

    key: str
    records: int
    bytes: int
    sha256: str


@dataclass
class ExportResult:
    """What an export wrote, for the manifest and the state machine."""

    format: str
    key: str
    files: list[ExportFile] = field(default_factory=list)
    schema: str = ""
    schema_notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(item.records for item in self.files)


_ID_ONLY = pj.ParseOptions(
    explicit_schema=pa.schema([pa.field("id", pa.string())]), unexpected_field_behavior="ignore"
)


_ID_PREFIX = b'{"id": "'


def _ids(body: bytes) -> list[Any]:
    """The ids of a batch's records, in order.

    The worker writes ``{"id": "<32 hex>", ...`` first on every line, so ids are read from
    there; a batch in any other shape is parsed properly (by Arrow).
    """
    lines = [line for line in body.split(b"\n") if line.strip()]
    start, end = len(_ID_PREFIX), len(_ID_PREFIX) + 32
    if all(line.startswith(_ID_PREFIX) and line[end : end + 1] == b'"' for line in lines):
        return [line[start:end].decode() for line in lines]
    return list(pj.read_json(io.BytesIO(body), parse_options=_ID_ONLY).column("id").to_pylist())


def export_jsonl(source: Source, job_id: str) -> ExportResult:
    """``exports/dataset.jsonl``: the batches' lines as written, each record id once.

    Lines are copied, not re-encoded; only their ids are parsed (by Arrow) to drop a record a
    batch repeats.
    """
    key = f"{exports_prefix(job_id)}dataset.jsonl"
    count = 0
    seen: set[str] = set()
    with StreamingUpload(source.s3, source.bucket, key, "application/x-ndjson") as upload:
        for body in batch_bodies(source.s3, source.bucket, source.keys):
            if not body.strip():
                continue
            ids = _ids(body)
            unique = set(ids)
            if len(unique) == len(ids) and seen.isdisjoint(unique):
                # the usual case: no repeat, the batch goes out as written
                upload.write(body if body.endswith(b"\n") else body + b"\n")
                seen |= unique
                count += len(ids)
                continue
            lines = [line for line in body.split(b"\n") if line.strip()]
            for line, identity in zip(lines, ids, strict=True):
                if identity is not None and identity in seen:
                    continue
                seen.add(identity)
                upload.write(line + b"\n")
                count += 1
    return ExportResult(
        "jsonl", key, [ExportFile(key, count, upload.size, upload.sha256.hexdigest())]
    )


def export_parquet(source: Source, job_id: str) -> ExportResult:
    """``exports/dataset.parquet``: nested fields as structs, zstd, row groups of 10,000."""
    return _fast_or_exact(
        source, f"{exports_prefix(job_id)}dataset.parquet", _parquet_fast, _parquet_exact
    )


def _fast_or_exact(
    source: Source,
    key: str,
    fast: Callable[[Source, LocalBatches, str, pa.Schema], ExportResult],
    exact: Callable[[Source, str], ExportResult],
) -> ExportResult:
    """Arrow's fast path when the batches' types unify, the record-by-record path otherwise
    (and for an empty dataset)."""
    batches = LocalBatches(source.s3, source.bucket, source.keys)
    try:
        schema = unified_schema(batches)
        if schema is not None:
            return fast(source, batches, key, schema)
    except Incompatible:
        pass
    finally:
        batches.close()
    return exact(source, key)


def _parquet_fast(
    source: Source, batches: LocalBatches, key: str, schema: pa.Schema
) -> ExportResult:
    count = 0
    with (
        StreamingUpload(source.s3, source.bucket, key, "application/vnd.apache.parquet") as upload,
        pq.ParquetWriter(pa.PythonFile(upload, mode="w"), schema, compression="zstd") as writer,
    ):
        pending: list[pa.Table] = []
        rows = 0
        for table in tables(batches, schema):
            pending.append(table)
            rows += table.num_rows
            if rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(pending))
                count, pending, rows = count + rows, [], 0
        if pending:
            writer.write_table(pa.concat_tables(pending))
            count += rows
    return ExportResult(
        "parquet",
        key,
        [ExportFile(key, count, upload.size, upload.sha256.hexdigest())],
        schema=schema.to_string(),
    )


def _parquet_exact(source: Source, key: str) -> ExportResult:
    """Record by record: for datasets whose types Arrow cannot unify (and empty ones)."""
    notes: list[str] = []
    schema = infer_schema(source.records(), notes)
    count = 0
    with (
        StreamingUpload(source.s3, source.bucket, key, "application/vnd.apache.parquet") as upload,
        pq.ParquetWriter(pa.PythonFile(upload, mode="w"), schema, compression="zstd") as writer,
    ):
        pending: list[dict[str, Any]] = []
        for record in source.records():
            pending.append(record)
            if len(pending) >= ROW_GROUP_ROWS:
                writer.write_table(to_table(pending, schema))
                count += len(pending)
                pending = []
        if pending or count == 0:
            writer.write_table(to_table(pending, schema))
            count += len(pending)
    return ExportResult(
        "parquet",
        key,
        [ExportFile(key, count, upload.size, upload.sha256.hexdigest())],
        schema=schema.to_string(),
        schema_notes=notes,
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def export_csv(source: Source, job_id: str) -> ExportResult:
    """``exports/dataset.csv``: nested fields as dotted columns, lists as JSON text, RFC 4180."""
    return _fast_or_exact(source, f"{exports_prefix(job_id)}dataset.csv", _csv_fast, _csv_exact)


def _csv_fast(source: Source, batches: LocalBatches, key: str, schema: pa.Schema) -> ExportResult:
    count = 0
    columns: list[str] = []
    with StreamingUpload(source.s3, source.bucket, key, "text/csv; charset=utf-8") as upload:
        for table in tables(batches, schema):
            flat = flat_for_csv(table)
            buffer = io.BytesIO()
            options = pa_csv.WriteOptions(include_header=not count, quoting_style="needed")
            pa_csv.write_csv(flat, buffer, write_options=options)
            upload.write(buffer.getvalue())
            columns = flat.column_names
            count += flat.num_rows
    return ExportResult(
        "csv",
        key,
        [ExportFile(key, count, upload.size, upload.sha256.hexdigest())],
        schema=", ".join(columns),
    )


def _csv_exact(source: Source, key: str) -> ExportResult:
    notes: list[str] = []
    records = source.records
    s3, bucket = source.s3, source.bucket
    schema = infer_schema(records(), notes)
    struct = pa.struct(list(schema))
    columns = flatten_columns(schema)
    count = 0
    with StreamingUpload(s3, bucket, key, "text/csv; charset=utf-8") as upload:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for record in records():
            flat = flatten_record(conform(record, struct))
            writer.writerow([_cell(flat.get(column)) for column in columns])
            count += 1
            if count % CSV_CHUNK_ROWS == 0:
                upload.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        upload.write(buffer.getvalue().encode())
    return ExportResult(
        "csv",
        key,
        [ExportFile(key, count, upload.size, upload.sha256.hexdigest())],
        schema=", ".join(columns),
        schema_notes=notes,
    )


def timestamp_partition(record: dict[str, Any]) -> str:
    """``year=YYYY/month=MM/day=DD`` of ``created_at`` (UTC), or ``_unknown`` without one."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", str(record.get("created_at", "")))
    if match is None:
        return UNKNOWN_PARTITION
    year, month, day = match.groups()
    return f"year={year}/month={month}/day={day}"


def safe_partition_value(value: Any) -> str:
    """A category value made safe for an S3 key: lowercase ``[a-z0-9._-]``, runs of anything
    else become ``-``, at most 100 characters; a missing or empty value is ``_unknown``.
    Values that become the same key share a partition."""
    if value is None or isinstance(value, dict | list):
        return UNKNOWN_PARTITION
    text = re.sub(r"[^a-z0-9._-]+", "-", str(value).lower()).strip("-.")[:100]
    return text or UNKNOWN_PARTITION


def _lookup(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def export_partitions(
    kind: str, source: Source, job_id: str, category_field: str | None = None
) -> ExportResult:
    """JSONL files per partition, written in parallel; stale partitions are removed after."""
    s3, bucket, records = source.s3, source.bucket, source.records
    prefix = f"{exports_prefix(job_id)}partitioned/{kind}/"
    if kind == "timestamp":
        partition_of: Callable[[dict[str, Any]], str] = timestamp_partition
    elif category_field:
        partition_of = lambda record: safe_partition_value(_lookup(record, category_field))  # noqa: E731
    else:
        return ExportResult(
            f"partition-{kind}", prefix, schema_notes=["no category field was named"]
        )
    spools: dict[str, IO[bytes]] = {}
    counts: dict[str, int] = {}
    for record in records():
        partition = partition_of(record)
        if partition not in spools:
            spools[partition] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
            counts[partition] = 0
        spools[partition].write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
        counts[partition] += 1

    def upload(partition: str) -> ExportFile:
        key = f"{prefix}{partition}/records.jsonl"
        spool = spools[partition]
        spool.seek(0)
        with StreamingUpload(s3, bucket, key, "application/x-ndjson") as stream:
            while chunk := spool.read(SPOOL_BYTES):
                stream.write(chunk)
        spool.close()
        return ExportFile(key, counts[partition], stream.size, stream.sha256.hexdigest())

    with ThreadPoolExecutor(max_workers=PARTITION_UPLOADS) as pool:
        files = list(pool.map(upload, sorted(spools)))
    _remove_stale(s3, bucket, prefix, {item.key for item in files})
    return ExportResult(f"partition-{kind}", prefix, files)


def _remove_stale(s3: Any, bucket: str, prefix: str, keep: set[str]) -> None:
    """Delete partition files a previous run wrote that this run did not (re-runs replace)."""
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if item["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in stale[start : start + 1000]]}
        )
