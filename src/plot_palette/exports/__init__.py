"""Exports: a job's output batches streamed into datasets, with presigned downloads."""

from plot_palette.exports.run import FORMATS, presign_downloads, run_export

__all__ = ["FORMATS", "presign_downloads", "run_export"]
