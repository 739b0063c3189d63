"""Reading job items for people: exports by format, failures in words, cost by source."""

from __future__ import annotations

import json

import pytest

from plot_palette.jobs.views import cost_breakdown, export_keys, failure_message


def test_export_keys_by_format() -> None:
    exports = [{"format": "jsonl", "key": "k1", "records": 3}, {"format": "csv", "key": "k2"}]
    assert export_keys({"exports": json.dumps(exports)}) == {"jsonl": "k1", "csv": "k2"}
    assert export_keys({}) == {}


def test_failure_message_unwraps_lambda_errors() -> None:
    lambda_error = json.dumps({"errorType": "ExportError", "errorMessage": "no space"})
    assert failure_message({"error_code": "ExportError", "error_message": lambda_error}) == (
        "ExportError: no space"
    )
    assert failure_message({"error_code": "SpotInterrupted", "error_message": "plain"}) == (
        "SpotInterrupted: plain"
    )
    assert failure_message({}) == ""


def test_cost_breakdown_prices_compute_time_and_requests() -> None:
    job = {
        "cost_usd": 0.5,
        "worker_vcpu": 1.0,
        "worker_memory_gb": 2.0,
        "compute_seconds": 3600,
        "s3_requests": 1000,
    }
    breakdown = cost_breakdown(job)
    assert breakdown.bedrock == 0.5
    assert breakdown.fargate == pytest.approx(0.01334058 + 2 * 0.00146489)
    assert breakdown.s3 == pytest.approx(0.005)
    assert breakdown.total == pytest.approx(0.5 + breakdown.fargate + 0.005)
