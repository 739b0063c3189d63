"""Seed data: parsing (a JSON object, a JSON array or JSON Lines) and checking required fields.

Record numbers in messages count from 1, as a person reading the file would. Files over
``MAX_SEED_BYTES`` (50 MiB) are refused: larger corpora belong in several files or a sample.
Values nested deeper than ``MAX_SEED_DEPTH`` levels are refused too: a few kilobytes of
brackets would otherwise exhaust the parser's (and every later reader's) recursion, and no seed
field needs that much structure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from plot_palette.errors import SeedDataValidationError

MAX_SEED_BYTES = 50 * 1024 * 1024
MAX_SEED_DEPTH = 32
_TOO_DEEP = f"nested deeper than {MAX_SEED_DEPTH} levels (the limit for seed data)"
MAX_MESSAGES = 20
MISSING = object()


def parse_seed_data(raw: bytes, *, max_bytes: int = MAX_SEED_BYTES) -> list[dict[str, Any]]:
    """Seed records from a JSON object, a JSON array of objects, or JSON Lines."""
    if len(raw) > max_bytes:
        raise SeedDataValidationError(
            f"seed data is {len(raw):,} bytes; the limit is {max_bytes:,} bytes"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SeedDataValidationError("seed data is not UTF-8 text") from None
    if not text.strip():
        raise SeedDataValidationError("seed data is empty")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return _json_lines(text)
    except RecursionError:
        raise SeedDataValidationError(f"seed data is {_TOO_DEEP}") from None
    records = document if isinstance(document, list) else [document]
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise SeedDataValidationError(f"seed record {number} is not a JSON object")
        if _depth(record) > MAX_SEED_DEPTH:
            raise SeedDataValidationError(f"seed record {number} is {_TOO_DEEP}")
    if not records:
        raise SeedDataValidationError("seed data holds no records")
    return records


def _depth(value: Any) -> int:
    """How deeply a parsed value nests (a flat object is 1), without recursing."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _json_lines(text: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise SeedDataValidationError(
                f"seed data line {line_number} is not valid JSON "
                f"({error.msg} at column {error.colno})"
            ) from None
        except RecursionError:
            raise SeedDataValidationError(f"seed data line {line_number} is {_TOO_DEEP}") from None
        if not isinstance(record, dict):
            raise SeedDataValidationError(f"seed data line {line_number} is not a JSON object")
        if _depth(record) > MAX_SEED_DEPTH:
            raise SeedDataValidationError(f"seed data line {line_number} is {_TOO_DEEP}")
        records.append(record)
    return records


def lookup(record: Any, path: str) -> Any:
    """The value at a dotted path, or ``MISSING``."""
    value = record
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def missing_by_record(
    records: Iterable[dict[str, Any]], required: Iterable[str]
) -> list[tuple[int, list[str]]]:
    """``(record number, [missing paths])`` of each record lacking a field (absent or null)."""
    paths = sorted(required)
    found = []
    for number, record in enumerate(records, start=1):
        absent = [
            path for path in paths if (value := lookup(record, path)) is MISSING or value is None
        ]
        if absent:
            found.append((number, absent))
    return found


def missing_fields(records: Iterable[dict[str, Any]], required: Iterable[str]) -> list[str]:
    """One message per missing field per record (absent or null counts as missing)."""
    return [
        f"Missing required field: {path} (record {number})"
        for number, absent in missing_by_record(records, required)
        for path in absent
    ]


def validate_seed_data(records: list[dict[str, Any]], required: Iterable[str]) -> None:
    """Raise naming every missing field and the record it is missing from."""
    messages = missing_fields(records, required)
    if messages:
        shown = "; ".join(messages[:MAX_MESSAGES])
        more = f"; and {len(messages) - MAX_MESSAGES} more" if len(messages) > MAX_MESSAGES else ""
        raise SeedDataValidationError(shown + more)
