"""Schema detection: the dotted seed fields a template reads (ADR-017)."""

from __future__ import annotations

from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template, required_fields

REGISTRY = ModelRegistry.load("us-east-1")


def fields(*prompts: str, output: dict[str, str] | None = None) -> list[str]:
    steps = [
        {"id": f"s{n}", "prompt": prompt, "model_tier": "cheap"} for n, prompt in enumerate(prompts)
    ]
    return required_fields(
        load_template({"id": "t", "name": "T", "steps": steps, "output": output}, REGISTRY)
    )


def test_dotted_paths_even_when_sliced_or_filtered() -> None:
    assert fields(
        "{{ author.name }} {{ poem.text[:100] }} {{ day.notes | random_sentence }}",
        "{{ author.biography | writing_style }} {{ poem['title'] }}",
    ) == ["author.biography", "author.name", "day.notes", "poem.text", "poem.title"]


def test_steps_loop_and_set_variables_are_not_seed_fields() -> None:
    assert fields(
        "{% set intro = author.name %}{{ intro }}",
        "{% for line in poem.lines %}{{ line.text }}{% endfor %}{{ steps.s0.output }}",
    ) == ["author.name", "poem.lines"]


def test_conditions_count_and_a_whole_object_read_counts_once() -> None:
    assert fields("{% if author.genre == 'x' %}{{ author }}{% endif %}{{ topic }}") == [
        "author.genre",
        "topic",
    ]


def test_output_mapping_fields_count() -> None:
    assert fields("{{ a }}", output={"q": "steps.s0.output", "src": "meta.source"}) == [
        "a",
        "meta.source",
    ]
