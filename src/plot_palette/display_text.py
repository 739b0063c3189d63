"""Text that other people read: names, descriptions, tags and display names.

A published template's name reaches other users' browsers and terminals, a job's name reaches
the operator's. Control characters (an escape sequence can rewrite a terminal's screen, set its
title or hide the text before it) and Unicode's bidirectional controls (which make text read in
a different order than it is stored, "Trojan Source") have no place in any of them, so input
refuses them with the character and its position named. ``escaped`` makes text that was stored
before (or arrives from elsewhere) safe to print: each such character becomes a visible escape.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# Unicode's bidirectional formatting characters: marks, embeddings, overrides and isolates.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_LINE_BREAKS = frozenset("\n\t")


def _unsafe(char: str, *, multiline: bool) -> bool:
    if multiline and char in _LINE_BREAKS:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def check(value: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or ValueError naming the first unsafe character and where it is."""
    for position, char in enumerate(value, start=1):
        if _unsafe(char, multiline=multiline):
            raise ValueError(
                "must not contain control characters or bidirectional text controls "
                f"(U+{ord(char):04X} at character {position})"
            )
    return value


# A name, tag or display name: one line of plain text.
SingleLine = Annotated[str, AfterValidator(check)]
# A description: plain text whose lines may break (newlines and tabs are kept).
MultiLine = Annotated[str, AfterValidator(functools.partial(check, multiline=True))]


def escaped(value: str) -> str:
    """``value`` with each control character other than a line break or tab, and each
    bidirectional control, shown as an escape (``\\x1b``, ``\\u202e``) instead of acting."""
    if not any(_unsafe(char, multiline=True) for char in value):
        return value
    return "".join(
        (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
        if _unsafe(char, multiline=True)
        else char
        for char in value
    )
