"""The sample datasets every user may start from (``sample-datasets/{name}/…`` in the bucket)."""

from __future__ import annotations

from typing import Any

from plot_palette.errors import NotFoundError

SAMPLES_PREFIX = "sample-datasets/"


def list_sample_datasets(s3_client: Any, bucket: str) -> list[dict[str, Any]]:
    """``[{name, key, size_bytes}]`` of every sample file, sorted by key."""
    found: list[dict[str, Any]] = []
    paginator = s3_client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=SAMPLES_PREFIX):
        for item in page.get("Contents", []):
            relative = item["Key"][len(SAMPLES_PREFIX) :]
            name = relative.split("/", 1)[0]
            found.append({"name": name, "key": item["Key"], "size_bytes": item["Size"]})
    return sorted(found, key=lambda entry: entry["key"])


def sample_dataset_key(s3_client: Any, bucket: str, name: str) -> str:
    """The key of the sample dataset called ``name`` (its first file)."""
    for entry in list_sample_datasets(s3_client, bucket):
        if entry["name"] == name:
            return str(entry["key"])
    raise NotFoundError(f"sample dataset {name!r} not found")
