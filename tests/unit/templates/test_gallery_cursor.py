"""Gallery cursors: only a key ``search`` could have issued reaches DynamoDB."""

from __future__ import annotations

import base64
import json

import pytest

from plot_palette.errors import PlotPaletteError
from plot_palette.templates.gallery import _decode, _encode

GALLERY_ID = "gal-0123456789abcdef0123"
STAMP = "2026-12-01T08:00:00.123456Z"


def forge(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_issued_cursors_decode_to_the_index_key() -> None:
    recent = _decode(_encode({"template_id": GALLERY_ID, "order": STAMP}), "recent")
    assert recent["published_at"] == {"S": STAMP}
    assert recent["template_id"] == {"S": GALLERY_ID}
    forks = _decode(_encode({"template_id": GALLERY_ID, "order": 3}), "forks")
    assert forks["forks"] == {"N": "3"}


@pytest.mark.parametrize(
    ("key", "sort"),
    [
        ({"template_id": GALLERY_ID, "order": ""}, "recent"),
        ({"template_id": GALLERY_ID, "order": "last week"}, "recent"),
        ({"template_id": "", "order": STAMP}, "recent"),
        ({"template_id": "gal-", "order": STAMP}, "recent"),
        ({"template_id": "tpl-0123456789abcdef0123", "order": STAMP}, "recent"),
        ({"template_id": GALLERY_ID, "order": 3}, "recent"),
        ({"template_id": GALLERY_ID, "order": STAMP}, "forks"),
        ({"template_id": GALLERY_ID, "order": True}, "forks"),
        ({"template_id": GALLERY_ID, "order": -1}, "forks"),
        ({"template_id": GALLERY_ID, "order": 10**40}, "forks"),
        ({"template_id": GALLERY_ID, "order": 1.5}, "forks"),
        ({"template_id": GALLERY_ID}, "forks"),
        ([GALLERY_ID, 3], "forks"),
    ],
)
def test_a_forged_cursor_is_refused(key: object, sort: str) -> None:
    with pytest.raises(PlotPaletteError, match="not one this API returned"):
        _decode(forge(key), sort)


def test_a_deeply_nested_cursor_is_refused_not_a_crash() -> None:
    with pytest.raises(PlotPaletteError):
        _decode(base64.urlsafe_b64encode(b"[" * 1500).decode(), "recent")
