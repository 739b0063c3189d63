"""Parquet, CSV and partitioned exports read back exactly, with manifests, re-runs and schemas."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import duckdb
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from plot_palette.exports import run_export
from plot_palette.exports.formats import safe_partition_value
from plot_palette.exports.schema import flatten_record
from plot_palette.records import batch_key
from plot_palette.worker.batches import encode_batch

BUCKET = "pp-formats"
RECORDS = [
    {
        "id": "a",
        "created_at": "2026-11-24T23:59:59.000001Z",
        "fields": {
            "text": "café — 诗 🌊",
            "quote": 'he said "hi", then, left',
            "n": 1,
            "category": "Love Poems",
        },
        "provenance": {"steps": {"q": {"input_tokens": 3, "cost": 0.5}}},
    },
    {
        "id": "b",
        "created_at": "2026-11-25T00:00:00.000000Z",
        "fields": {
            "text": "line one\nline two\r\nthree",
            "empty": "",
            "none": None,
            "n": 2.5,
            "category": "love/poems",
        },
        "provenance": {"steps": {"q": {"input_tokens": 4, "cost": 1}}},
    },
    {
        "id": "c",
        "created_at": "2026-11-25T10:00:00.000000Z",
        "fields": {
            "nested": {"a": [1, 2], "d": {"e": True}},
            "late": "only here",
            "category": None,
        },
        "provenance": {"steps": {"q": {"input_tokens": 5, "cost": 0.25}}},
    },
]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(
            Bucket=BUCKET,
            Key="jobs/j/config.json",
            Body=json.dumps(
                {"template": {"id": "t", "version": 4}, "category_field": "fields.category"}
            ),
        )
        yield client


def put(s3: Any, batches: list[list[dict[str, Any]]]) -> None:
    for number, records in enumerate(batches):
        s3.put_object(Bucket=BUCKET, Key=batch_key("j", number), Body=encode_batch(records))
    s3.put_object(
        Bucket=BUCKET,
        Key="jobs/j/checkpoint.json",
        Body=json.dumps({"current_batch": len(batches)}),
    )


def read(s3: Any, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_parquet_keeps_nested_fields_as_structs_and_reads_back_exactly(s3: Any) -> None:
    put(s3, [RECORDS[:1], RECORDS[1:]])
    summary = run_export({"job_id": "j", "format": "parquet"}, s3_client=s3, bucket=BUCKET)
    table = pq.read_table(io.BytesIO(read(s3, summary["key"])))
    rows = table.to_pylist()
    assert [row["id"] for row in rows] == ["a", "b", "c"]
    assert rows[0]["fields"]["text"] == "café — 诗 🌊"
    assert rows[1]["fields"]["text"] == "line one\nline two\r\nthree"
    assert rows[1]["fields"]["empty"] == "" and rows[1]["fields"]["none"] is None
    assert rows[2]["fields"]["nested"] == {"a": [1, 2], "d": {"e": True}}
    assert rows[2]["fields"]["late"] == "only here" and rows[0]["fields"]["late"] is None
    assert [row["fields"]["n"] for row in rows] == [1.0, 2.5, None]  # int met float: widened
    assert [row["provenance"]["steps"]["q"]["cost"] for row in rows] == [0.5, 1.0, 0.25]
    manifest = json.loads(read(s3, summary["manifest_key"]))
    assert manifest["records"] == 3 and manifest["template_version"] == 4
    assert (
        manifest["files"][0]["bytes"]
        == s3.head_object(Bucket=BUCKET, Key=summary["key"])["ContentLength"]
    )


def test_duckdb_reads_the_parquet(s3: Any, tmp_path: Any) -> None:
    put(s3, [RECORDS])
    summary = run_export({"job_id": "j", "format": "parquet"}, s3_client=s3, bucket=BUCKET)
    path = tmp_path / "d.parquet"
    path.write_bytes(read(s3, summary["key"]))
    ((count, texts),) = duckdb.sql(f"select count(*), list(fields.text) from '{path}'").fetchall()  # noqa: S608
    assert count == 3 and texts[0] == "café — 诗 🌊"


def test_csv_has_dotted_columns_and_round_trips_tricky_text(s3: Any) -> None:
    put(s3, [RECORDS])
    summary = run_export({"job_id": "j", "format": "csv"}, s3_client=s3, bucket=BUCKET)
    rows = list(csv.DictReader(io.StringIO(read(s3, summary["key"]).decode())))
    assert len(rows) == 3
    assert rows[0]["fields.quote"] == 'he said "hi", then, left'
    assert rows[1]["fields.text"] == "line one\nline two\r\nthree"
    assert rows[1]["fields.empty"] == "" and rows[1]["fields.none"] == ""
    assert json.loads(rows[2]["fields.nested.a"]) == [1, 2]
    assert rows[2]["fields.nested.d.e"] == "true"
    assert rows[0]["provenance.steps.q.input_tokens"] == "3"


def test_a_type_conflict_is_kept_as_json_text_and_reported(s3: Any) -> None:
    put(s3, [[{"id": "x", "v": 1}], [{"id": "y", "v": {"deep": "object"}}]])
    summary = run_export({"job_id": "j", "format": "parquet"}, s3_client=s3, bucket=BUCKET)
    rows = pq.read_table(io.BytesIO(read(s3, summary["key"]))).to_pylist()
    assert [row["v"] for row in rows] == ["1", '{"deep": "object"}']
    notes = json.loads(read(s3, summary["manifest_key"]))["schema_notes"]
    assert notes and "v:" in notes[0]


def test_timestamp_partitions(s3: Any) -> None:
    put(s3, [RECORDS])
    summary = run_export(
        {"job_id": "j", "format": "partition-timestamp"}, s3_client=s3, bucket=BUCKET
    )
    prefix = "jobs/j/exports/partitioned/timestamp/"
    assert summary["key"] == prefix and summary["records"] == 3 and summary["files"] == 2
    day24 = read(s3, f"{prefix}year=2026/month=11/day=24/records.jsonl").decode().splitlines()
    day25 = read(s3, f"{prefix}year=2026/month=11/day=25/records.jsonl").decode().splitlines()
    assert [json.loads(line)["id"] for line in day24] == ["a"]
    assert [json.loads(line)["id"] for line in day25] == ["b", "c"]


def test_category_partitions_are_safe_and_stale_ones_are_removed_on_rerun(s3: Any) -> None:
    put(s3, [RECORDS])
    prefix = "jobs/j/exports/partitioned/category/"
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}old-value/records.jsonl", Body=b"{}\n")
    summary = run_export(
        {"job_id": "j", "format": "partition-category"}, s3_client=s3, bucket=BUCKET
    )
    keys = sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    )
    assert keys == [f"{prefix}_unknown/records.jsonl", f"{prefix}love-poems/records.jsonl"]
    assert summary["records"] == 3
    manifest = json.loads(read(s3, summary["manifest_key"]))
    assert sorted(item["key"] for item in manifest["files"]) == keys


def test_safe_partition_values() -> None:
    assert safe_partition_value("Love Poems") == "love-poems"
    assert safe_partition_value("../../etc") == "etc"
    assert safe_partition_value("") == "_unknown"
    assert safe_partition_value(None) == "_unknown"
    assert safe_partition_value({"a": 1}) == "_unknown"
    assert len(safe_partition_value("x" * 500)) == 100


def test_an_empty_job_yields_valid_empty_files(s3: Any) -> None:
    for fmt in ("parquet", "csv"):
        summary = run_export({"job_id": "empty", "format": fmt}, s3_client=s3, bucket=BUCKET)
        assert summary["records"] == 0
    assert pq.read_table(io.BytesIO(read(s3, "jobs/empty/exports/dataset.parquet"))).num_rows == 0
    assert read(s3, "jobs/empty/exports/dataset.csv") == b"\r\n"


def test_flatten_record() -> None:
    assert flatten_record({"a": {"b": {"c": 1}}, "d": [1], "e": {}}) == {
        "a.b.c": 1,
        "d": [1],
        "e": {},
    }
