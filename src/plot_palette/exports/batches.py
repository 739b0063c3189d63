"""Reading a job's output batches: committed ones only, in key order, fetched ahead, ids once.

Exports read the batches the checkpoint counts (an orphan a dying worker left is not part of
the dataset), in key order (``batch-NNNNN`` is zero-padded so text order is batch order). A few
batches are fetched ahead on threads so the network and the parsing overlap; memory holds at
most ``ahead + 1`` batches, never the dataset.
"""

from __future__ import annotations

import io
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import pyarrow as pa
import pyarrow.json as pj
from botocore.exceptions import ClientError

from plot_palette.records import RECORD_ID_LENGTH, outputs_prefix

READ_AHEAD = 4
_MISSING = {"NoSuchKey", "404"}


def read_json_object(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """A small JSON document from S3 (config, checkpoint), or None when there is none."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in _MISSING:
            return None
        raise
    loaded: dict[str, Any] = json.loads(body)
    return loaded


def batch_keys(s3: Any, bucket: str, job_id: str) -> list[str]:
    """Keys of the job's batches in batch order (zero-padded numbers sort as text)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=outputs_prefix(job_id)
    ):
        keys.extend(
            item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".jsonl")
        )
    return sorted(keys)


def committed_batch_keys(s3: Any, bucket: str, job_id: str) -> list[str]:
    """The batches the checkpoint counts; every batch when the job has no checkpoint."""
    keys = batch_keys(s3, bucket, job_id)
    checkpoint = read_json_object(s3, bucket, f"jobs/{job_id}/checkpoint.json")
    if checkpoint is None or checkpoint.get("current_batch") is None:
        return keys
    return keys[: int(checkpoint["current_batch"])]


def read_batches(s3: Any, bucket: str, keys: list[str], ahead: int = READ_AHEAD) -> Iterator[bytes]:
    """The raw bytes of each batch, in order, with up to ``ahead`` more being fetched."""

    def fetch(key: str) -> bytes:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    if not keys:
        return
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="batch-read") as pool:
        pending: deque[Future[bytes]] = deque()
        upcoming = iter(keys)
        for key in upcoming:
            pending.append(pool.submit(fetch, key))
            if len(pending) >= ahead:
                break
        while pending:
            body = pending.popleft().result()
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(fetch, following))
            yield body


@dataclass(frozen=True)
class Batches:
    """The committed batches of one job; ``bodies()`` reads them again on every call."""

    s3: Any
    bucket: str
    keys: list[str]

    def bodies(self) -> Iterator[bytes]:
        """Each batch's bytes, in order, fetched ahead."""
        return read_batches(self.s3, self.bucket, self.keys)


def data_lines(body: bytes) -> list[bytes]:
    """The non-blank lines of a batch, without their line ends."""
    return [line for line in body.split(b"\n") if line.strip()]


_ID_PREFIX = b'{"id": "'
_ID_ONLY = pj.ParseOptions(
    explicit_schema=pa.schema([pa.field("id", pa.string())]), unexpected_field_behavior="ignore"
)


def line_ids(lines: list[bytes]) -> list[str | None]:
    """The id of each record line, in order.

    The worker writes ``{"id": "<32 hex>", ...`` first on every line, so ids are sliced from
    there without parsing; lines of any other shape are parsed (by Arrow, or by ``json`` when
    Arrow cannot read them as one table).
    """
    start = len(_ID_PREFIX)
    end = start + RECORD_ID_LENGTH
    if all(line.startswith(_ID_PREFIX) and line[end : end + 1] == b'"' for line in lines):
        return [line[start:end].decode() for line in lines]
    try:
        table = pj.read_json(io.BytesIO(b"\n".join(lines)), parse_options=_ID_ONLY)
        if table.num_rows == len(lines):
            return list(table.column("id").to_pylist())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    return [_id_of(json.loads(line)) for line in lines]


# the worker's line start: ``{"id": "`` and an id of plain ASCII (no quote, backslash or newline)
_ID_TEXT = rb'\{"id": "([ !#-\[\]-~]{%d})"' % RECORD_ID_LENGTH
_FIRST_ID = re.compile(_ID_TEXT)
# every line end, with the id when a worker line follows: the literal ``\n`` lets the regex
# engine jump from one line end to the next
_NEXT_ID = re.compile(rb"\n(?:" + _ID_TEXT + rb")?")


def worker_ids(body: bytes) -> list[str] | None:
    """The ids of a batch whose every line starts as the worker writes it, else None.

    One pass in C over the whole batch (no split, no parse): when every line end but a final one
    is followed by a worker line, there is no blank line or line of another shape either, and the
    batch can be copied as it is.

    >>> worker_ids(b'{"id": "' + b"a" * 32 + b'", "n": 1}\\n') == ["a" * 32]
    True
    """
    first = _FIRST_ID.match(body)
    if first is None:
        return None
    ids: list[bytes] = _NEXT_ID.findall(body)
    if body.endswith(b"\n"):
        ids.pop()  # the final line end starts no line
    if b"" in ids:  # a line end followed by a blank line or a line of another shape
        return None
    ids.insert(0, first.group(1))
    # ids are ASCII without newlines: one decode and one split instead of one decode each
    return b"\n".join(ids).decode("ascii").split("\n")


def _id_of(record: Any) -> str | None:
    identity = record.get("id") if isinstance(record, dict) else None
    return None if identity is None else str(identity)


@dataclass
class SeenIds:
    """Record ids already exported, so a record a batch repeats is written once.

    The worker's deterministic ids and conditional writes should make repeats impossible; this
    is defence in depth, and the count goes into the manifest. It is the one structure that grows
    with the dataset (about 100 bytes a record). A record without an id is always kept.
    """

    seen: set[str] = field(default_factory=set)
    duplicates: int = 0

    def fresh(self, ids: Iterable[str | None]) -> list[bool]:
        """For each id, whether it is new (and remember it)."""
        keep: list[bool] = []
        for identity in ids:
            if identity is None:
                keep.append(True)
            elif identity in self.seen:
                keep.append(False)
                self.duplicates += 1
            else:
                self.seen.add(identity)
                keep.append(True)
        return keep

    def all_fresh(self, ids: Sequence[str | None]) -> bool:
        """True (and remembered) when no id repeats; the usual case, checked as sets."""
        named = len(ids) - ids.count(None)
        held = set(ids)
        held.discard(None)
        unique = cast("set[str]", held)  # None is gone; set operations in C, no Python loop
        if len(unique) == named and self.seen.isdisjoint(unique):
            self.seen |= unique
            return True
        return False


def iter_records(bodies: Iterable[bytes], seen: SeenIds) -> Iterator[dict[str, Any]]:
    """Every record of the batches, parsed with ``json``, each id once (the exact path)."""
    for body in bodies:
        for line in data_lines(body):
            record = json.loads(line)
            if seen.fresh([_id_of(record)])[0]:
                yield record
