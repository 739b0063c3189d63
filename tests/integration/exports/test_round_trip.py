"""Every format read back (pyarrow, DuckDB, the csv module) gives exactly the records written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from plot_palette.exports import run_export
from tests.integration.exports.conftest import (
    BUCKET,
    TRICKY,
    flat_cells,
    put_batches,
    read,
    without_nulls,
)


def export(s3: Any, fmt: str, job_id: str = "j") -> dict[str, Any]:
    return run_export({"job_id": job_id, "format": fmt}, s3_client=s3, bucket=BUCKET)


def test_jsonl_gives_back_every_record_byte_for_byte(s3: Any) -> None:
    # GIVEN two batches of tricky records WHEN exported as JSONL
    put_batches(s3, "j", [TRICKY[:2], TRICKY[2:]])
    summary = export(s3, "jsonl")
    # THEN each line parses back to exactly the record written
    body = read(s3, summary["key"])
    assert [json.loads(line) for line in body.decode().splitlines()] == TRICKY
    assert summary["records"] == 3 and summary["bytes"] == len(body)


def test_parquet_gives_back_every_record_with_nested_structs(s3: Any, tmp_path: Path) -> None:
    put_batches(s3, "j", [TRICKY[:1], TRICKY[1:]])
    summary = export(s3, "parquet")
    path = tmp_path / "dataset.parquet"
    path.write_bytes(read(s3, summary["key"]))

    rows = pq.read_table(path).to_pylist()
    assert without_nulls(rows) == without_nulls(TRICKY)
    assert rows[1]["fields"]["empty"] == "" and rows[1]["fields"]["none"] is None
    assert pq.read_schema(path).field("fields").type.get_field_index("nested") >= 0

    # DuckDB reads the same file, structs and all
    query = f"select id, fields.text, fields.nested.d.e from '{path}' order by id"  # noqa: S608
    assert duckdb.sql(query).fetchall() == [
        ("a" * 32, "café — 诗 🌊", None),
        ("b" * 32, "line one\nline two\r\nthree,\ttab", None),
        ("c" * 32, None, True),
    ]


def test_csv_gives_back_every_cell_with_dotted_columns(s3: Any) -> None:
    put_batches(s3, "j", [TRICKY])
    summary = export(s3, "csv")
    body = read(s3, summary["key"])

    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert len(rows) == 3
    for row, record in zip(rows, TRICKY, strict=True):
        for column, value in flat_cells(record).items():
            cell = row[column]
            if value is None:
                assert cell == ""
            elif isinstance(value, bool):
                assert cell == ("true" if value else "false")
            elif isinstance(value, int | float):
                assert float(cell) == value
            elif isinstance(value, list):
                assert json.loads(cell) == value
            else:
                assert cell == value, column
    assert "fields.nested.d.e" in rows[0] and "provenance.steps.q.cost" in rows[0]

    # a null is an empty field, an empty string is "": pyarrow tells them apart
    options = pa_csv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False)
    table = pa_csv.read_csv(io.BytesIO(body), convert_options=options)
    assert table.column("fields.empty").to_pylist() == [None, "", None]
    assert table.column("fields.text").to_pylist()[2] is None


def test_duckdb_reads_the_csv(s3: Any, tmp_path: Path) -> None:
    put_batches(s3, "j", [TRICKY])
    path = tmp_path / "dataset.csv"
    path.write_bytes(read(s3, export(s3, "csv")["key"]))
    texts = duckdb.sql(f"""select "fields.text" from read_csv('{path}', header=true)""")  # noqa: S608
    assert [row[0] for row in texts.fetchall()] == [
        "café — 诗 🌊",
        "line one\nline two\r\nthree,\ttab",
        None,
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_an_empty_job_yields_a_valid_empty_file(s3: Any, fmt: str) -> None:
    summary = export(s3, fmt, job_id="empty")
    body = read(s3, summary["key"])
    assert summary["records"] == 0
    if fmt == "parquet":
        assert pq.read_table(io.BytesIO(body)).num_rows == 0
    else:
        assert body == b""
    manifest = json.loads(read(s3, summary["manifest_key"]))
    assert manifest["records"] == 0 and manifest["files"][0]["bytes"] == len(body)
