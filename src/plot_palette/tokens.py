"""Token counting without a tokenizer download: a documented, deterministic approximation.

Bedrock bills the tokens its model's tokenizer counts, and returns them in every Converse
response; those true counts are what cost is computed from. Before a call, and for
``truncate_tokens``, we need an estimate that works offline for every model family:

* text is split into words (``\\w+``) and single non-space symbols;
* a word costs ``ceil(len(word) / 4)`` tokens (BPE vocabularies average about four characters
  of English per token), a symbol costs one.

It is close to real tokenizers for English prose (within about 15%). When a bound must never be
exceeded (the budget reservation), ``max_tokens_bound`` is used instead: no tokenizer in use
produces more tokens than the UTF-8 bytes of the text.
"""

from __future__ import annotations

import math
import re

_PIECES = re.compile(r"\w+|[^\w\s]", re.UNICODE)
CHARS_PER_TOKEN = 4


def _piece_tokens(piece: str) -> int:
    return math.ceil(len(piece) / CHARS_PER_TOKEN) if piece[0].isalnum() or piece[0] == "_" else 1


def count_tokens(text: str) -> int:
    """Estimated tokens in ``text``.

    >>> count_tokens("Hope is the thing with feathers.")
    9
    """
    return sum(_piece_tokens(piece) for piece in _PIECES.findall(text))


def truncate_tokens(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose estimated tokens do not exceed ``limit``."""
    if limit <= 0:
        return ""
    used = 0
    end = 0
    for match in _PIECES.finditer(text):
        cost = _piece_tokens(match.group())
        if used + cost > limit:
            return text[:end].rstrip()
        used += cost
        end = match.end()
    return text


def max_tokens_bound(text: str) -> int:
    """An upper bound on the tokens any model's tokenizer can count in ``text``."""
    return len(text.encode("utf-8"))
