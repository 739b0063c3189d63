"""Pagination cursors round-trip, and anything else is refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plot_palette.api.cursor import CursorError, decode_cursor, encode_cursor

STAMP = "2026-12-01T08:00:00.123456Z"


def forge(value: object) -> str:
    """A token encoded the way ``encode_cursor`` encodes, holding anything."""
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@given(st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)), st.text(min_size=1))
def test_a_cursor_round_trips(moment: datetime, job_id: str) -> None:
    created_at = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    token = encode_cursor((created_at, job_id))
    assert token is not None
    assert decode_cursor(token) == (created_at, job_id)


def test_no_position_is_no_cursor() -> None:
    assert encode_cursor(None) is None
    assert decode_cursor(None) is None
    assert decode_cursor("") is None


@pytest.mark.parametrize("token", ["!!!", "e30", "WzFd", "WzEsMl0", "bm90IGpzb24"])
def test_a_forged_cursor_is_refused(token: str) -> None:
    with pytest.raises(CursorError):
        decode_cursor(token)


@pytest.mark.parametrize(
    "position",
    [
        ["", "job-1"],
        [STAMP, ""],
        ["", ""],
        ["yesterday", "job-1"],
        ["2026-12-01", "job-1"],
        [STAMP + " ", "job-1"],
        {"created_at": STAMP, "job_id": "job-1"},
        [STAMP, 7],
        [STAMP, "job-1", "extra"],
    ],
)
def test_a_cursor_with_empty_or_misshapen_keys_is_refused(position: object) -> None:
    # empty strings would reach DynamoDB as empty key attributes: a ValidationException, a 500
    with pytest.raises(CursorError, match="not one this API returned"):
        decode_cursor(forge(position))


def test_a_deeply_nested_cursor_is_refused_not_a_crash() -> None:
    token = base64.urlsafe_b64encode(b"[" * 1500).decode()
    with pytest.raises(CursorError):
        decode_cursor(token)
