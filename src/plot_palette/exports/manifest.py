"""What an export wrote, and the ``manifest.json`` that tells readers so.

Each export has one manifest at ``jobs/{job_id}/exports/manifests/{format}.json`` (for
example ``manifests/parquet.json``, ``manifests/partition-category.json``). It is written last,
after every data file is complete, and lists exactly the files of this run with their record
counts, byte sizes and SHA-256, the schema, any schema notes (widened or conflicting fields),
the duplicates skipped, and the job and template version. A reader who wants a consistent view
of a re-run export follows the manifest rather than listing the prefix.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from plot_palette.records import exports_prefix


@dataclass
class ExportFile:
    """One file an export wrote (``values``: the raw category values a partition holds)."""

    key: str
    records: int
    bytes: int
    sha256: str
    values: list[str] | None = None


@dataclass
class ExportResult:
    """What one export wrote: its files, the schema it used and what it had to say about it."""

    format: str
    key: str
    files: list[ExportFile] = field(default_factory=list)
    schema: Any = None
    schema_notes: list[str] = field(default_factory=list)
    duplicates: int = 0

    @property
    def records(self) -> int:
        return sum(item.records for item in self.files)

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.files)


def manifest_key(job_id: str, fmt: str) -> str:
    """Where the manifest of export ``fmt`` of a job lives."""
    return f"{exports_prefix(job_id)}manifests/{fmt}.json"


def manifest_document(
    job_id: str, result: ExportResult, template_id: str | None, template_version: int | None
) -> dict[str, Any]:
    """The manifest as JSON-able data (``values`` appear only on partition files)."""
    files = [
        {name: value for name, value in asdict(item).items() if value is not None}
        for item in result.files
    ]
    return {
        "job_id": job_id,
        "format": result.format,
        "template_id": template_id,
        "template_version": template_version,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "records": result.records,
        "bytes": result.bytes,
        "duplicates_skipped": result.duplicates,
        "files": files,
        "schema": result.schema,
        "schema_notes": result.schema_notes,
    }


def write_manifest(s3: Any, bucket: str, job_id: str, document: dict[str, Any]) -> str:
    """Put the manifest (one small PUT, atomic by nature) and return its key."""
    key = manifest_key(job_id, document["format"])
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, indent=2, ensure_ascii=False).encode(),
        ContentType="application/json",
    )
    return key
