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


def test_fields_read_through_default_or_tested_for_definedness_are_optional() -> None:
    assert fields(
        "{{ author.nickname | default('friend') }} {{ author.name }}",
        "{% if poem.subtitle is defined %}{{ poem.subtitle.text }}{% endif %}{{ poem.title }}",
        "{{ day.mood | d(day.weather) }}",
    ) == ["author.name", "day.weather", "poem.title"]


def test_a_field_read_both_with_and_without_default_is_required() -> None:
    assert fields("{{ topic | default('x') }} and again {{ topic }}") == ["topic"]


def test_declared_schema_requirements_join_the_detected_fields() -> None:
    loaded = load_template(
        {
            "id": "t",
            "name": "T",
            "schema_requirements": ["meta.source", "author"],
            "steps": [{"id": "s", "prompt": "{{ author.name }}", "model_tier": "cheap"}],
        },
        REGISTRY,
    )
    assert required_fields(loaded) == ["author.name", "meta.source"]
