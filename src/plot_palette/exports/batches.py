"""Reading a job's output batches one at a time, in order, each record once."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from plot_palette.records import outputs_prefix

LOGGER = logging.getLogger(__name__)


def batch_keys(s3: Any, bucket: str, job_id: str) -> list[str]:
    """Keys of the job's batches in batch order (zero-padded numbers sort as text)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=outputs_prefix(job_id)
    ):
        keys.extend(
            item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".jsonl")
        )
    return sorted(keys)


def committed_batch_keys(s3: Any, bucket: str, job_id: str, committed: int | None) -> list[str]:
    """Only the batches the checkpoint counts: an orphan batch a worker left is not exported."""
    keys = batch_keys(s3, bucket, job_id)
    return keys if committed is None else keys[:committed]


def batch_bodies(s3: Any, bucket: str, keys: list[str]) -> Iterator[bytes]:
    """The raw bytes of each batch, one batch in memory at a time."""
    for key in keys:
        yield bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def iter_records(s3: Any, bucket: str, keys: list[str]) -> Iterator[dict[str, Any]]:
    """Records of the batches, streamed line by line; a record id seen before is skipped."""
    seen: set[str] = set()
    duplicates = 0
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        for line in body.iter_lines():
            if not line.strip():
                continue
            record = json.loads(line)
            identity = record.get("id")
            if identity is not None:
                if identity in seen:
                    duplicates += 1
                    continue
                seen.add(identity)
            yield record
    if duplicates:
        LOGGER.warning("duplicate records skipped", extra={"duplicates": duplicates})
