"""Writing numbered output batches without ever overwriting a committed one.

A batch is created with ``If-None-Match: *``. If the key exists, the batch is either committed
(the checkpoint counts it: another worker is ahead, so this one is a zombie and must stop) or an
orphan left by a worker that died between writing it and checkpointing; an orphan is replaced,
conditionally on its own ETag, since the checkpoint never counted it.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError
from plot_palette.records import batch_key

_PRECONDITION_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict"}


def encode_batch(records: list[dict[str, Any]]) -> bytes:
    """JSON Lines, one record a line, UTF-8 kept as is."""
    return b"".join(json.dumps(record, ensure_ascii=False).encode() + b"\n" for record in records)


class BatchWriter:
    """Puts a job's batches under ``jobs/{id}/outputs/batch-NNNNN.jsonl``."""

    def __init__(self, s3_client: Any, bucket: str, job_id: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._job_id = job_id
        self.requests = 0

    def write(self, number: int, records: list[dict[str, Any]], *, committed_batches: int) -> None:
        """Write batch ``number``; ``committed_batches`` is how many the checkpoint counts."""
        if number < committed_batches:
            raise ConflictError(f"batch {number} is already committed")
        key = batch_key(self._job_id, number)
        body = encode_batch(records)
        try:
            self._put(key, body, IfNoneMatch="*")
        except ConflictError:
            self.requests += 1
            orphan = self._s3.head_object(Bucket=self._bucket, Key=key)
            self._put(key, body, IfMatch=orphan["ETag"])

    def _put(self, key: str, body: bytes, **condition: str) -> None:
        self.requests += 1
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType="application/x-ndjson",
                **condition,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in _PRECONDITION_CODES:
                raise ConflictError(f"{key} changed under this writer") from None
            raise
