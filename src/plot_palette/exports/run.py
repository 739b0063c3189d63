"""The export Lambda's entry point: one format of one job per invocation, with its manifest.

Formats: ``jsonl``, ``parquet``, ``csv``, ``partition-timestamp`` and ``partition-category``.
Only batches the checkpoint counts are read (an orphan a dying worker left is not exported),
in batch order, each record once. Every data file is published atomically (a multipart upload
appears whole or not at all); the manifest at ``exports/manifests/<format>.json`` is written
last and lists exactly the current files, so a reader who follows the manifest never sees a
half-replaced export.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ExportError
from plot_palette.exports.batches import committed_batch_keys
from plot_palette.exports.formats import (
    ExportResult,
    Source,
    export_csv,
    export_jsonl,
    export_parquet,
    export_partitions,
)
from plot_palette.records import exports_prefix

FORMATS = ("jsonl", "parquet", "csv", "partition-timestamp", "partition-category")
PRESIGNED_SECONDS = 900


def _read_json(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    loaded: dict[str, Any] = json.loads(body)
    return loaded


def manifest_key(job_id: str, fmt: str) -> str:
    """Where an export's manifest lives."""
    return f"{exports_prefix(job_id)}manifests/{fmt}.json"


def run_export(event: dict[str, Any], *, s3_client: Any, bucket: str) -> dict[str, Any]:
    """Write the export ``event["format"]`` of job ``event["job_id"]``; return a summary."""
    job_id = event.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise ExportError("an export needs a job_id")
    fmt = event.get("format")
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    config = _read_json(s3_client, bucket, f"jobs/{job_id}/config.json") or {}
    checkpoint = _read_json(s3_client, bucket, f"jobs/{job_id}/checkpoint.json")
    committed = None if checkpoint is None else int(checkpoint["current_batch"])
    keys = committed_batch_keys(s3_client, bucket, job_id, committed)

    source = Source(s3_client, bucket, keys)
    if fmt == "jsonl":
        result = export_jsonl(source, job_id)
    elif fmt == "parquet":
        result = export_parquet(source, job_id)
    elif fmt == "csv":
        result = export_csv(source, job_id)
    else:
        kind = fmt.split("-", 1)[1]
        field = event.get("category_field") or config.get("category_field")
        result = export_partitions(kind, source, job_id, field)
    manifest = _write_manifest(s3_client, bucket, job_id, result, config)
    first = result.files[0] if len(result.files) == 1 else None
    return {
        "format": result.format,
        "key": result.key,
        "records": result.records,
        "files": len(result.files),
        "bytes": sum(item.bytes for item in result.files),
        "sha256": first.sha256 if first else None,
        "manifest_key": manifest,
    }


def _write_manifest(
    s3: Any, bucket: str, job_id: str, result: ExportResult, config: dict[str, Any]
) -> str:
    template = config.get("template", {})
    manifest = {
        "job_id": job_id,
        "format": result.format,
        "template_id": template.get("id"),
        "template_version": template.get("version"),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "records": result.records,
        "files": [item.__dict__ for item in result.files],
        "schema": result.schema,
        "schema_notes": result.schema_notes,
    }
    key = manifest_key(job_id, result.format)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(manifest, indent=2).encode(),
        ContentType="application/json",
    )
    return key


def presign_downloads(
    s3: Any, bucket: str, job_id: str, expires: int = PRESIGNED_SECONDS
) -> dict[str, str]:
    """Presigned GET URLs (15 minutes) for each export file of the job that exists."""
    urls: dict[str, str] = {}
    prefix = exports_prefix(job_id)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            urls[item["Key"][len(prefix) :]] = s3.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": item["Key"]}, ExpiresIn=expires
            )
    return urls
