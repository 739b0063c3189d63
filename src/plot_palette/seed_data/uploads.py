"""Presigned PUT URLs for seed data, and reading an uploaded object back for validation.

The browser uploads straight to S3, so the API never carries the file. The URL is signed with
the content type and the exact ``Content-Length`` the caller declared, so S3 refuses a different
type or size (the size limit holds without trusting the client). Keys are always under the
caller's own ``seed-data/{user_id}/`` prefix; reading a key outside it is a ``NotFoundError``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import NotFoundError, SeedDataValidationError
from plot_palette.seed_data.samples import sample_dataset_key
from plot_palette.templates import MAX_SEED_BYTES

UPLOAD_SECONDS = 900  # 15 minutes
ALLOWED_CONTENT_TYPES = ("application/json", "application/x-ndjson", "application/jsonl")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def seed_prefix(user_id: str) -> str:
    """Where a user's seed files live."""
    return f"seed-data/{user_id}/"


def presign_seed_upload(
    s3_client: Any,
    bucket: str,
    user_id: str,
    *,
    filename: str,
    content_type: str,
    size: int,
    expires: int = UPLOAD_SECONDS,
) -> dict[str, Any]:
    """A presigned PUT for one seed file: ``{key, upload_url, headers, expires_in}``."""
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise SeedDataValidationError(
            f"content type {content_type!r} is not accepted; use one of "
            + ", ".join(ALLOWED_CONTENT_TYPES)
        )
    if size <= 0:
        raise SeedDataValidationError("seed data must not be empty")
    if size > MAX_SEED_BYTES:
        raise SeedDataValidationError(
            f"seed data is {size:,} bytes; the limit is {MAX_SEED_BYTES:,} bytes"
        )
    safe = _SAFE_NAME.sub("-", filename).strip("-.")[:100] or "seed-data.jsonl"
    key = f"{seed_prefix(user_id)}{uuid.uuid4().hex}/{safe}"
    url = s3_client.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": size},
        ExpiresIn=expires,
    )
    return {
        "key": key,
        "upload_url": url,
        "headers": {"Content-Type": content_type},
        "expires_in": expires,
    }


def read_seed_object(s3_client: Any, bucket: str, user_id: str, key: str) -> bytes:
    """The bytes of one of the caller's uploaded seed files (never anyone else's)."""
    if not key.startswith(seed_prefix(user_id)) or ".." in key:
        raise NotFoundError(f"seed data {key} not found")
    try:
        head = s3_client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            raise NotFoundError(f"seed data {key} not found (was the upload finished?)") from None
        raise
    if head["ContentLength"] > MAX_SEED_BYTES:
        raise SeedDataValidationError(
            f"seed data is {head['ContentLength']:,} bytes; the limit is {MAX_SEED_BYTES:,} bytes"
        )
    body: bytes = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def read_seed_source(
    s3_client: Any,
    bucket: str,
    user_id: str,
    *,
    sample_dataset: str | None,
    seed_data_key: str | None,
) -> tuple[str, bytes]:
    """``(key, bytes)`` of the seed data a request names: a shared sample or the caller's upload."""
    if sample_dataset is not None:
        key = sample_dataset_key(s3_client, bucket, sample_dataset)
        body: bytes = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return key, body
    key = str(seed_data_key)
    return key, read_seed_object(s3_client, bucket, user_id, key)
