"""The job checkpoint in S3 (ADR-011), written only with conditional writes.

``If-None-Match: *`` creates it, ``If-Match: <etag>`` advances it. A writer that loses the race
never overwrites: it gets a ``ConflictError`` and decides (re-read and stop, as a zombie should).
Records resume at a record boundary, so ``resume_state.template_step`` is always the template's
first step.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError
from plot_palette.jobs.store import utc_now

_PRECONDITION_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict"}


def checkpoint_key(job_id: str) -> str:
    """S3 key of a job's checkpoint."""
    return f"jobs/{job_id}/checkpoint.json"


@dataclass
class Checkpoint:
    """Progress a relaunched worker resumes from: everything in committed batches, nothing else."""

    job_id: str
    records_generated: int = 0
    current_batch: int = 0
    tokens_used: int = 0
    cost_accumulated: float = 0.0
    last_updated: str = field(default_factory=utc_now)
    resume_state: dict[str, Any] = field(
        default_factory=lambda: {"seed_data_index": 0, "template_step": None}
    )

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2).encode()

    @classmethod
    def from_json(cls, body: bytes) -> Checkpoint:
        data = json.loads(body)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


class CheckpointStore:
    """Reads and conditionally writes one job's checkpoint."""

    def __init__(self, s3_client: Any, bucket: str, job_id: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._key = checkpoint_key(job_id)
        self.job_id = job_id
        self.requests = 0

    def load(self) -> tuple[Checkpoint | None, str | None]:
        """The checkpoint and its ETag, or ``(None, None)`` when the job has not checkpointed."""
        self.requests += 1
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=self._key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None, None
            raise
        return Checkpoint.from_json(response["Body"].read()), str(response["ETag"])

    def save(self, checkpoint: Checkpoint, etag: str | None) -> str:
        """Write the checkpoint if nobody else has since ``etag``; return the new ETag."""
        checkpoint.last_updated = utc_now()
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        self.requests += 1
        try:
            response = self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key,
                Body=checkpoint.to_json(),
                ContentType="application/json",
                **condition,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in _PRECONDITION_CODES:
                raise ConflictError(
                    f"checkpoint of job {self.job_id} was advanced by another writer"
                ) from None
            raise
        return str(response["ETag"])
