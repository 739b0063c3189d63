"""Opaque pagination cursors: where the next page of a list starts, safe to hand to clients."""

from __future__ import annotations

import base64
import binascii
import json
import re

from plot_palette.errors import PlotPaletteError

# The shape ``utc_now`` writes into ``created_at`` (and so into every cursor this API issues).
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


class CursorError(PlotPaletteError):
    """A cursor that this API did not issue."""


def encode_cursor(position: tuple[str, str] | None) -> str | None:
    """``(created_at, job_id)`` -> a URL-safe token (None stays None: there is no next page)."""
    if position is None:
        return None
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> tuple[str, str] | None:
    """The position a cursor names; anything malformed is a ``CursorError`` (a 400)."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created_at, job_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise CursorError("cursor is not one this API returned") from None
    # Both become key attributes of a DynamoDB ExclusiveStartKey, which refuses empty strings
    # (a 500 if they reached it); a cursor we issued always has a timestamp and an id.
    if (
        not isinstance(created_at, str)
        or not isinstance(job_id, str)
        or not TIMESTAMP.fullmatch(created_at)
        or not job_id
    ):
        raise CursorError("cursor is not one this API returned")
    return created_at, job_id
