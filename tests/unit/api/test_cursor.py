"""Pagination cursors round-trip, and anything else is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plot_palette.api.cursor import CursorError, decode_cursor, encode_cursor


@given(st.text(), st.text())
def test_a_cursor_round_trips(created_at: str, job_id: str) -> None:
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
