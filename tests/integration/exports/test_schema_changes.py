"""Fields that appear late or change type are widened or kept as JSON text, never dropped."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from plot_palette.exports import run_export
from tests.integration.exports.conftest import BUCKET, put_batches, read, without_nulls


def columnar(s3: Any, fmt: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    summary = run_export({"job_id": "j", "format": fmt}, s3_client=s3, bucket=BUCKET)
    body = read(s3, summary["key"])
    if fmt == "parquet":
        rows = pq.read_table(io.BytesIO(body)).to_pylist()
    else:
        rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    return rows, json.loads(read(s3, summary["manifest_key"]))


def test_a_field_that_appears_in_a_later_batch_is_added_not_dropped(s3: Any) -> None:
    first = [{"id": str(n), "fields": {"a": n}} for n in range(3)]
    later = [{"id": "9", "fields": {"a": 9, "b": {"deep": "late"}}, "extra": True}]
    put_batches(s3, "j", [first, later])
    rows, manifest = columnar(s3, "parquet")
    assert without_nulls(rows) == first + later
    assert manifest["schema"]["fields"] == {"a": "int64", "b": {"deep": "string"}}
    assert manifest["schema"]["extra"] == "bool"
    assert manifest["schema_notes"] == []


def test_an_int_that_becomes_a_float_later_is_widened(s3: Any) -> None:
    put_batches(s3, "j", [[{"id": "1", "v": 1}], [{"id": "2", "v": 2.5}]])
    rows, manifest = columnar(s3, "parquet")
    assert [row["v"] for row in rows] == [1.0, 2.5]
    assert manifest["schema"]["v"] == "double"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_type_conflict_is_kept_as_json_text_and_reported(s3: Any, fmt: str) -> None:
    values: list[Any] = [1, {"deep": "object"}, "1", None, [1, "a"]]
    put_batches(s3, "j", [[{"id": str(n), "v": value}] for n, value in enumerate(values)])
    rows, manifest = columnar(s3, fmt)
    decoded = [None if row["v"] in (None, "") else json.loads(row["v"]) for row in rows]
    assert decoded == values  # "1" and 1 stay apart: every value is JSON text
    assert manifest["schema"]["v"] == "json"
    assert any(note.startswith("v:") for note in manifest["schema_notes"])


def test_an_object_that_is_always_empty_is_kept(s3: Any) -> None:
    put_batches(s3, "j", [[{"id": "1", "steps": {}}, {"id": "2", "steps": {}}]])
    rows, manifest = columnar(s3, "parquet")
    assert [json.loads(row["steps"]) for row in rows] == [{}, {}]
    assert "always an empty object" in manifest["schema_notes"][0]


def test_dates_stay_exactly_as_written(s3: Any) -> None:
    stamps = ["2026-11-25T10:30:00.123456Z", "2026-11-25", "not a date"]
    put_batches(s3, "j", [[{"id": "1", "t": stamps[0], "d": stamps[1]}], [{"id": "2", "t": "x"}]])
    rows, _ = columnar(s3, "parquet")
    assert [(row["t"], row["d"]) for row in rows] == [(stamps[0], stamps[1]), ("x", None)]


def test_a_repeated_record_is_written_once_in_columnar_formats(s3: Any) -> None:
    record = {"id": "same", "v": 1}
    put_batches(s3, "j", [[record, {"id": "other", "v": 2}], [record]])
    for fmt in ("parquet", "csv"):
        rows, manifest = columnar(s3, fmt)
        assert [row["id"] for row in rows] == ["same", "other"]
        assert manifest["duplicates_skipped"] == 1 and manifest["records"] == 2


def test_a_conflict_and_a_repeat_take_the_exact_path_together(s3: Any) -> None:
    put_batches(s3, "j", [[{"id": "1", "v": 1}, {"id": "1", "v": 1}], [{"id": "2", "v": {}}]])
    rows, manifest = columnar(s3, "parquet")
    assert [row["id"] for row in rows] == ["1", "2"] and manifest["duplicates_skipped"] == 1
