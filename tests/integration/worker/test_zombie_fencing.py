"""A zombie can never overwrite a committed batch or a newer worker's batch (issue #21, data loss).

Each interleaving of a zombie (an older worker still running beside its relaunch) and the worker
that owns the job is played step by step on moto, against ``BatchWriter`` and ``CheckpointStore``
directly; responses lost on the way back (the SDK retries a write that applied) are injected at
the botocore boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from plot_palette.errors import ConflictError
from plot_palette.local.faults import Fault, FaultKind, injected
from plot_palette.records import batch_key
from plot_palette.worker.batches import BatchWriter, encode_batch
from plot_palette.worker.checkpoint import Checkpoint, CheckpointStore

BUCKET = "pp-fencing"
JOB = "job-z"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


class Hooked:
    """An S3 client that runs a hook just before the first call that ``when`` accepts."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._hooks: list[tuple[str, Callable[[dict[str, Any]], bool], Callable[[], None]]] = []

    def before(
        self, operation: str, when: Callable[[dict[str, Any]], bool], hook: Callable[[], None]
    ) -> None:
        self._hooks.append((operation, when, hook))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            for hook in list(self._hooks):
                if hook[0] == name and hook[1](kwargs):
                    self._hooks.remove(hook)
                    hook[2]()
            return method(**kwargs)

        return call


class Worker:
    """One worker's view of the job: its checkpoint, ETag and fenced batch writer."""

    def __init__(self, s3: Any, owner: str) -> None:
        self.store = CheckpointStore(s3, BUCKET, JOB)
        self.checkpoint, self.etag = self.store.claim(owner)
        self.writer = BatchWriter(s3, BUCKET, JOB, checkpoints=self.store, owner=owner)

    def write(self, records: list[dict[str, Any]]) -> None:
        number = self.checkpoint.current_batch
        self.writer.write(number, records, committed_batches=number)

    def commit(self, records: list[dict[str, Any]]) -> None:
        """Write the next batch and advance the checkpoint over it."""
        self.write(records)
        self.checkpoint.current_batch += 1
        self.checkpoint.records_generated += len(records)
        self.etag = self.store.save(self.checkpoint, self.etag)


def records(start: int, end: int) -> list[dict[str, Any]]:
    return [{"id": f"r{index:04d}"} for index in range(start, end)]


def stored(s3: Any, number: int) -> bytes:
    return bytes(s3.get_object(Bucket=BUCKET, Key=batch_key(JOB, number))["Body"].read())


def test_a_zombie_cannot_replace_a_batch_the_new_worker_committed(s3: Any) -> None:
    # GIVEN a worker that committed batch 0, then was presumed dead and relaunched
    zombie = Worker(s3, "old")
    zombie.commit(records(0, 10))
    relaunch = Worker(s3, "new")
    assert relaunch.checkpoint.current_batch == 1
    # AND the relaunch committed batch 1 (25 records)
    relaunch.commit(records(10, 35))
    # WHEN the zombie, still seeing batch 1 as next, writes its (smaller) batch 1
    with pytest.raises(ConflictError, match="another worker owns"):
        zombie.write(records(10, 20))
    # THEN the committed batch is intact, and the zombie cannot checkpoint either
    assert stored(s3, 1) == encode_batch(records(10, 35))
    with pytest.raises(ConflictError):
        zombie.store.save(Checkpoint(job_id=JOB, current_batch=2, owner="old"), zombie.etag)
    final, _ = relaunch.store.load()
    assert final is not None and (final.records_generated, final.current_batch) == (35, 2)


def test_a_zombie_cannot_replace_a_batch_the_new_worker_has_not_checkpointed_yet(s3: Any) -> None:
    zombie = Worker(s3, "old")
    relaunch = Worker(s3, "new")
    relaunch.write(records(0, 25))  # written, its checkpoint not saved yet
    with pytest.raises(ConflictError):
        zombie.write(records(0, 10))
    assert stored(s3, 0) == encode_batch(records(0, 25))
    relaunch.checkpoint.current_batch, relaunch.checkpoint.records_generated = 1, 25
    relaunch.store.save(relaunch.checkpoint, relaunch.etag)


def test_the_owner_replaces_an_orphan_a_zombie_left(s3: Any) -> None:
    zombie = Worker(s3, "old")
    relaunch = Worker(s3, "new")
    # the zombie creates batch 0 (nothing there yet), then fails to checkpoint it
    zombie.write(records(0, 10))
    with pytest.raises(ConflictError):
        zombie.store.save(Checkpoint(job_id=JOB, current_batch=1, owner="old"), zombie.etag)
    # the owner's batch 0 replaces the orphan
    relaunch.commit(records(0, 25))
    assert stored(s3, 0) == encode_batch(records(0, 25))


