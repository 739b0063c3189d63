"""Opaque pagination cursors: where the next page of a list starts, safe to hand to clients."""

from __future__ import annotations

import base64
import binascii
import json

from plot_palette.errors import PlotPaletteError


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
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise CursorError("cursor is not one this API returned") from None
    if not isinstance(created_at, str) or not isinstance(job_id, str):
        raise CursorError("cursor is not one this API returned")
    return created_at, job_id
