"""Rendering steps: sandboxed, strict, reproducible, with earlier steps' outputs."""

from __future__ import annotations

import pytest

from plot_palette.errors import TemplateValidationError
from plot_palette.models import ModelRegistry
from plot_palette.templates import PromptTemplate, load_template, output_fields, render_step
from plot_palette.templates.filters import DEFAULT_STYLE, writing_style
from plot_palette.tokens import count_tokens, truncate_tokens

REGISTRY = ModelRegistry.load("us-east-1")
SEED = {
    "author": {
        "name": "Emily",
        "biography": "A lyric poet of death and slant rhyme.",
        "genre": "poetry",
    },
    "poem": {"title": "Hope", "text": "One. Two! Three? Four."},
    "tags": ["a", "b"],
}


def load(*prompts: str, output: dict[str, str] | None = None) -> PromptTemplate:
    steps = [{"id": f"s{n}", "prompt": p, "model_tier": "cheap"} for n, p in enumerate(prompts)]
    return load_template({"id": "t", "name": "T", "steps": steps, "output": output}, REGISTRY)


def test_steps_read_seed_fields_and_earlier_outputs() -> None:
    template = load("About {{ poem.title }}", "Given {{ steps.s0.output }}, by {{ author.name }}")
    assert render_step(template, "s0", SEED, {}, record_seed="1") == "About Hope"
    assert render_step(template, "s1", SEED, {"s0": "Q?"}, record_seed="1") == "Given Q?, by Emily"


def test_conditionals_and_loops() -> None:
    template = load(
        "{% if author.genre == 'poetry' %}verse{% else %}prose{% endif %}:"
        "{% for tag in tags %}{{ tag }}{% endfor %}"
    )
    assert render_step(template, "s0", SEED, {}, record_seed="1") == "verse:ab"


def test_a_field_missing_at_render_time_is_a_clear_error() -> None:
    template = load("{{ author.missing }}")
    with pytest.raises(TemplateValidationError, match="missing"):
        render_step(template, "s0", SEED, {}, record_seed="1")


def test_random_sentence_is_reproducible_per_record_and_varies_across_records() -> None:
    template = load("{{ poem.text | random_sentence }}")
    picks = {render_step(template, "s0", SEED, {}, record_seed=f"7:0:{n}") for n in range(40)}
    assert picks <= {"One.", "Two!", "Three?", "Four."}
    assert len(picks) > 1
    again = [render_step(template, "s0", SEED, {}, record_seed="7:0:3") for _ in range(5)]
    assert len(set(again)) == 1


def test_writing_style_keywords() -> None:
    assert (
        writing_style("A lyric poet of death, grief and slant rhyme.")
        == "elegiac, lyric, experimental"
    )
    assert writing_style("An accountant.") == DEFAULT_STYLE


def test_truncate_tokens_counts_tokens_not_characters() -> None:
    template = load("{{ poem.text | truncate_tokens(4) }}")
    rendered = render_step(template, "s0", SEED, {}, record_seed="1")
    assert rendered == "One. Two!"
    assert count_tokens(rendered) <= 4
    assert truncate_tokens("abc", 0) == ""
    assert truncate_tokens("short", 10) == "short"


def test_default_output_is_every_step_plus_the_seed_fields_used() -> None:
    template = load("{{ poem.title }}", "{{ author.name }} {{ steps.s0.output }}")
    assert output_fields(template, SEED, {"s0": "x", "s1": "y"}) == {
        "poem": {"title": "Hope"},
        "author": {"name": "Emily"},
        "s0": "x",
        "s1": "y",
    }


def test_an_output_mapping_picks_fields() -> None:
    template = load(
        "{{ poem.title }}", output={"question": "steps.s0.output", "title": "poem.title"}
    )
    assert output_fields(template, SEED, {"s0": "Q"}) == {"question": "Q", "title": "Hope"}
