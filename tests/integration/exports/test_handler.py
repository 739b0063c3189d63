"""The export Lambda handler with the sample events in ``events/``, on moto."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from plot_palette.errors import ExportError
from tests.events import load_event
from tests.integration.exports.conftest import BUCKET, TRICKY, put_batches

ROOT = Path(__file__).resolve().parents[3]
CONTEXT = SimpleNamespace(
    function_name="export",
    memory_limit_in_mb=1769,
    invoked_function_arn="arn:aws:lambda:us-east-1:1:function:export",
    aws_request_id="r-1",
)


def handler_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    spec = importlib.util.spec_from_file_location("export_app", ROOT / "functions/export/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name",
    [
        "export-jsonl",
        "export-parquet",
        "export-csv",
        "export-partition-timestamp",
        "export-partition-category",
    ],
)
def test_each_sample_event_writes_its_export(
    s3: Any, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    event = load_event(name)
    put_batches(s3, event["job_id"], [TRICKY])
    app = handler_module(monkeypatch)
    summary = app.lambda_handler(event, CONTEXT)
    assert summary["format"] == event["format"] and summary["records"] == 3
    assert len(json.dumps(summary)) < 1024  # it travels in the Step Functions state
    manifest = s3.get_object(Bucket=BUCKET, Key=summary["manifest_key"])["Body"].read()
    assert json.loads(manifest)["job_id"] == event["job_id"]


def test_a_bad_event_raises_export_error_for_the_state_machine(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = handler_module(monkeypatch)
    with pytest.raises(ExportError):
        app.lambda_handler({"job_id": "j", "format": "xlsx"}, CONTEXT)
