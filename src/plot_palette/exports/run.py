"""The export Lambda's entry point: one format of one job per invocation, then its manifest.

The state machine starts one invocation per format, in parallel. Each reads the job's committed
batches (``batches.py``), writes its files (each appears whole: ``upload.py``), then writes its
manifest last (``manifest.py``) and returns a summary small enough for the execution state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from plot_palette.errors import ExportError
from plot_palette.exports.batches import Batches, committed_batch_keys, read_json_object
from plot_palette.exports.chat import CHAT_FILE, export_chat
from plot_palette.exports.columnar import export_columnar
from plot_palette.exports.jsonl import export_jsonl
from plot_palette.exports.manifest import ExportResult, manifest_document, write_manifest
from plot_palette.exports.partitions import export_partitions
from plot_palette.records import exports_prefix

LOGGER = logging.getLogger(__name__)
FORMATS = ("jsonl", "parquet", "csv", "partition-timestamp", "partition-category", "chat")


@dataclass(frozen=True)
class ExportRequest:
    """What the state machine asks for (the export Lambda's event)."""

    job_id: str
    format: str
    category_field: str | None = None
    template_id: str | None = None
    template_version: int | None = None

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ExportRequest:
        """Validate the event; a bad one is an ``ExportError`` that says what is wrong."""
        job_id = event.get("job_id")
        if not isinstance(job_id, str) or not job_id or "/" in job_id:
            raise ExportError("an export needs a job_id (text without '/')")
        fmt = event.get("format")
        if fmt not in FORMATS:
            raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
        version = event.get("template_version")
        return cls(
            job_id,
            fmt,
            event.get("category_field") or None,
            event.get("template_id"),
            None if version is None else int(version),
        )


def run_export(event: dict[str, Any], *, s3_client: Any, bucket: str) -> dict[str, Any]:
    """Write export ``event["format"]`` of job ``event["job_id"]``; return a short summary.

    >>> run_export({"job_id": "j", "format": "parquet"}, s3_client=s3, bucket="b")  # doctest: +SKIP
    {'format': 'parquet', 'key': 'jobs/j/exports/dataset.parquet', 'records': 3, 'files': 1,
     'bytes': 2817, 'sha256': '…', 'manifest_key': 'jobs/j/exports/manifests/parquet.json'}
    """
    request = ExportRequest.from_event(event)
    config = read_json_object(s3_client, bucket, f"jobs/{request.job_id}/config.json") or {}
    template = config.get("template") or {}
    batches = Batches(s3_client, bucket, committed_batch_keys(s3_client, bucket, request.job_id))
    if request.format == "chat":
        key = f"{exports_prefix(request.job_id)}{CHAT_FILE}"
        chat = export_chat(batches, key, config, config.get("chat_format"))
        if chat is None:  # the job chose no chat format: nothing written, no key recorded
            return {
                "format": "chat",
                "key": None,
                "records": 0,
                "files": 0,
                "bytes": 0,
                "sha256": None,
                "duplicates": 0,
                "manifest_key": None,
            }
        result = chat
    else:
        result = _export(request, batches, config)
    if result.duplicates:
        LOGGER.warning(
            "duplicate records skipped",
            extra={"job_id": request.job_id, "duplicates": result.duplicates},
        )
    document = manifest_document(
        request.job_id,
        result,
        request.template_id or template.get("id"),
        request.template_version
        if request.template_version is not None
        else template.get("version"),
    )
    manifest = write_manifest(s3_client, bucket, request.job_id, document)
    single = (
        result.files[0] if len(result.files) == 1 and result.key == result.files[0].key else None
    )
    return {
        "format": result.format,
        "key": result.key,
        "records": result.records,
        "files": len(result.files),
        "bytes": result.bytes,
        "sha256": single.sha256 if single else None,
        "duplicates": result.duplicates,
        "manifest_key": manifest,
    }


def _export(request: ExportRequest, batches: Batches, config: dict[str, Any]) -> ExportResult:
    prefix = exports_prefix(request.job_id)
    if request.format == "jsonl":
        return export_jsonl(batches, f"{prefix}dataset.jsonl")
    if request.format in ("parquet", "csv"):
        return export_columnar(request.format, batches, f"{prefix}dataset.{request.format}")
    kind = request.format.split("-", 1)[1]
    field = request.category_field or config.get("category_field")
    return export_partitions(kind, batches, f"{prefix}partitioned/{kind}/", field)
