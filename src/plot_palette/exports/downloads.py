"""Presigned GET URLs for a job's exports, for the API and the CLI to hand out."""

from __future__ import annotations

from typing import Any

from plot_palette.records import exports_prefix

PRESIGNED_SECONDS = 900  # 15 minutes: long enough to start a download, short enough to leak


def presign_downloads(
    s3_client: Any, bucket: str, job_id: str, expires: int = PRESIGNED_SECONDS
) -> dict[str, str]:
    """``{path under exports/: URL}`` for every export file (and manifest) that exists.

    >>> presign_downloads(s3, "bucket", "j")  # doctest: +SKIP
    {'dataset.jsonl': 'https://…', 'manifests/jsonl.json': 'https://…'}
    """
    prefix = exports_prefix(job_id)
    urls: dict[str, str] = {}
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            urls[item["Key"][len(prefix) :]] = s3_client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": item["Key"]}, ExpiresIn=expires
            )
    return urls
