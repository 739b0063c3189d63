"""The record contract shared by the worker (which writes batches) and the exports (which read).

Each line of ``jobs/{job_id}/outputs/batch-NNNNN.jsonl`` is one JSON object::

    {
      "id": "<record_id(job_id, seed_index, sample_index)>",
      "job_id": "...",
      "seed_index": 3,
      "sample_index": 0,
      "created_at": "2026-11-25T10:30:00.123456Z",
      "fields": {"poem": "...", "author": {"name": "..."}},
      "provenance": {
        "template_id": "...", "template_version": 1,
        "steps": {"<step_id>": {"model_id": "...", "input_tokens": 12, "output_tokens": 80,
                                 "cost": 0.00012, "latency_ms": 210}}
      }
    }

The id is deterministic so a relaunched worker that regenerates a record produces the same id,
and an export (or an audit) can prove there are no duplicates.
"""

from __future__ import annotations

import hashlib

RECORD_ID_LENGTH = 32


def record_id(job_id: str, seed_index: int, sample_index: int) -> str:
    """Return the deterministic id of the record made from one seed row and sample number.

    >>> record_id("job-1", 0, 0) == record_id("job-1", 0, 0)
    True
    """
    digest = hashlib.sha256(f"{job_id}\x1f{seed_index}\x1f{sample_index}".encode())
    return digest.hexdigest()[:RECORD_ID_LENGTH]


def batch_key(job_id: str, batch_number: int) -> str:
    """Return the S3 key of a numbered output batch (numbers are zero-padded so keys sort)."""
    return f"jobs/{job_id}/outputs/batch-{batch_number:05d}.jsonl"


def outputs_prefix(job_id: str) -> str:
    """Return the S3 prefix under which a job's output batches live."""
    return f"jobs/{job_id}/outputs/"


def exports_prefix(job_id: str) -> str:
    """Return the S3 prefix under which a job's exports live."""
    return f"jobs/{job_id}/exports/"
