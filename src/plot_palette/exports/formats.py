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
import pyarrow.parquet as pq

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

Records = Callable[[], Iterator[dict[str, Any]]]


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


def export_jsonl(records: Records, s3: Any, bucket: str, job_id: str) -> ExportResult:
    """``exports/dataset.jsonl``: every record, whole, one per line."""
    key = f"{exports_prefix(job_id)}dataset.jsonl"
    count = 0
    with StreamingUpload(s3, bucket, key, "application/x-ndjson") as upload:
        for record in records():
            upload.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            count += 1
    return ExportResult(
        "jsonl", key, [ExportFile(key, count, upload.size, upload.sha256.hexdigest())]
    )


def export_parquet(records: Records, s3: Any, bucket: str, job_id: str) -> ExportResult:
    """``exports/dataset.parquet``: nested fields as structs, zstd, row groups of 10,000."""
    notes: list[str] = []
    schema = infer_schema(records(), notes)
    key = f"{exports_prefix(job_id)}dataset.parquet"
    count = 0
    with (
        StreamingUpload(s3, bucket, key, "application/vnd.apache.parquet") as upload,
        pq.ParquetWriter(pa.PythonFile(upload, mode="w"), schema, compression="zstd") as writer,
    ):
        pending: list[dict[str, Any]] = []
        for record in records():
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


def export_csv(records: Records, s3: Any, bucket: str, job_id: str) -> ExportResult:
    """``exports/dataset.csv``: nested fields as dotted columns, lists as JSON text, RFC 4180."""
    notes: list[str] = []
    schema = infer_schema(records(), notes)
    struct = pa.struct(list(schema))
    columns = flatten_columns(schema)
    key = f"{exports_prefix(job_id)}dataset.csv"
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
    kind: str,
    records: Records,
    s3: Any,
    bucket: str,
    job_id: str,
    category_field: str | None = None,
) -> ExportResult:
    """JSONL files per partition, written in parallel; stale partitions are removed after."""
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
