"""Shared moto S3 fixture, batch writer and tricky records for the export tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from plot_palette.records import batch_key
from plot_palette.worker.batches import encode_batch

BUCKET = "pp-exports"

TRICKY: list[dict[str, Any]] = [
    {
        "id": "a" * 32,
        "job_id": "j",
        "seed_index": 0,
        "sample_index": 0,
        "created_at": "2026-11-24T23:59:59.000001Z",
        "fields": {
            "text": "café — 诗 🌊",
            "quote": 'he said "hi", then, left',
            "n": 1,
            "category": "Love Poems",
            "tags": ["a,b", 'q"t'],
        },
        "provenance": {"template_id": "t", "template_version": 4, "steps": {"q": {"cost": 0.5}}},
    },
    {
        "id": "b" * 32,
        "job_id": "j",
        "seed_index": 1,
        "sample_index": 0,
        "created_at": "2026-11-25T00:00:00.000000Z",
        "fields": {
            "text": "line one\nline two\r\nthree,\ttab",
            "empty": "",
            "none": None,
            "n": 2.5,
            "category": "love/poems",
            "tags": [],
        },
        "provenance": {"template_id": "t", "template_version": 4, "steps": {"q": {"cost": 1}}},
    },
    {
        "id": "c" * 32,
        "job_id": "j",
        "seed_index": 2,
        "sample_index": 0,
        "created_at": "2026-11-25T10:00:00.000000Z",
        "fields": {
            "nested": {"a": [1, 2], "d": {"e": True, "f": False}},
            "late": "only here",
            "category": None,
            "tags": None,
        },
        "provenance": {"template_id": "t", "template_version": 4, "steps": {"q": {"cost": 0.25}}},
    },
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
    """Write batches as the worker does, and a checkpoint counting ``committed`` of them."""
    for number, records in enumerate(batches):
        s3.put_object(Bucket=BUCKET, Key=batch_key(job_id, number), Body=encode_batch(records))
    count = len(batches) if committed is None else committed
    checkpoint = {"job_id": job_id, "current_batch": count, "records_generated": 0}
    s3.put_object(Bucket=BUCKET, Key=f"jobs/{job_id}/checkpoint.json", Body=json.dumps(checkpoint))


def read(s3: Any, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def keys_under(s3: Any, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def without_nulls(value: Any) -> Any:
    """Columnar formats have no 'absent': compare records with null-valued keys dropped."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def flat_cells(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay whole (CSV holds them as JSON)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            flat.update(flat_cells(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
