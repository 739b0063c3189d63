"""Seed data: a JSON object, a JSON array or JSON Lines, with every missing field named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plot_palette.errors import SeedDataValidationError
from plot_palette.templates import missing_fields, parse_seed_data, validate_seed_data


def test_the_three_accepted_shapes() -> None:
    assert parse_seed_data(b'{"a": 1}') == [{"a": 1}]
    assert parse_seed_data(b'[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]
    assert parse_seed_data(b'{"a": 1}\n\n{"a": 2}\n') == [{"a": 1}, {"a": 2}]
    assert parse_seed_data('\ufeff{"t": "café"}'.encode()) == [{"t": "café"}]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"[]", "no records"),
        (b"[1, 2]", "record 1 is not a JSON object"),
        (b'{"a": 1}\n{"a": \n', "line 2 is not valid JSON"),
        (b'{"a": 1}\n[1]\n', "line 2 is not a JSON object"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_malformed_seed_data_is_refused_clearly(raw: bytes, message: str) -> None:
    with pytest.raises(SeedDataValidationError, match=message):
        parse_seed_data(raw)


def test_files_over_the_limit_are_refused() -> None:
    with pytest.raises(SeedDataValidationError, match="limit is 10 bytes"):
        parse_seed_data(b'{"a": "long enough"}', max_bytes=10)


def test_every_missing_field_and_record_is_named() -> None:
    records: list[dict[str, Any]] = [
        {"author": {"biography": "x"}, "poem": {"text": "y"}} for _ in range(20)
    ]
    records[16] = {"author": {}, "poem": {"text": "y"}}
    records[3] = {"author": {"biography": None}}
    messages = missing_fields(records, ["author.biography", "poem.text"])
    assert messages == [
        "Missing required field: author.biography (record 4)",
        "Missing required field: poem.text (record 4)",
        "Missing required field: author.biography (record 17)",
    ]
    with pytest.raises(SeedDataValidationError, match=r"author\.biography \(record 17\)"):
        validate_seed_data(records, ["author.biography", "poem.text"])


def test_long_lists_of_problems_are_summarised() -> None:
    records: list[dict[str, Any]] = [{} for _ in range(30)]
    with pytest.raises(SeedDataValidationError, match="and 10 more"):
        validate_seed_data(records, ["a"])


def test_list_indexes_in_paths() -> None:
    validate_seed_data([{"lines": ["a", "b"]}], ["lines.1"])
    assert missing_fields([{"lines": ["a"]}], ["lines.1"]) != []
    assert json.loads(json.dumps(parse_seed_data(b'[{"n": null}]'))) == [{"n": None}]


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        # a 2 KB file, 1,000 levels deep: the parser's own recursion would give out
        ('{"a":' * 1000 + "1" + "}" * 1000, "seed data is"),
        ("[" + '{"a":' * 1000 + "1" + "}" * 1000 + "]", "seed data is"),
        ('{"ok": 1}\n' + '{"a":' * 1000 + "1" + "}" * 1000, "seed data line 2 is"),
        # parses, but deeper than seed data may be
        ('[{"ok": 1}, ' + '{"a":' * 40 + "1" + "}" * 40 + "]", "seed record 2 is"),
        ('{"ok": 1}\n' + '{"a":[' * 20 + "1" + "]}" * 20, "seed data line 2 is"),
    ],
    ids=["object", "array", "json-lines", "record-2", "line-2"],
)
def test_deep_nesting_is_refused_with_the_limit_named(raw: str, where: str) -> None:
    with pytest.raises(SeedDataValidationError) as refused:
        parse_seed_data(raw.encode())
    assert str(refused.value) == f"{where} nested deeper than 32 levels (the limit for seed data)"


def test_nesting_up_to_the_limit_is_kept() -> None:
    raw = '{"a":' * 30 + '{"b": [1]}' + "}" * 30  # 32 levels
    (record,) = parse_seed_data(raw.encode())
    assert "a" in record
