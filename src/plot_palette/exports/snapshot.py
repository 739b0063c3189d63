"""A partial download: what a running job has made so far, as one JSON Lines file.

A running job's records sit in many small committed batches; concatenating them can take longer
than an API request may last (29 s behind API Gateway), so the API only *asks* for a snapshot
(an asynchronous invocation of the export function) and reports its state; the export function
writes it with the same streaming JSONL writer as the final export, so a record the worker wrote
twice (a relaunch) still appears once.

Keys live under ``jobs/{id}/snapshot/``, beside (not inside) ``exports/``, so the final export
listing and its manifests never show a stale partial file.

* ``request.json``: when the caller last asked (written by the API before invoking).
* ``dataset.jsonl``: the records so far (written whole, like every export).
* ``manifest.json``: written last: records, bytes, sha256, when, and the request it answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plot_palette.exports.batches import Batches, committed_batch_keys, read_json_object
from plot_palette.exports.downloads import PRESIGNED_SECONDS
from plot_palette.exports.jsonl import export_jsonl


def snapshot_prefix(job_id: str) -> str:
    return f"jobs/{job_id}/snapshot/"


@dataclass(frozen=True)
class SnapshotState:
    """What the API reports about a job's partial download."""

    status: str  # NONE, PREPARING or READY
    requested_at: str | None = None
    created_at: str | None = None
    records: int | None = None
    bytes: int | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "requested_at": self.requested_at,
            "created_at": self.created_at,
            "records": self.records,
            "bytes": self.bytes,
            "url": self.url,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def record_request(s3_client: Any, bucket: str, job_id: str) -> str:
    """Note that a snapshot was asked for (so the state reads PREPARING until it is written)."""
    requested_at = _now()
    s3_client.put_object(
        Bucket=bucket,
        Key=snapshot_prefix(job_id) + "request.json",
        Body=json.dumps({"requested_at": requested_at}).encode(),
        ContentType="application/json",
    )
    return requested_at


def write_snapshot(
    s3_client: Any, bucket: str, job_id: str, requested_at: str | None = None
) -> dict[str, Any]:
    """Stream the job's committed batches into ``snapshot/dataset.jsonl``, then its manifest."""
    prefix = snapshot_prefix(job_id)
    batches = Batches(s3_client, bucket, committed_batch_keys(s3_client, bucket, job_id))
    result = export_jsonl(batches, prefix + "dataset.jsonl")
    manifest = {
        "job_id": job_id,
        "records": result.records,
        "bytes": result.bytes,
        "sha256": result.files[0].sha256,
        "created_at": _now(),
        "requested_at": requested_at,
    }
    s3_client.put_object(
        Bucket=bucket,
        Key=prefix + "manifest.json",
        Body=json.dumps(manifest).encode(),
        ContentType="application/json",
    )
    return manifest


def snapshot_state(
    s3_client: Any, bucket: str, job_id: str, expires: int = PRESIGNED_SECONDS
) -> SnapshotState:
    """NONE (never asked), PREPARING (asked after the last snapshot) or READY with a URL."""
    prefix = snapshot_prefix(job_id)
    request = read_json_object(s3_client, bucket, prefix + "request.json")
    manifest = read_json_object(s3_client, bucket, prefix + "manifest.json")
    requested_at = request.get("requested_at") if request else None
    if manifest is None:
        return SnapshotState("PREPARING" if requested_at else "NONE", requested_at)
    answered = manifest.get("requested_at")
    if requested_at and (answered is None or answered < requested_at):
        return SnapshotState("PREPARING", requested_at, manifest.get("created_at"))
    url = s3_client.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": prefix + "dataset.jsonl",
            "ResponseContentDisposition": f'attachment; filename="{job_id}-partial.jsonl"',
        },
        ExpiresIn=expires,
    )
    return SnapshotState(
        "READY",
        requested_at,
        manifest.get("created_at"),
        int(manifest.get("records", 0)),
        int(manifest.get("bytes", 0)),
        url,
    )
