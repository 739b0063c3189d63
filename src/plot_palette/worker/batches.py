"""Writing numbered output batches without ever overwriting a committed one.

A batch is created with ``If-None-Match: *``. When the key exists, the batch there is either
committed (the checkpoint counts it), or another worker's that is not committed yet, or an
orphan a worker left when it died between writing the batch and checkpointing it. Only an orphan
may be replaced, and only by the worker that owns the job, so the writer checks, in this order:

1. ``HEAD`` the existing batch for its ETag;
2. re-read the checkpoint: this worker must still own it (``CheckpointStore.claim``) and the
   batch must lie beyond ``current_batch``, else it stops with a ``ConflictError`` (superseded);
3. replace the batch with ``If-Match`` on the ETag from step 1; when it changed meanwhile, go
   back to step 1.

Why this order is safe against a zombie (an older worker still running beside its relaunch):
a worker writes batches only after its claim, so when step 1 saw a newer worker's batch, that
worker had claimed before step 2, and step 2 fails; when step 1 saw an older batch that a newer
worker replaces after it, step 3's ``If-Match`` fails. Either way no committed batch, and no batch
of a newer worker, is ever overwritten.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError
from plot_palette.records import batch_key

if TYPE_CHECKING:
    from plot_palette.worker.checkpoint import CheckpointStore

_PRECONDITION_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict"}
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
REPLACE_ATTEMPTS = 5


def encode_batch(records: list[dict[str, Any]]) -> bytes:
    """JSON Lines, one record a line, UTF-8 kept as is."""
    return b"".join(json.dumps(record, ensure_ascii=False).encode() + b"\n" for record in records)


class BatchWriter:
    """Puts a job's batches under ``jobs/{id}/outputs/batch-NNNNN.jsonl``.

    ``checkpoints`` and ``owner`` are the fence: without them an existing batch is never
    replaced (any existing key is a ``ConflictError``).
    """

    def __init__(
        self,
        s3_client: Any,
        bucket: str,
        job_id: str,
        *,
        checkpoints: CheckpointStore | None = None,
        owner: str | None = None,
    ) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._job_id = job_id
        self._checkpoints = checkpoints
        self._owner = owner
        self.requests = 0

    def write(self, number: int, records: list[dict[str, Any]], *, committed_batches: int) -> None:
        """Write batch ``number``; ``committed_batches`` is how many the checkpoint counts."""
        if number < committed_batches:
            raise ConflictError(f"batch {number} is already committed")
        key = batch_key(self._job_id, number)
        body = encode_batch(records)
        for _ in range(REPLACE_ATTEMPTS):
            try:
                self._put(key, body, IfNoneMatch="*")
                return
            except ConflictError:
                pass
            etag = self._head(key)
            if etag is None:  # gone since: create it again
                continue
            self._check_owner(number)
            try:
                self._put(key, body, IfMatch=etag)
                return
            except ConflictError:
                continue  # replaced since our HEAD: look again
        raise ConflictError(f"{key} kept changing under this writer")

    def _head(self, key: str) -> str | None:
        self.requests += 1
        try:
            return str(self._s3.head_object(Bucket=self._bucket, Key=key)["ETag"])
        except ClientError as error:
            if error.response["Error"]["Code"] in _MISSING_CODES:
                return None
            raise

    def _check_owner(self, number: int) -> None:
        """Raise ``ConflictError`` unless this worker owns the job and batch ``number`` is not
        committed (step 2 above)."""
        if self._checkpoints is None or self._owner is None:
            raise ConflictError(f"batch {number} exists and this writer may not replace it")
        checkpoint = self._checkpoints.owned_by(self._owner)  # counted by the store
        if checkpoint is None:
            raise ConflictError(f"another worker owns job {self._job_id}: batch {number} is kept")
        if number < checkpoint.current_batch:
            raise ConflictError(f"batch {number} is already committed")

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
