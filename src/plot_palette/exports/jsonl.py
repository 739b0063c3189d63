"""The JSONL dataset: every record whole, exactly as the worker wrote it, each id once.

Lines are copied, not re-encoded, so the export holds the records byte for byte (key order,
unicode, number formatting). Only the ids are read, to drop a record a batch repeats; with the
worker's line shape that is one regular-expression pass over the batch, not a parse, and a batch
without repeats or blank lines goes out as the very bytes that were read.
"""

from __future__ import annotations

from plot_palette.exports.batches import Batches, SeenIds, data_lines, line_ids, worker_ids
from plot_palette.exports.manifest import ExportFile, ExportResult
from plot_palette.exports.upload import StreamingUpload

CONTENT_TYPE = "application/x-ndjson"


def export_jsonl(batches: Batches, key: str) -> ExportResult:
    """Stream the batches' records into one JSON Lines file at ``key``."""
    seen = SeenIds()
    count = 0
    with StreamingUpload(batches.s3, batches.bucket, key, CONTENT_TYPE) as upload:
        for body in batches.bodies():
            quick = worker_ids(body)
            if quick is not None and seen.all_fresh(quick):
                # the usual case: worker-shaped lines, no repeat: the batch goes out as written
                upload.write(body if body.endswith(b"\n") else body + b"\n")
                count += len(quick)
                continue
            lines = data_lines(body)
            ids = line_ids(lines)
            whole = len(lines) == body.count(b"\n") + (not body.endswith(b"\n"))
            if quick is None and whole and seen.all_fresh(ids):
                upload.write(body if body.endswith(b"\n") else body + b"\n")
                count += len(lines)
                continue
            for line, fresh in zip(lines, seen.fresh(ids), strict=True):
                if fresh:
                    upload.write(line + b"\n")
                    count += 1
    return ExportResult(
        "jsonl",
        key,
        [ExportFile(key, count, upload.size, upload.sha256)],
        schema=None,
        schema_notes=[
            "JSON Lines keeps every record as written; the Parquet manifest has the schema"
        ],
        duplicates=seen.duplicates,
    )
