"""Cheap statistics over every record of a job, in one pass and bounded memory.

- distinct-1 / distinct-2: distinct word unigrams (bigrams) over all unigrams (bigrams), the
  usual lexical-diversity measure of generated text. Distinct n-grams are counted exactly up to
  ``EXACT_LIMIT`` and by a HyperLogLog sketch (about 1% error) beyond, so memory stays flat.
- length: words per record, kept as a histogram (one counter per distinct length), from which
  min, p50, p90, max and mean are exact.
- exact duplicates: records whose normalised text hashes (BLAKE2b, 8 bytes) to one seen before.
- near duplicates: 64-bit SimHash of word 3-shingles; a record is a near duplicate when a record
  seen before differs in at most ``NEAR_BITS`` bits. Candidates are found through four 16-bit
  bands (two fingerprints within 3 bits always share a band), so a record is compared with a
  handful of others, not all. Fingerprints and hashes are kept for at most ``INDEX_LIMIT``
  records; later records are still checked against them.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

EXACT_LIMIT = 200_000
INDEX_LIMIT = 500_000
HLL_BITS = 14
NEAR_BITS = 3
SHINGLE = 3
_BANDS = 4
_BAND_BITS = 64 // _BANDS
_WORD = re.compile(r"\w+", re.UNICODE)


def record_text(record: dict[str, Any]) -> str:
    """The text a record's quality is judged on: every string in its ``fields``, in order."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(record.get("fields", record))
    return "\n".join(parts)


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class DistinctCounter:
    """How many distinct items were added: exact while small, a HyperLogLog sketch after."""

    def __init__(self, exact_limit: int = EXACT_LIMIT) -> None:
        self._exact: set[str] | None = set()
        self._limit = exact_limit
        self._registers = bytearray(1 << HLL_BITS)

    def add(self, item: str) -> None:
        value = _hash64(item)
        index = value >> (64 - HLL_BITS)
        rest = (value << HLL_BITS) & ((1 << 64) - 1)
        rank = 1
        while rank <= 64 - HLL_BITS and not rest & (1 << 63):
            rank += 1
            rest <<= 1
        if rank > self._registers[index]:
            self._registers[index] = rank
        if self._exact is not None:
            self._exact.add(item)
            if len(self._exact) > self._limit:
                self._exact = None  # the sketch (always kept) takes over

    def __len__(self) -> int:
        if self._exact is not None:
            return len(self._exact)
        m = len(self._registers)
        estimate = (0.7213 / (1 + 1.079 / m)) * m * m / sum(2.0**-r for r in self._registers)
        zeros = self._registers.count(0)
        if estimate <= 2.5 * m and zeros:
            estimate = m * math.log(m / zeros)
        return round(estimate)


def simhash(tokens: list[str]) -> int:
    """64-bit SimHash of the word shingles of a record (similar texts differ in few bits)."""
    if not tokens:
        return 0
    size = min(SHINGLE, len(tokens))
    weights = [0] * 64
    for start in range(len(tokens) - size + 1):
        value = _hash64(" ".join(tokens[start : start + size]))
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


class QualityStats:
    """Accumulates the statistics record by record; ``result()`` gives the contract's dict."""

    def __init__(self, index_limit: int = INDEX_LIMIT) -> None:
        self.records = 0
        self._unigrams = DistinctCounter()
        self._bigrams = DistinctCounter()
        self._unigram_total = 0
        self._bigram_total = 0
        self._lengths: Counter[int] = Counter()
        self._hashes: set[bytes] = set()
        self._bands: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(_BANDS)]
        self._indexed = 0
        self._index_limit = index_limit
        self.exact_duplicates = 0
        self.near_duplicates = 0

    def add(self, text: str) -> None:
        """Count one record's text."""
        self.records += 1
        tokens = words(text)
        self._lengths[len(tokens)] += 1
        for token in tokens:
            self._unigrams.add(token)
        for first, second in itertools.pairwise(tokens):
            self._bigrams.add(f"{first} {second}")
        self._unigram_total += len(tokens)
        self._bigram_total += max(0, len(tokens) - 1)
        digest = hashlib.blake2b(" ".join(tokens).encode(), digest_size=8).digest()
        if digest in self._hashes:
            self.exact_duplicates += 1
            return
        fingerprint = simhash(tokens)
        if self._near(fingerprint):
            self.near_duplicates += 1
        if self._indexed < self._index_limit:
            self._indexed += 1
            self._hashes.add(digest)
            for band, bucket in enumerate(self._bands):
                bucket[self._band(fingerprint, band)].append(fingerprint)

    def add_all(self, texts: Iterable[str]) -> QualityStats:
        for text in texts:
            self.add(text)
        return self

    @staticmethod
    def _band(fingerprint: int, band: int) -> int:
        return (fingerprint >> (band * _BAND_BITS)) & ((1 << _BAND_BITS) - 1)

    def _near(self, fingerprint: int) -> bool:
        for band, bucket in enumerate(self._bands):
            for other in bucket.get(self._band(fingerprint, band), ()):
                if (fingerprint ^ other).bit_count() <= NEAR_BITS:
                    return True
        return False

    def result(self) -> dict[str, Any]:
        """The ``stats`` object of the quality contract."""
        return {
            "records": self.records,
            "distinct_1": _ratio(len(self._unigrams), self._unigram_total),
            "distinct_2": _ratio(len(self._bigrams), self._bigram_total),
            "length": self._length_summary(),
            "exact_duplicates": self.exact_duplicates,
            "near_duplicates": self.near_duplicates,
        }

    def _length_summary(self) -> dict[str, float]:
        if not self.records:
            return {"min": 0, "p50": 0, "p90": 0, "max": 0, "mean": 0.0}
        ordered = sorted(self._lengths.items())
        total = sum(length * count for length, count in ordered)
        return {
            "min": ordered[0][0],
            "p50": _quantile(ordered, self.records, 0.5),
            "p90": _quantile(ordered, self.records, 0.9),
            "max": ordered[-1][0],
            "mean": round(total / self.records, 3),
        }


def _ratio(distinct: int, total: int) -> float:
    return round(min(distinct, total) / total, 4) if total else 0.0


def _quantile(ordered: list[tuple[int, int]], count: int, q: float) -> int:
    """The nearest-rank quantile from a sorted histogram."""
    rank = max(1, math.ceil(q * count))
    seen = 0
    for length, times in ordered:
        seen += times
        if seen >= rank:
            return length
    return ordered[-1][0]
