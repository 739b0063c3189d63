"""The JSONL export on moto: exact round trip, committed batches only, atomic, empty jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from plot_palette.errors import ExportError
from plot_palette.exports import presign_downloads, run_export
from plot_palette.exports import upload as upload_module
from plot_palette.records import batch_key
from plot_palette.worker.batches import encode_batch

BUCKET = "pp-exports"
TRICKY = [
    {"id": "1", "fields": {"text": "café — 诗 🌊", "quote": 'she said "hi", then left'}},
    {"id": "2", "fields": {"text": "line one\nline two\r\nthree", "empty": "", "none": None}},
    {"id": "3", "fields": {"nested": {"a": [1, {"b": "c"}], "d": {"e": 1.5}}, "comma": "a,b"}},
]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put_batches(
    s3: Any, job_id: str, batches: list[list[dict[str, Any]]], committed: int | None = None
) -> None:
    for number, records in enumerate(batches):
        s3.put_object(Bucket=BUCKET, Key=batch_key(job_id, number), Body=encode_batch(records))
    count = len(batches) if committed is None else committed
    checkpoint = {"job_id": job_id, "current_batch": count, "records_generated": 0}
    s3.put_object(Bucket=BUCKET, Key=f"jobs/{job_id}/checkpoint.json", Body=json.dumps(checkpoint))


def exported(s3: Any, job_id: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=f"jobs/{job_id}/exports/dataset.jsonl")["Body"].read()
    return [json.loads(line) for line in body.decode().splitlines()]


def test_records_round_trip_exactly(s3: Any) -> None:
    put_batches(s3, "j", [TRICKY[:2], TRICKY[2:]])
    summary = run_export({"job_id": "j", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    assert exported(s3, "j") == TRICKY
    assert summary["records"] == 3 and summary["key"] == "jobs/j/exports/dataset.jsonl"
    assert len(summary["sha256"]) == 64


def test_only_committed_batches_are_exported_and_duplicates_once(s3: Any) -> None:
    put_batches(
        s3, "j", [[TRICKY[0], TRICKY[1]], [TRICKY[1], TRICKY[2]], [{"id": "orphan"}]], committed=2
    )
    run_export({"job_id": "j", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    assert [record["id"] for record in exported(s3, "j")] == ["1", "2", "3"]


def test_an_empty_job_yields_a_valid_empty_file(s3: Any) -> None:
    summary = run_export({"job_id": "empty", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    assert summary["records"] == 0
    assert exported(s3, "empty") == []


def test_large_exports_use_multipart_upload(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_module, "PART_SIZE", 5 * 1024 * 1024)
    records = [{"id": str(n), "fields": {"text": "x" * 1000}} for n in range(12_000)]
    put_batches(s3, "big", [records[:6000], records[6000:]])
    summary = run_export({"job_id": "big", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    assert summary["records"] == 12_000
    head = s3.head_object(Bucket=BUCKET, Key="jobs/big/exports/dataset.jsonl")
    assert int(head["ETag"].strip('"').rsplit("-", 1)[1]) >= 2  # a multipart object's ETag
    assert len(exported(s3, "big")) == 12_000


def test_bad_requests_are_clear(s3: Any) -> None:
    with pytest.raises(ExportError, match="job_id"):
        run_export({"format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    with pytest.raises(ExportError, match="unknown export format 'xml'"):
        run_export({"job_id": "j", "format": "xml"}, s3_client=s3, bucket=BUCKET)


def test_presigned_download_urls_expire_in_fifteen_minutes(s3: Any) -> None:
    put_batches(s3, "j", [TRICKY])
    run_export({"job_id": "j", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    signer = boto3.client("s3", region_name="us-east-1", config=Config(signature_version="s3v4"))
    urls = presign_downloads(signer, BUCKET, "j")
    assert sorted(urls) == ["dataset.jsonl", "manifests/jsonl.json"]
    assert "X-Amz-Expires=900" in urls["dataset.jsonl"]


def test_ids_are_read_from_the_workers_line_shape_or_parsed() -> None:
    from plot_palette.exports.formats import _ids

    worker_lines = b'{"id": "' + b"a" * 32 + b'", "x": 1}\n{"id": "' + b"b" * 32 + b'", "x": 2}\n'
    assert _ids(worker_lines) == ["a" * 32, "b" * 32]
    assert _ids(b'{"x": 1, "id": "short"}\n{"id": null}\n') == ["short", None]
