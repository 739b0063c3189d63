"""The JSONL export on moto: committed batches only, each id once, multipart, atomic, downloads."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from plot_palette.errors import ExportError, PlotPaletteError
from plot_palette.exports import presign_downloads, run_export
from plot_palette.exports import upload as upload_module
from tests.integration.exports.conftest import BUCKET, TRICKY, keys_under, put_batches, read


def exported(s3: Any, job_id: str) -> list[dict[str, Any]]:
    body = read(s3, f"jobs/{job_id}/exports/dataset.jsonl")
    return [json.loads(line) for line in body.decode().splitlines()]


def test_only_committed_batches_are_exported_and_a_repeated_record_once(s3: Any) -> None:
    # GIVEN a batch that repeats a record and an orphan batch the checkpoint does not count
    orphan = {"id": "o" * 32}
    put_batches(s3, "j", [TRICKY[:2], TRICKY[1:], [orphan]], committed=2)
    # WHEN exported
    summary = run_export({"job_id": "j", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    # THEN each committed record appears once and the repeat is counted in the manifest
    assert exported(s3, "j") == TRICKY
    assert summary["duplicates"] == 1
    assert json.loads(read(s3, summary["manifest_key"]))["duplicates_skipped"] == 1


def test_a_job_without_checkpoint_exports_every_batch_and_skips_blank_lines(s3: Any) -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key="jobs/k/outputs/batch-00000.jsonl",
        Body=b'\n{"x": 1, "id": "one"}\n\n{"id": "two"}',
    )
    run_export({"job_id": "k", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    assert exported(s3, "k") == [{"x": 1, "id": "one"}, {"id": "two"}]


def test_large_exports_use_a_multipart_upload(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_module, "PART_SIZE", 5 * 1024 * 1024)
    records = [{"id": f"{n:032x}", "fields": {"text": "x" * 1000}} for n in range(12_000)]
    put_batches(s3, "big", [records[:6000], records[6000:]])
    summary = run_export({"job_id": "big", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    assert summary["records"] == 12_000
    head = s3.head_object(Bucket=BUCKET, Key="jobs/big/exports/dataset.jsonl")
    assert int(head["ETag"].strip('"').rsplit("-", 1)[1]) >= 2  # a multipart object's ETag
    assert exported(s3, "big") == records
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_a_failed_rerun_leaves_the_previous_export_whole(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a complete export
    monkeypatch.setattr(upload_module, "PART_SIZE", 5 * 1024 * 1024)
    records = [{"id": f"{n:032x}", "fields": {"text": "y" * 1000}} for n in range(12_000)]
    put_batches(s3, "r", [records[:6000], records[6000:]])
    run_export({"job_id": "r", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    before = read(s3, "jobs/r/exports/dataset.jsonl")
    # WHEN a re-run fails after its first part went out (a batch vanished)
    s3.delete_object(Bucket=BUCKET, Key="jobs/r/outputs/batch-00001.jsonl")
    s3.put_object(Bucket=BUCKET, Key="jobs/r/outputs/batch-00002.jsonl", Body=b"{")
    s3.put_object(
        Bucket=BUCKET, Key="jobs/r/checkpoint.json", Body=json.dumps({"current_batch": 2})
    )
    with pytest.raises(json.JSONDecodeError):
        run_export({"job_id": "r", "format": "jsonl"}, s3_client=s3, bucket=BUCKET)
    # THEN readers still see the old file, whole, and no upload is left open
    assert read(s3, "jobs/r/exports/dataset.jsonl") == before
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"format": "jsonl"}, "job_id"),
        ({"job_id": "../x", "format": "jsonl"}, "job_id"),
        ({"job_id": "j", "format": "xml"}, "unknown export format 'xml'"),
    ],
)
def test_bad_requests_are_clear_export_errors(s3: Any, event: dict[str, Any], message: str) -> None:
    with pytest.raises(ExportError, match=message) as raised:
        run_export(event, s3_client=s3, bucket=BUCKET)
    assert isinstance(raised.value, PlotPaletteError)


def test_presigned_download_urls_expire_in_fifteen_minutes(s3: Any) -> None:
    put_batches(s3, "j", [TRICKY])
    for fmt in ("jsonl", "parquet"):
        run_export({"job_id": "j", "format": fmt}, s3_client=s3, bucket=BUCKET)
    signer = boto3.client("s3", region_name="us-east-1", config=Config(signature_version="s3v4"))
    urls = presign_downloads(signer, BUCKET, "j")
    assert sorted(urls) == [
        "dataset.jsonl",
        "dataset.parquet",
        "manifests/jsonl.json",
        "manifests/parquet.json",
    ]
    assert all("X-Amz-Expires=900" in url for url in urls.values())
    assert keys_under(s3, "jobs/j/exports/") == [f"jobs/j/exports/{name}" for name in sorted(urls)]
    assert presign_downloads(signer, BUCKET, "nothing-yet") == {}
