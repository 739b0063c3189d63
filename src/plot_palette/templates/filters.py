"""Filters for prompts: ``random_sentence``, ``writing_style`` and ``truncate_tokens``.

``random_sentence`` must give the same sentence for the same record every time (a relaunched
worker regenerates the same prompt), so its randomness is seeded from the job's seed and the
record's indexes, which the renderer puts in the context under ``RECORD_SEED``; templates
cannot read that name themselves (names starting with ``_`` are refused).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from plot_palette.tokens import truncate_tokens

RECORD_SEED = "_record_seed"
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z][a-z'-]+")

# Words that describe how someone writes, grouped so a biography's wording maps to keywords.
STYLE_LEXICON = {
    "lyric": ("lyric", "lyrical", "musical", "song", "melodic"),
    "ironic": ("ironic", "irony", "satire", "satirical", "wit", "witty", "comedy", "comic"),
    "gothic": ("gothic", "horror", "macabre", "dark", "uncanny"),
    "free verse": ("free verse", "cataloguing", "long lines"),
    "formal": ("formal", "strict", "meter", "meters", "traditional", "sonnet", "ballad"),
    "minimalist": ("minimalist", "spare", "short", "terse", "plain", "plain-spoken"),
    "visionary": ("visionary", "mystical", "prophetic", "symbolism", "symbolic"),
    "sensuous": ("sensuous", "imagery", "vivid", "lush"),
    "elegiac": ("elegy", "elegiac", "death", "mortality", "grief", "melancholic", "melancholy"),
    "devotional": ("devotional", "religious", "faith", "spiritual"),
    "speculative": ("speculative", "fantasy", "science", "galvanism"),
    "philosophical": ("metaphysical", "philosophical", "meditation", "reflective"),
    "natural": ("nature", "rural", "pastoral", "landscape"),
    "social": ("social", "class", "manners", "democracy", "protest"),
    "experimental": ("experimental", "unconventional", "dashes", "slant rhyme", "avant-garde"),
}
DEFAULT_STYLE = "clear, vivid, expressive"


def _record_random(context: Context, salt: str) -> random.Random:
    seed = context.get(RECORD_SEED, "")
    digest = hashlib.sha256(f"{seed}\x1f{salt}".encode()).digest()
    return random.Random(digest)


@pass_context
def random_sentence(context: Context, text: Any) -> str:
    """One sentence of ``text``, the same one for the same record on every run."""
    sentences = [part.strip() for part in _SENTENCES.split(str(text)) if part.strip()]
    if not sentences:
        return ""
    return _record_random(context, str(text)).choice(sentences)


def writing_style(biography: Any, limit: int = 3) -> str:
    """Style keywords a biography suggests, most mentioned first (a default when none match)."""
    text = str(biography).lower()
    scores: Counter[str] = Counter()
    for keyword, cues in STYLE_LEXICON.items():
        for cue in cues:
            if " " in cue or "-" in cue:
                scores[keyword] += text.count(cue)
            else:
                scores[keyword] += sum(1 for word in _WORD.findall(text) if word == cue)
    ranked = [keyword for keyword, score in scores.most_common() if score > 0]
    return ", ".join(ranked[:limit]) if ranked else DEFAULT_STYLE


def truncate_tokens_filter(text: Any, limit: int = 256) -> str:
    """``text`` cut to at most ``limit`` tokens (see ``plot_palette.tokens`` for the counting)."""
    return truncate_tokens(str(text), int(limit))


FILTERS: dict[str, Callable[..., Any]] = {
    "random_sentence": random_sentence,
    "writing_style": writing_style,
    "truncate_tokens": truncate_tokens_filter,
}
