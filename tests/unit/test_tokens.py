"""The offline token estimate used for truncation and reservations."""

from __future__ import annotations

from plot_palette.tokens import count_tokens, max_tokens_bound, truncate_tokens


def test_words_cost_a_token_per_four_characters_and_symbols_one() -> None:
    assert count_tokens("Hope is the thing with feathers.") == 9
    assert count_tokens("") == 0
    assert count_tokens("extraordinarily") == 4


def test_truncation_keeps_the_longest_prefix_within_the_limit() -> None:
    text = "Because I could not stop for Death, He kindly stopped for me."
    for limit in range(0, 20):
        cut = truncate_tokens(text, limit)
        assert count_tokens(cut) <= limit
        assert text.startswith(cut)


def test_the_bound_is_never_below_the_estimate() -> None:
    for text in ["plain words", "詩と死", "a.b,c;d", "x" * 100]:
        assert max_tokens_bound(text) >= count_tokens(text)
