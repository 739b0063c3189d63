"""Partitioned JSONL sets: by day of ``created_at`` or by a category field the user names.

Keys (under ``jobs/{job_id}/exports/partitioned/``):

* ``timestamp/year=YYYY/month=MM/day=DD/records.jsonl``: the UTC day of ``created_at`` (the
  worker writes UTC; a time with another offset is converted). A record with no readable
  ``created_at`` goes to ``timestamp/_unknown/records.jsonl``.
* ``category/{value}/records.jsonl``: the value at a dotted path such as ``fields.category``,
  made safe for a key by ``safe_partition_value``. A missing, null, empty, object or list value
  goes to ``category/_unknown/``. Names we make start with ``_``; values never do.

Records are copied line for line (exactly as written), each id once. Lines are routed to one
local file per partition (Lambda's ``/tmp``: scratch space about the size of the dataset, memory
about 64 KB a partition), then the partitions are uploaded in parallel, each as one atomic
object. Files a previous run wrote that this run did not are deleted afterwards. A re-run thus
replaces each file atomically but not the set at once: the manifest, written last, is the
consistent view. More than ``MAX_PARTITIONS`` distinct values is refused with a clear error
(such a field is an identifier, not a category).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from plot_palette.errors import ExportError
from plot_palette.exports.batches import Batches, SeenIds, data_lines, line_ids
from plot_palette.exports.manifest import ExportFile, ExportResult
from plot_palette.exports.upload import PART_SIZE, StreamingUpload

UNKNOWN_PARTITION = "_unknown"
MAX_PARTITIONS = 500
MAX_VALUE_LENGTH = 100
PARTITION_UPLOADS = 8
VALUES_LISTED = 20
FILE_BUFFER = 64 * 1024
CONTENT_TYPE = "application/x-ndjson"


@lru_cache(maxsize=4096)
def _day(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return UNKNOWN_PARTITION
    return f"year={day.year:04d}/month={day.month:02d}/day={day.day:02d}"


_OFFSET = re.compile(r"[+-]\d{2}:?\d{2}$")


def timestamp_partition(created_at: Any) -> str:
    """``year=YYYY/month=MM/day=DD`` of an ISO timestamp in UTC, or ``_unknown``.

    >>> timestamp_partition("2026-11-25T23:30:00-02:00")
    'year=2026/month=11/day=26'
    """
    if not isinstance(created_at, str) or len(created_at) < 10:
        return UNKNOWN_PARTITION
    if not _OFFSET.search(created_at[10:]):  # "Z" or no offset: the date as written
        return _day(created_at[:10])
    try:
        moment = datetime.fromisoformat(created_at).astimezone(UTC)
    except ValueError:
        return UNKNOWN_PARTITION
    return _day(moment.date().isoformat())


def safe_partition_value(value: Any) -> str:
    """A category value as a key segment.

    The rule: booleans are ``true``/``false``, numbers their JSON text; accents are removed
    (``Café`` -> ``cafe``), letters lowercased, every run of characters other than
    ``[a-z0-9._-]`` becomes ``-``, leading and trailing ``-._`` are trimmed, and the result is cut
    to 100 characters. A value with nothing left (``"诗"``) becomes ``_h-`` and 12 hex digits of
    its SHA-256, so distinct values stay apart. Values that give the same segment share a
    partition; the manifest lists the raw values each partition holds. None, empty, objects and
    lists are ``_unknown``.

    >>> safe_partition_value("Love Poems / Sonnets")
    'love-poems-sonnets'
    """
    if value is None or isinstance(value, dict | list):
        return UNKNOWN_PARTITION
    text = json.dumps(value) if isinstance(value, bool | int | float) else str(value)
    if not text.strip():
        return UNKNOWN_PARTITION
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9._-]+", "-", plain).strip("-._")[:MAX_VALUE_LENGTH].strip("-._")
    return slug or f"_h-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def field_value(record: Any, path: str) -> Any:
    """The value at a dotted path (``fields.category``), or None when any step is missing."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _leaf_schema(path: str) -> pa.Schema:
    parts = path.split(".")
    kind: pa.DataType = pa.string()
    for part in reversed(parts[1:]):
        kind = pa.struct([pa.field(part, kind)])
    return pa.schema([pa.field(parts[0], kind)])


