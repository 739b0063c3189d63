"""Checkpoints and batches: conditional writes never let a worker overwrite another's progress."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from plot_palette.errors import ConflictError
from plot_palette.records import batch_key
from plot_palette.worker.batches import BatchWriter, encode_batch
from plot_palette.worker.checkpoint import Checkpoint, CheckpointStore

BUCKET = "pp-test-bucket"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_first_checkpoint_is_created_once(s3: Any) -> None:
    store = CheckpointStore(s3, BUCKET, "job-1")
    assert store.load() == (None, None)
    etag = store.save(Checkpoint(job_id="job-1"), None)
    assert etag
    with pytest.raises(ConflictError):
        CheckpointStore(s3, BUCKET, "job-1").save(Checkpoint(job_id="job-1"), None)


def test_a_stale_writer_cannot_overwrite_a_newer_checkpoint(s3: Any) -> None:
    first = CheckpointStore(s3, BUCKET, "job-1")
    etag = first.save(Checkpoint(job_id="job-1"), None)
    ahead = Checkpoint(job_id="job-1", records_generated=50, current_batch=1)
    new_etag = first.save(ahead, etag)

    stale = Checkpoint(job_id="job-1", records_generated=10, current_batch=1)
    with pytest.raises(ConflictError, match="another writer"):
        CheckpointStore(s3, BUCKET, "job-1").save(stale, etag)

    loaded, loaded_etag = first.load()
    assert loaded is not None and loaded.records_generated == 50
    assert loaded_etag == new_etag


def test_checkpoint_json_has_exactly_the_documented_fields(s3: Any) -> None:
    store = CheckpointStore(s3, BUCKET, "job-1")
    store.save(Checkpoint(job_id="job-1", tokens_used=12, cost_accumulated=0.5), None)
    store.claim("worker-a")
    body = json.loads(s3.get_object(Bucket=BUCKET, Key="jobs/job-1/checkpoint.json")["Body"].read())
    # the documented fields (ADR-011), plus the owner that fences zombies out (checkpoint.py)
    # and the records given up on and the wedges (worker/record_failures.py, watchdog.py)
    assert set(body) == {
        "records_failed",
        "failures",
        "wedged",
        "job_id",
        "records_generated",
        "current_batch",
        "tokens_used",
        "cost_accumulated",
        "last_updated",
        "resume_state",
        "owner",
    }
    assert set(body["resume_state"]) == {"seed_data_index", "template_step"}
    assert body["owner"] == "worker-a" and body["tokens_used"] == 12


def test_batches_are_created_and_an_orphan_is_replaced(s3: Any) -> None:
    checkpoints = CheckpointStore(s3, BUCKET, "job-1")
    checkpoints.claim("worker-a")
    writer = BatchWriter(s3, BUCKET, "job-1", checkpoints=checkpoints, owner="worker-a")
    writer.write(0, [{"id": "a"}], committed_batches=0)
    assert (
        s3.get_object(Bucket=BUCKET, Key=batch_key("job-1", 0))["Body"].read() == b'{"id": "a"}\n'
    )
    # A worker died after writing batch 1 and before checkpointing it: the batch is an orphan.
    s3.put_object(Bucket=BUCKET, Key=batch_key("job-1", 1), Body=b'{"id": "partial"}\n')
    writer.write(1, [{"id": "b"}, {"id": "c"}], committed_batches=1)
    assert s3.get_object(Bucket=BUCKET, Key=batch_key("job-1", 1))["Body"].read() == encode_batch(
        [{"id": "b"}, {"id": "c"}]
    )


def test_a_committed_batch_is_never_rewritten(s3: Any) -> None:
    writer = BatchWriter(s3, BUCKET, "job-1")
    with pytest.raises(ConflictError, match="already committed"):
        writer.write(0, [{"id": "x"}], committed_batches=1)


def test_unicode_is_kept_as_is() -> None:
    assert encode_batch([{"t": "café — 诗"}]) == '{"t": "café — 诗"}\n'.encode()
