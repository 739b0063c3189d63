"""Partition rules, id reading and deduplication: pure functions, no S3."""

from __future__ import annotations

import pytest

from plot_palette.exports import safe_partition_value, timestamp_partition
from plot_palette.exports.batches import SeenIds, data_lines, line_ids, worker_ids
from plot_palette.exports.partitions import field_value, path_values


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("Love Poems", "love-poems"),
        ("love/poems", "love-poems"),
        ("Café", "cafe"),
        ("../../etc", "etc"),
        ("_unknown", "unknown"),
        ("a.b_c-d", "a.b_c-d"),
        (True, "true"),
        (3, "3"),
        (2.5, "2.5"),
        ("", "_unknown"),
        ("   ", "_unknown"),
        (None, "_unknown"),
        ({"a": 1}, "_unknown"),
        ([1], "_unknown"),
    ],
)
def test_safe_partition_values(value: object, segment: str) -> None:
    assert safe_partition_value(value) == segment


def test_values_with_nothing_safe_left_stay_apart_and_long_ones_are_cut() -> None:
    poem, song = safe_partition_value("诗"), safe_partition_value("歌")
    assert poem.startswith("_h-") and song.startswith("_h-") and poem != song
    assert safe_partition_value("x" * 500) == "x" * 100


@pytest.mark.parametrize(
    ("created_at", "partition"),
    [
        ("2026-11-25T10:30:00.123456Z", "year=2026/month=11/day=25"),
        ("2026-11-25T23:30:00-02:00", "year=2026/month=11/day=26"),
        ("2026-11-25T00:30:00+01:00", "year=2026/month=11/day=24"),
        ("2026-11-25", "year=2026/month=11/day=25"),
        ("2026-13-45T00:00:00Z", "_unknown"),
        ("2026-11-25Tnonsense+01:00", "_unknown"),
        ("yesterday", "_unknown"),
        (None, "_unknown"),
        (1764000000, "_unknown"),
    ],
)
def test_timestamp_partitions(created_at: object, partition: str) -> None:
    assert timestamp_partition(created_at) == partition


def test_field_values_by_dotted_path() -> None:
    record = {"fields": {"category": "a", "n": 1}}
    assert field_value(record, "fields.category") == "a"
    assert field_value(record, "fields.missing") is None
    assert field_value(record, "fields.category.deeper") is None
    lines = [b'{"fields": {"category": "a"}}', b'{"fields": null}', b'{"other": 1}']
    assert path_values(lines, "fields.category") == ["a", None, None]
    assert path_values([b'{"fields": {"n": 1}}', b'{"fields": {"n": "x"}}'], "fields.n") == [1, "x"]


def test_ids_are_sliced_from_the_workers_line_shape_or_parsed() -> None:
    worker = [b'{"id": "' + b"a" * 32 + b'", "x": 1}', b'{"id": "' + b"b" * 32 + b'", "x": 2}']
    assert line_ids(worker) == ["a" * 32, "b" * 32]
    assert line_ids([b'{"x": 1, "id": "short"}', b'{"id": null}']) == ["short", None]
    assert line_ids([b'{"id": 7}', b'{"id": "s"}', b"[1]"]) == ["7", "s", None]
    assert data_lines(b'\n{"a": 1}\r\n  \n{"b": 2}') == [b'{"a": 1}\r', b'{"b": 2}']


A_LINE = b'{"id": "' + b"a" * 32 + b'", "x": "\\n{\\"id\\": 1}"}'
B_LINE = b'{"id": "' + b"b" * 32 + b'", "x": 2}'


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        (A_LINE + b"\n" + B_LINE + b"\n", ["a" * 32, "b" * 32]),
        (A_LINE + b"\n" + B_LINE, ["a" * 32, "b" * 32]),
        (A_LINE + b"\r\n" + B_LINE + b"\r\n", ["a" * 32, "b" * 32]),
        (A_LINE + b"\n" + A_LINE + b"\n", ["a" * 32, "a" * 32]),
        (A_LINE + b"\n\n" + B_LINE + b"\n", None),
        (A_LINE + b"\n" + B_LINE + b"\n\n", None),
        (A_LINE + b"\n  \n" + B_LINE, None),
        (b"\n" + A_LINE, None),
        (A_LINE + b'\n{"x": 1, "id": "short"}\n', None),
        (b'{"id": "' + b"a" * 31 + b'"}\n', None),
        (b'{"id": "' + b"a" * 31 + b'\\""}\n', None),
        (b"", None),
    ],
)
def test_worker_ids_read_every_line_of_the_workers_shape_or_none(
    body: bytes, ids: list[str] | None
) -> None:
    assert worker_ids(body) == ids
    if ids is not None:  # whenever the quick read answers, it agrees with the line by line one
        assert line_ids(data_lines(body)) == ids


def test_seen_ids_keep_the_first_of_each_id_and_count_repeats() -> None:
    seen = SeenIds()
    assert seen.all_fresh(["a", "b", None])
    assert not seen.all_fresh(["c", "c"])
    assert seen.fresh(["c", "c", "a", None, None]) == [True, False, False, True, True]
    assert seen.duplicates == 2
