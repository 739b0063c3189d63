"""Seed data in S3: presigned uploads into the caller's prefix, and the shared sample datasets."""

from plot_palette.seed_data.samples import list_sample_datasets, sample_dataset_key
from plot_palette.seed_data.uploads import (
    ALLOWED_CONTENT_TYPES,
    UPLOAD_SECONDS,
    presign_seed_upload,
    read_seed_object,
    read_seed_source,
)

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "UPLOAD_SECONDS",
    "list_sample_datasets",
    "presign_seed_upload",
    "read_seed_object",
    "read_seed_source",
    "sample_dataset_key",
]
