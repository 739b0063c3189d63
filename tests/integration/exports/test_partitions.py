"""Partitioned JSONL sets: by day and by category, in parallel, safe keys, stale files removed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plot_palette.errors import ExportError
from plot_palette.exports import partitions as partitions_module
from plot_palette.exports import run_export
from tests.integration.exports.conftest import BUCKET, TRICKY, keys_under, put_batches, read

PREFIX = "jobs/j/exports/partitioned/"


def lines(s3: Any, key: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in read(s3, key).decode().splitlines()]


def test_timestamp_partitions_by_utc_day(s3: Any) -> None:
    odd = {"id": "d" * 32, "created_at": None}
    put_batches(s3, "j", [TRICKY, [odd]])
    summary = run_export(
        {"job_id": "j", "format": "partition-timestamp"}, s3_client=s3, bucket=BUCKET
    )
    prefix = f"{PREFIX}timestamp/"
    assert summary["key"] == prefix and summary["records"] == 4 and summary["files"] == 3
    assert lines(s3, f"{prefix}year=2026/month=11/day=24/records.jsonl") == TRICKY[:1]
    assert lines(s3, f"{prefix}year=2026/month=11/day=25/records.jsonl") == TRICKY[1:]
    assert lines(s3, f"{prefix}_unknown/records.jsonl") == [odd]
    manifest = json.loads(read(s3, summary["manifest_key"]))
    assert [item["records"] for item in manifest["files"]] == [1, 1, 2]
    assert manifest["template_version"] is None


def test_category_partitions_use_safe_keys_and_a_rerun_replaces_the_set(s3: Any) -> None:
    # GIVEN a previous run left a partition this run will not write
    put_batches(s3, "j", [TRICKY])
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}category/old/records.jsonl", Body=b"{}\n")
    # WHEN partitioned by fields.category
    event = {"job_id": "j", "format": "partition-category", "category_field": "fields.category"}
    summary = run_export(event | {"template_version": 4}, s3_client=s3, bucket=BUCKET)
    # THEN "Love Poems" and "love/poems" share a safe key, None goes to _unknown, old is gone
    prefix = f"{PREFIX}category/"
    assert keys_under(s3, prefix) == [
        f"{prefix}_unknown/records.jsonl",
        f"{prefix}love-poems/records.jsonl",
    ]
    assert lines(s3, f"{prefix}love-poems/records.jsonl") == TRICKY[:2]
    manifest = json.loads(read(s3, summary["manifest_key"]))
    assert manifest["template_version"] == 4 and manifest["records"] == 3
    assert manifest["files"][1]["values"] == ["Love Poems", "love/poems"]


def test_the_category_field_comes_from_the_job_config_and_numbers_are_values(s3: Any) -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key="jobs/j/config.json",
        Body=json.dumps({"category_field": "fields.n", "template": {"id": "t", "version": 2}}),
    )
    put_batches(s3, "j", [TRICKY])
    summary = run_export(
        {"job_id": "j", "format": "partition-category"}, s3_client=s3, bucket=BUCKET
    )
    assert keys_under(s3, f"{PREFIX}category/") == [
        f"{PREFIX}category/1/records.jsonl",
        f"{PREFIX}category/2.5/records.jsonl",
        f"{PREFIX}category/_unknown/records.jsonl",
    ]
    manifest = json.loads(read(s3, summary["manifest_key"]))
    assert manifest["template_id"] == "t" and manifest["template_version"] == 2


def test_without_a_category_field_the_export_is_skipped_and_says_so(s3: Any) -> None:
    put_batches(s3, "j", [TRICKY])
    summary = run_export(
        {"job_id": "j", "format": "partition-category"}, s3_client=s3, bucket=BUCKET
    )
    assert summary["records"] == 0 and summary["files"] == 0
    assert "skipped" in json.loads(read(s3, summary["manifest_key"]))["schema_notes"][0]


def test_too_many_partitions_is_a_clear_error(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partitions_module, "MAX_PARTITIONS", 2)
    put_batches(s3, "j", [TRICKY])
    with pytest.raises(ExportError, match="coarser field"):
        run_export(
            {"job_id": "j", "format": "partition-category", "category_field": "id"},
            s3_client=s3,
            bucket=BUCKET,
        )


def test_many_partitions_upload_in_parallel_with_repeats_once(s3: Any) -> None:
    records = [
        {"id": f"{n:032x}", "created_at": "2026-11-25T00:00:00Z", "fields": {"c": f"v{n % 40}"}}
        for n in range(2000)
    ]
    put_batches(s3, "j", [records[:1000], records[900:]])
    event = {"job_id": "j", "format": "partition-category", "category_field": "fields.c"}
    summary = run_export(event, s3_client=s3, bucket=BUCKET)
    assert summary["files"] == 40 and summary["records"] == 2000 and summary["duplicates"] == 100
    assert lines(s3, f"{PREFIX}category/v7/records.jsonl") == records[7::40]