def test_a_batch_replaced_between_the_zombies_check_and_its_write_is_kept(s3: Any) -> None:
    # GIVEN an orphan batch 0 from a worker that died, and a zombie that still owns the job
    s3.put_object(Bucket=BUCKET, Key=batch_key(JOB, 0), Body=b'{"id": "orphan"}\n')
    hooked = Hooked(s3)
    zombie = Worker(hooked, "old")
    relaunch: list[Worker] = []

    def relaunched_and_committed() -> None:
        worker = Worker(s3, "new")
        worker.commit(records(0, 25))
        relaunch.append(worker)

    # WHEN, after the zombie's ownership check passed and before its conditional replace, the
    # relaunch claims the job and commits batch 0
    hooked.before("put_object", lambda call: "IfMatch" in call, relaunched_and_committed)
    with pytest.raises(ConflictError, match="another worker owns"):
        zombie.write(records(0, 10))
    # THEN the zombie's replace failed on the orphan's ETag, and on looking again it stopped
    assert relaunch and stored(s3, 0) == encode_batch(records(0, 25))


def test_a_zombie_that_replaced_the_orphan_first_is_replaced_by_the_owner(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=batch_key(JOB, 0), Body=b'{"id": "orphan"}\n')
    zombie = Worker(s3, "old")
    zombie.write(records(0, 10))  # still the owner: replaces the orphan
    relaunch = Worker(s3, "new")
    relaunch.commit(records(0, 25))
    assert stored(s3, 0) == encode_batch(records(0, 25))
    with pytest.raises(ConflictError):
        zombie.store.save(Checkpoint(job_id=JOB, current_batch=1, owner="old"), zombie.etag)


def test_a_claim_reads_again_when_the_checkpoint_moves_under_it(s3: Any) -> None:
    first = Worker(s3, "first")
    hooked = Hooked(s3)
    hooked.before(
        "put_object",
        lambda call: str(call["Key"]).endswith("checkpoint.json"),
        lambda: first.commit(records(0, 5)),
    )
    checkpoint, etag = CheckpointStore(hooked, BUCKET, JOB).claim("second")
    assert (checkpoint.owner, checkpoint.current_batch, checkpoint.records_generated) == (
        "second",
        1,
        5,
    )
    with pytest.raises(ConflictError):
        first.commit(records(5, 10))  # batch 1 does not exist: created, then its save fails
    assert CheckpointStore(s3, BUCKET, JOB).load()[1] == etag


def test_a_writer_without_a_fence_never_replaces_an_existing_batch(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=batch_key(JOB, 0), Body=b'{"id": "kept"}\n')
    with pytest.raises(ConflictError):
        BatchWriter(s3, BUCKET, JOB).write(0, records(0, 3), committed_batches=0)
    assert stored(s3, 0) == b'{"id": "kept"}\n'


def lost(key_part: str, call: int = 1) -> Fault:
    return Fault("s3", "PutObject", FaultKind.LOSE_RESPONSE, call=call, match={"Key": key_part})


def test_a_checkpoint_save_whose_response_was_lost_is_recognised_as_its_own(s3: Any) -> None:
    worker = Worker(s3, "only")
    # the save applies, its response is lost, the SDK's retry fails its If-Match
    with injected(lost("checkpoint.json")) as plan:
        worker.commit(records(0, 10))
    assert plan.fired
    worker.commit(records(10, 20))  # the adopted ETag is the stored one
    final, _ = worker.store.load()
    assert final is not None and (final.current_batch, final.records_generated) == (2, 20)


def test_a_claim_whose_response_was_lost_still_owns_the_job(s3: Any) -> None:
    with injected(lost("checkpoint.json")) as plan:
        worker = Worker(s3, "only")
    assert plan.fired
    worker.commit(records(0, 10))
    assert stored(s3, 0) == encode_batch(records(0, 10))


def test_a_batch_write_whose_response_was_lost_is_written_once(s3: Any) -> None:
    worker = Worker(s3, "only")
    with injected(lost("/outputs/")) as plan:
        worker.commit(records(0, 10))
    assert plan.fired
    assert stored(s3, 0) == encode_batch(records(0, 10))
    final, _ = worker.store.load()
    assert final is not None and final.current_batch == 1
