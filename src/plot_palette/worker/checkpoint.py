"""The job checkpoint in S3 (ADR-011), written only with conditional writes, owned by one worker.

``If-None-Match: *`` creates it, ``If-Match: <etag>`` advances it. A writer that loses the race
never overwrites: it gets a ``ConflictError`` and decides (re-read and stop, as a zombie should).
Records resume at a record boundary, so ``resume_state.template_step`` is always the template's
first step.

Ownership fences zombies. Every worker *claims* the checkpoint when it starts: it writes it back,
conditionally, with its own ``owner`` id. From then on an older worker (one presumed dead and
relaunched while still alive) can advance nothing: its next save fails its ``If-Match``, and the
batch writer, which re-reads the checkpoint before it replaces an existing batch, sees that it no
longer owns the job (``BatchWriter``).

A save whose response was lost (the SDK retried, and the retry failed its condition because the
first attempt had applied) is recognised by re-reading: the checkpoint holds this owner's own
write, so it is adopted rather than taken for another writer's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError
from plot_palette.jobs.store import utc_now

_PRECONDITION_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict"}
CLAIM_ATTEMPTS = 10


def checkpoint_key(job_id: str) -> str:
    """S3 key of a job's checkpoint."""
    return f"jobs/{job_id}/checkpoint.json"


@dataclass
class Checkpoint:
    """Progress a relaunched worker resumes from: everything in committed batches, nothing else.

    ``owner`` is the id of the worker that claimed the checkpoint last (None before any claim).
    """

    job_id: str
    records_generated: int = 0
    current_batch: int = 0
    tokens_used: int = 0
    cost_accumulated: float = 0.0
    last_updated: str = field(default_factory=utc_now)
    resume_state: dict[str, Any] = field(
        default_factory=lambda: {"seed_data_index": 0, "template_step": None}
    )
    owner: str | None = None
    # Records given up on (their reasons are in ``failures``); they count towards where the
    # worker resumes, never towards ``records_generated``.
    records_failed: int = 0
    failures: dict[str, Any] = field(default_factory=dict)
    # Record index -> how many workers were stuck on it (``worker.watchdog``): a record that
    # wedged two workers is poison and is skipped.
    wedged: dict[str, int] = field(default_factory=dict)

    @property
    def next_record(self) -> int:
        """The first record index not yet settled (written or given up on)."""
        return self.records_generated + self.records_failed

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2).encode()

    @classmethod
    def from_json(cls, body: bytes) -> Checkpoint:
        data = json.loads(body)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})

    def same_write(self, other: Checkpoint) -> bool:
        """True when ``other`` is this owner's write of the same progress."""
        return (
            self.owner is not None
            and other.owner == self.owner
            and other.current_batch == self.current_batch
            and other.records_generated == self.records_generated
            and other.records_failed == self.records_failed
            and other.wedged == self.wedged
        )


class CheckpointStore:
    """Reads and conditionally writes one job's checkpoint."""

    def __init__(self, s3_client: Any, bucket: str, job_id: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._key = checkpoint_key(job_id)
        self.job_id = job_id
        self.requests = 0
        # Whether the last claim took the job over from an earlier worker (a relaunch).
        self.took_over = False

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

    def claim(self, owner: str) -> tuple[Checkpoint, str]:
        """Make ``owner`` the only worker that can advance the job; return where it resumes.

        Read, set the owner, write back conditionally; when another writer moved the checkpoint
        between the read and the write, read again. The last worker to claim wins: every older
        one is superseded at its next write.
        """
        for _ in range(CLAIM_ATTEMPTS):
            checkpoint, etag = self.load()
            if checkpoint is None:
                checkpoint = Checkpoint(job_id=self.job_id)
            self.took_over = checkpoint.owner not in (None, owner)
            checkpoint.owner = owner
            try:
                return checkpoint, self.save(checkpoint, etag)
            except ConflictError:
                continue
        raise ConflictError(f"checkpoint of job {self.job_id} kept changing while claimed")

    def owned_by(self, owner: str) -> Checkpoint | None:
        """The checkpoint as stored now when ``owner`` still owns it, else None."""
        checkpoint, _ = self.load()
        if checkpoint is None or checkpoint.owner != owner:
            return None
        return checkpoint

    def mark_wedged(self, owner: str, indexes: list[int]) -> bool:
        """Count one more wedged worker against each record in ``indexes``, if ``owner`` still
        owns the job; False when it does not (a relaunch took over: its word counts, not ours).

        Called from the watchdog thread while the loop may be stuck mid-batch: the write is
        conditional like every other, so it never undoes a commit that got in between.
        """
        for _ in range(CLAIM_ATTEMPTS):
            checkpoint, etag = self.load()
            if checkpoint is None or checkpoint.owner != owner:
                return False
            for index in indexes:
                if index >= checkpoint.next_record:
                    checkpoint.wedged[str(index)] = checkpoint.wedged.get(str(index), 0) + 1
            try:
                self.save(checkpoint, etag)
            except ConflictError:
                continue
            return True
        return False

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
            if error.response["Error"]["Code"] not in _PRECONDITION_CODES:
                raise
            stored, stored_etag = self.load()
            if stored is not None and stored_etag and checkpoint.same_write(stored):
                return stored_etag  # our own write, whose response was lost
            raise ConflictError(
                f"checkpoint of job {self.job_id} was advanced by another writer"
            ) from None
        return str(response["ETag"])
