"""The export Lambda's entry point: one format of one job per invocation."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ExportError
from plot_palette.exports.batches import committed_batch_keys, iter_records
from plot_palette.exports.upload import StreamingUpload
from plot_palette.records import exports_prefix

FORMATS = ("jsonl",)
PRESIGNED_SECONDS = 900


def _committed_batches(s3: Any, bucket: str, job_id: str) -> int | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=f"jobs/{job_id}/checkpoint.json")["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return int(json.loads(body)["current_batch"])


def export_jsonl(s3: Any, bucket: str, job_id: str) -> dict[str, Any]:
    """Stream the committed batches into ``exports/dataset.jsonl``."""
    key = f"{exports_prefix(job_id)}dataset.jsonl"
    keys = committed_batch_keys(s3, bucket, job_id, _committed_batches(s3, bucket, job_id))
    records = 0
    with StreamingUpload(s3, bucket, key, "application/x-ndjson") as upload:
        for record in iter_records(s3, bucket, keys):
            upload.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            records += 1
    return {
        "format": "jsonl",
        "key": key,
        "records": records,
        "bytes": upload.size,
        "sha256": upload.sha256.hexdigest(),
    }


def run_export(event: dict[str, Any], *, s3_client: Any, bucket: str) -> dict[str, Any]:
    """Write the export ``event["format"]`` of job ``event["job_id"]``; return a summary."""
    job_id = event.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise ExportError("an export needs a job_id")
    fmt = event.get("format")
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    return export_jsonl(s3_client, bucket, job_id)


def presign_downloads(
    s3: Any, bucket: str, job_id: str, expires: int = PRESIGNED_SECONDS
) -> dict[str, str]:
    """Presigned GET URLs (15 minutes) for each export of the job that exists."""
    urls: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=exports_prefix(job_id)
    ):
        for item in page.get("Contents", []):
            name = item["Key"][len(exports_prefix(job_id)) :]
            urls[name] = s3.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": item["Key"]}, ExpiresIn=expires
            )
    return urls