def path_values(lines: list[bytes], path: str) -> list[Any]:
    """The value at ``path`` of each line: by Arrow when it is text, by ``json`` otherwise."""
    options = pj.ParseOptions(
        explicit_schema=_leaf_schema(path), unexpected_field_behavior="ignore"
    )
    try:
        table = pj.read_json(io.BytesIO(b"\n".join(lines)), parse_options=options)
        if table.num_rows == len(lines):
            column: Any = table.column(0)
            for _ in range(path.count(".")):
                column = pc.struct_field(column, [0])
            return list(column.to_pylist())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    return [field_value(json.loads(line), path) for line in lines]


class _PartitionFiles:
    """One local file per partition, with its count and the raw values it holds."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="plot-palette-partitions-")
        self.files: dict[str, IO[bytes]] = {}
        self.counts: dict[str, int] = {}
        self.values: dict[str, set[str]] = {}

    def add(self, partition: str, line: bytes, value: Any) -> None:
        if partition not in self.files:
            if len(self.files) >= MAX_PARTITIONS:
                raise ExportError(
                    f"more than {MAX_PARTITIONS} partitions; partition by a coarser field"
                )
            path = Path(self._directory.name) / f"{len(self.files):05d}.jsonl"
            self.files[partition] = path.open("w+b", buffering=FILE_BUFFER)
            self.counts[partition] = 0
            self.values[partition] = set()
        self.files[partition].write(line + b"\n")
        self.counts[partition] += 1
        held = self.values[partition]
        if value is not None and len(held) < VALUES_LISTED:
            held.add(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
        self._directory.cleanup()


def export_partitions(
    kind: str, batches: Batches, prefix: str, category_field: str | None = None
) -> ExportResult:
    """Write one JSONL file per partition under ``prefix`` (``…/partitioned/{kind}/``)."""
    if kind == "timestamp":
        path = "created_at"
        partition_of: Callable[[Any], str] = timestamp_partition
    elif category_field:
        path, partition_of = category_field, safe_partition_value
    else:
        return ExportResult(
            f"partition-{kind}", prefix, schema_notes=["skipped: the job names no category_field"]
        )
    seen = SeenIds()
    routed = _PartitionFiles()
    try:
        for body in batches.bodies():
            lines = data_lines(body)
            if not lines:
                continue
            fresh = seen.fresh(line_ids(lines))
            for line, value, keep in zip(lines, path_values(lines, path), fresh, strict=True):
                if keep:
                    routed.add(partition_of(value), line, value if kind == "category" else None)
        files = _upload_all(batches, prefix, routed)
    finally:
        routed.close()
    _remove_stale(batches, prefix, {item.key for item in files})
    return ExportResult(f"partition-{kind}", prefix, files, duplicates=seen.duplicates)


def _upload_all(batches: Batches, prefix: str, routed: _PartitionFiles) -> list[ExportFile]:
    """Every partition's file to S3, ``PARTITION_UPLOADS`` at a time."""

    def upload(partition: str) -> ExportFile:
        key = f"{prefix}{partition}/records.jsonl"
        handle = routed.files[partition]
        handle.flush()
        handle.seek(0)
        with StreamingUpload(batches.s3, batches.bucket, key, CONTENT_TYPE) as stream:
            while chunk := handle.read(PART_SIZE):
                stream.write(chunk)
        values = sorted(routed.values[partition]) or None
        return ExportFile(key, routed.counts[partition], stream.size, stream.sha256, values)

    with ThreadPoolExecutor(max_workers=PARTITION_UPLOADS, thread_name_prefix="partition") as pool:
        return list(pool.map(upload, sorted(routed.files)))


def _remove_stale(batches: Batches, prefix: str, keep: set[str]) -> None:
    """Delete the files a previous run wrote under ``prefix`` that this run did not."""
    s3, bucket = batches.s3, batches.bucket
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if item["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):
        chunk = stale[start : start + 1000]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in chunk]})
