"""The streaming upload against a recording fake client: parts, bounds, abort, small objects."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest

from plot_palette.exports import upload as upload_module
from plot_palette.exports.upload import StreamingUpload


class FakeS3:
    """Records the calls a StreamingUpload makes and the most parts ever in flight."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.parts: dict[int, bytes] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.part_checksums: set[str | None] = set()
        self.lock = threading.Lock()

    def create_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("create", kwargs))
        return {"UploadId": "u-1"}

    def upload_part(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.parts[kwargs["PartNumber"]] = kwargs["Body"]
        self.part_checksums.add(kwargs.get("ChecksumAlgorithm"))
        with self.lock:
            self.in_flight -= 1
        return {"ETag": f'"e{kwargs["PartNumber"]}"', "ChecksumCRC32": f"c{kwargs['PartNumber']}"}

    def complete_multipart_upload(self, **kwargs: Any) -> None:
        self.calls.append(("complete", kwargs))

    def abort_multipart_upload(self, **kwargs: Any) -> None:
        self.calls.append(("abort", kwargs))

    def put_object(self, **kwargs: Any) -> None:
        self.calls.append(("put", kwargs))


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_module, "PART_SIZE", 10)


def test_a_large_object_goes_out_in_ordered_parts_with_its_checksum() -> None:
    s3 = FakeS3()
    data = bytes(range(256)) * 3
    with StreamingUpload(s3, "b", "k", "text/plain") as upload:
        for start in range(0, len(data), 7):
            upload.write(data[start : start + 7])
    assert b"".join(s3.parts[n] for n in sorted(s3.parts)) == data
    assert s3.most_in_flight <= upload_module.IN_FLIGHT
    kinds = [kind for kind, _ in s3.calls]
    assert kinds == ["create", "complete"]
    parts = s3.calls[-1][1]["MultipartUpload"]["Parts"]
    assert [part["PartNumber"] for part in parts] == list(range(1, len(s3.parts) + 1))
    assert upload.sha256 == hashlib.sha256(data).hexdigest() and upload.size == len(data)


def test_every_part_carries_a_crc32_that_completion_hands_back() -> None:
    s3 = FakeS3()
    with StreamingUpload(s3, "b", "k", "text/plain") as upload:
        upload.write(bytearray(b"x" * 10))  # a writer may hand over any bytes-like object
        upload.write(memoryview(b"y" * 10))
        upload.write(b"z" * 5)
    assert s3.calls[0][1]["ChecksumAlgorithm"] == "CRC32" and s3.part_checksums == {"CRC32"}
    parts = s3.calls[-1][1]["MultipartUpload"]["Parts"]
    assert [part["ChecksumCRC32"] for part in parts] == ["c1", "c2", "c3"]
    assert b"".join(s3.parts[n] for n in sorted(s3.parts)) == b"x" * 10 + b"y" * 10 + b"z" * 5


def test_a_small_object_is_one_put() -> None:
    s3 = FakeS3()
    with StreamingUpload(s3, "b", "k", "text/plain") as upload:
        upload.write(b"tiny")
    assert [kind for kind, _ in s3.calls] == ["put"] and s3.calls[0][1]["Body"] == b"tiny"
    assert upload.tell() == 4 and upload.writable()
    upload.close()  # closing twice is harmless
    with pytest.raises(ValueError, match="already closed"):
        upload.write(b"more")


def test_an_error_aborts_the_upload_and_later_writes_go_nowhere() -> None:
    s3 = FakeS3()
    with pytest.raises(RuntimeError), StreamingUpload(s3, "b", "k", "text/plain") as upload:
        upload.write(b"x" * 25)
        raise RuntimeError("the export failed")
    assert [kind for kind, _ in s3.calls] == ["create", "abort"]
    assert upload.write(b"late bytes from a writer's finaliser") > 0
    assert [kind for kind, _ in s3.calls] == ["create", "abort"]
