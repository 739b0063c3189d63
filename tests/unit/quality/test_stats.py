"""The cheap statistics: diversity, lengths and duplicates, computed independently here."""

from __future__ import annotations

import random

import pytest

from plot_palette.quality.stats import (
    DistinctCounter,
    QualityStats,
    record_text,
    simhash,
    words,
)


def test_record_text_walks_every_string_of_the_fields_in_order() -> None:
    record = {
        "id": "r-1",
        "fields": {"q": "Why?", "nested": {"a": "one", "n": 3}, "list": ["two", None, "three"]},
    }
    assert record_text(record) == "Why?\none\ntwo\nthree"


def test_distinct_ratios_and_lengths_match_a_hand_count() -> None:
    stats = QualityStats().add_all(["the cat sat", "the cat ran far", "a dog"])
    result = stats.result()
    # unigrams: the cat sat the cat ran far a dog -> 9 total, 7 distinct
    assert result["distinct_1"] == round(7 / 9, 4)
    # bigrams: the-cat cat-sat | the-cat cat-ran ran-far | a-dog -> 6 total, 5 distinct
    assert result["distinct_2"] == round(5 / 6, 4)
    assert result["length"] == {"min": 2, "p50": 3, "p90": 4, "max": 4, "mean": 3.0}
    assert result["records"] == 3
    assert result["exact_duplicates"] == 0


def test_exact_duplicates_ignore_case_and_punctuation_only() -> None:
    stats = QualityStats().add_all(
        ["Roses are red.", "roses ARE red", "Roses are blue.", "Roses are red!"]
    )
    assert stats.result()["exact_duplicates"] == 2


def test_a_one_word_edit_in_a_long_text_is_a_near_duplicate_and_unrelated_text_is_not() -> None:
    rng = random.Random(7)
    vocabulary = [f"word{n}" for n in range(5000)]
    base = [rng.choice(vocabulary) for _ in range(400)]
    edited = list(base)
    edited[200] = "changed"
    unrelated = [rng.choice(vocabulary) for _ in range(400)]
    assert (simhash(base) ^ simhash(edited)).bit_count() <= 3
    stats = QualityStats().add_all([" ".join(base), " ".join(edited), " ".join(unrelated)])
    result = stats.result()
    assert result["exact_duplicates"] == 0
    assert result["near_duplicates"] == 1


def test_no_records_give_zeros_not_errors() -> None:
    assert QualityStats().result() == {
        "records": 0,
        "distinct_1": 0.0,
        "distinct_2": 0.0,
        "length": {"min": 0, "p50": 0, "p90": 0, "max": 0, "mean": 0.0},
        "exact_duplicates": 0,
        "near_duplicates": 0,
    }


@pytest.mark.parametrize("distinct", [1000, 50_000])
def test_the_sketch_takes_over_past_the_exact_limit_within_a_few_percent(distinct: int) -> None:
    counter = DistinctCounter(exact_limit=500)
    for n in range(distinct):
        counter.add(f"item-{n}")
        counter.add(f"item-{n}")  # repeats do not count
    assert abs(len(counter) - distinct) / distinct < 0.05


def test_words_are_lower_cased_unicode_tokens() -> None:
    assert words("Ça va? Très BIEN, merci-2") == ["ça", "va", "très", "bien", "merci", "2"]
