"""A streaming S3 writer: multipart upload, memory bounded by one part.

The object appears only when the upload completes, so a reader sees the old export or the new
one, never half a file; an aborted upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from types import TracebackType
from typing import Any

PART_SIZE = 8 * 1024 * 1024  # S3 takes parts of 5 MiB to 5 GiB


class StreamingUpload:
    """``write`` bytes, then ``close``; use as a context manager to abort on error."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.closed = False

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        """Parts go out as they fill; nothing to flush early."""

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.size += len(data)
        self.sha256.update(data)
        if len(self._buffer) >= PART_SIZE:
            self._flush()
        return len(data)

    def _flush(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._content_type
            )["UploadId"]
        number = len(self._parts) + 1
        response = self._s3.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(self._buffer),
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer.clear()

    def close(self) -> None:
        """Publish the object (a small one with one PUT, a large one by completing the upload)."""
        if self.closed:
            return
        if self._upload_id is None:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key,
                Body=bytes(self._buffer),
                ContentType=self._content_type,
            )
        else:
            if self._buffer:
                self._flush()
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self.closed = True

    def abort(self) -> None:
        if self._upload_id is not None and not self.closed:
            self._s3.abort_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
            )

    def __enter__(self) -> StreamingUpload:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
