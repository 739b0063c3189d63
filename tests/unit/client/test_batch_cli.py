"""``plot-palette batch submit|status`` against a fake API, and the batch file format."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from plot_palette.batches.file import load_batch_file
from plot_palette.client import ApiClient
from plot_palette.errors import JobSpecError
from tests.unit.client.test_templates_gallery_cli import FakeHttp

cli = importlib.import_module("plot_palette.cli.app")
ROOT = Path(__file__).resolve().parents[3]


def batch(status: str = "RUNNING") -> dict[str, Any]:
    row = {
        "job_id": "job-1",
        "name": "p [records=5]",
        "params": {"records": 5},
        "status": "COMPLETED",
        "records": 5,
        "record_count": 5,
        "cost_usd": 0.001,
        "cost_per_record_usd": 0.0002,
        "duration_seconds": 3.5,
        "quality": None,
        "quality_score": None,
    }
    queued = {
        **row,
        "job_id": "job-2",
        "params": {"records": 10},
        "status": "QUEUED",
        "records": 0,
        "record_count": 10,
        "cost_usd": 0.0,
        "cost_per_record_usd": None,
        "duration_seconds": None,
    }
    return {
        "batch_id": "b-1",
        "name": "sweep",
        "created_at": "t",
        "status": status,
        "job_count": 2,
        "status_counts": {"COMPLETED": 1, "QUEUED": 1},
        "dimensions": ["records"],
        "sweep": {"records": [5, 10]},
        "estimated_cost_usd": 0.003,
        "cost_usd": 0.001,
        "records": 5,
        "jobs": [row, queued],
        "best": {
            "cost_per_record": "job-1",
            "quality": None,
            "duration": "job-1",
            "records": "job-1",
            "overall": "job-1",
        },
    }


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> FakeHttp:
    fake = FakeHttp({})
    monkeypatch.setattr(cli, "_api", lambda: ApiClient("https://api.test", "token", http=fake))
    return fake


def test_submit_sends_the_file_and_prints_the_jobs(http: FakeHttp, tmp_path: Path) -> None:
    http.answers[("POST", "/batches")] = (201, {"batch": batch("QUEUED"), "jobs": []})
    path = tmp_path / "b.yaml"
    path.write_text(
        "name: sweep\njob: {name: p, template_id: poem-questions, sample_dataset: poetry,"
        " records: 5, budget_usd: 1, chat_format: sharegpt}\nsweep: {records: [5, 10]}\n"
    )
    result = CliRunner().invoke(cli.app, ["batch", "submit", str(path)])
    assert result.exit_code == 0, result.output
    sent = http.calls[0][2]["json"]
    assert sent["sweep"] == {"records": [5, 10]} and sent["job"]["chat_format"] == "sharegpt"
    assert "batch b-1 'sweep': QUEUED, 2 jobs" in result.output
    assert "job-1" in result.output and "job-2" in result.output


def test_status_prints_the_comparison_and_a_refusal_in_one_line(
    http: FakeHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    http.answers[("GET", "/batches/b-1")] = (200, batch())
    monkeypatch.setattr(cli.console, "width", 200)  # the table on one line per job
    result = CliRunner().invoke(cli.app, ["batch", "status", "b-1"])
    assert result.exit_code == 0, result.output
    assert "$0.000200" in result.output and "3.5s" in result.output
    assert "cost_per_record, duration, records, overall" in result.output
    http.answers[("GET", "/batches/nope")] = (404, {"message": "batch nope not found"})
    result = CliRunner().invoke(cli.app, ["batch", "status", "nope"])
    assert result.exit_code == 1
    assert "batch nope not found (HTTP 404)" in result.output


def test_the_example_batch_file_reads_its_template_and_names_its_seed_file() -> None:
    loaded = load_batch_file(ROOT / "examples" / "poetry-batch.yaml")
    assert loaded.body["job"]["template"]["id"] == "poem-questions"
    assert "seed_data" not in loaded.body["job"]
    assert loaded.seed_file is not None and loaded.seed_file.name == "poems.jsonl"
    assert loaded.body["sweep"] == {"records": [5, 10, 20]}


def test_a_bad_batch_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("- a list\n")
    with pytest.raises(JobSpecError, match="expected a mapping with name, job and sweep"):
        load_batch_file(path)
    path.write_text(json.dumps({"name": "x", "job": {"seed_data": "missing.jsonl"}}))
    with pytest.raises(JobSpecError, match="does not exist"):
        load_batch_file(path)
