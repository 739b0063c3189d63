"""Exports: a job's output batches streamed into JSONL, Parquet, CSV and partitioned sets.

``run_export`` is the export Lambda's one call; ``presign_downloads`` serves the API and CLI.
"""

from plot_palette.exports.downloads import PRESIGNED_SECONDS, presign_downloads
from plot_palette.exports.manifest import ExportFile, ExportResult, manifest_key
from plot_palette.exports.partitions import (
    UNKNOWN_PARTITION,
    safe_partition_value,
    timestamp_partition,
)
from plot_palette.exports.run import FORMATS, ExportRequest, run_export
from plot_palette.exports.schema import JSON_TEXT

__all__ = [
    "FORMATS",
    "JSON_TEXT",
    "PRESIGNED_SECONDS",
    "UNKNOWN_PARTITION",
    "ExportFile",
    "ExportRequest",
    "ExportResult",
    "manifest_key",
    "presign_downloads",
    "run_export",
    "safe_partition_value",
    "timestamp_partition",
]
