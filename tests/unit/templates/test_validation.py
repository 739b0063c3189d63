"""Templates are validated when they are saved: every mistake is a clear TemplateValidationError."""

from __future__ import annotations

from typing import Any

import pytest

from plot_palette.errors import TemplateValidationError
from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template

REGISTRY = ModelRegistry.load("us-east-1")


def template(*steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "t", "name": "T", "version": 1, "steps": list(steps), **extra}


def step(step_id: str, prompt: str = "Hi {{ x }}", **extra: Any) -> dict[str, Any]:
    return {"id": step_id, "prompt": prompt, "model_tier": "tier-1", **extra}


def test_a_valid_multi_step_template_loads() -> None:
    loaded = load_template(
        template(step("q", "Ask about {{ poem.text }}"), step("a", "Answer {{ steps.q.output }}")),
        REGISTRY,
    )
    assert loaded.step_ids == ["q", "a"]
    assert (loaded.steps[0].max_tokens, loaded.steps[0].output_allowance) == (None, 512)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (template(step("q", "{% if x %}unclosed")), "syntax error at line 1"),
        (template(step("q", "line one\n{{ x + }}")), "syntax error at line 2"),
        (template(step("q", "{{ steps.later.output }}"), step("later")), "runs after it"),
        (template(step("q", "{{ steps.nope.output }}")), "unknown step 'nope'"),
        (template(step("q", "{{ steps.q.output }}")), "its own output"),
        (template(step("q"), step("q")), "duplicate step id 'q'"),
        (template({"id": "q", "prompt": "x", "model": "gpt-9"}), "unknown model 'gpt-9'"),
        (template({"id": "q", "prompt": "x", "model_tier": "tier-9"}), "unknown model tier"),
        (template({"id": "q", "prompt": "x"}), "exactly one of model or model_tier"),
        (
            template({"id": "q", "prompt": "x", "model": "llama-3.1-8b", "model_tier": "tier-1"}),
            "exactly one of model or model_tier",
        ),
        (template({"id": "Bad Id", "prompt": "x", "model_tier": "tier-1"}), "step id"),
        (template(), "steps"),
        (template(step("q"), output={"f": "steps.zz.output"}), "steps.<step id>.output"),
        (template(step("q"), output={"f": "_secret"}), "not allowed"),
        (template(step("q", "{{ x | no_such_filter }}")), "unknown filter"),
        ({"id": "t"}, "name"),
        ("not a mapping", "mapping"),
    ],
)
def test_mistakes_are_refused_with_a_clear_message(data: Any, message: str) -> None:
    with pytest.raises(TemplateValidationError, match=message) as raised:
        load_template(data, REGISTRY)
    assert "Traceback" not in str(raised.value)


def test_a_model_unavailable_in_the_region_is_refused() -> None:
    eu = ModelRegistry.load("eu-west-1")
    with pytest.raises(TemplateValidationError, match="not available in eu-west-1"):
        load_template(template({"id": "q", "prompt": "x", "model": "llama-3.1-8b"}), eu)


def test_conditionals_and_loops_are_fine() -> None:
    prompt = (
        "{% if author.genre == 'poetry' %}verse{% else %}prose{% endif %}"
        "{% for line in poem.lines %}{{ loop.index }}: {{ line }}{% endfor %}"
    )
    assert load_template(template(step("q", prompt)), REGISTRY).step_ids == ["q"]


def test_the_adr_016_example_template_loads_with_aliases_and_declared_fields() -> None:
    from plot_palette.templates import required_fields

    adr = {
        "id": "creative-writing-v1",
        "name": "Creative Writing Story Generator",
        "version": 1,
        "schema_requirements": ["author.biography", "poem.text", "day.notes", "author.era"],
        "steps": [
            {
                "id": "outline",
                "model": "llama-3.1-8b",
                "prompt": "Generate a story outline using:\nAuthor: {{ author.name }}\n"
                "Theme: {{ poem.text[:100] }}\nSetting: {{ day.notes | random_sentence }}\n",
            },
            {
                "id": "expand",
                "model": "claude-sonnet",
                "prompt": "Expand this outline into a full story:\n{{ steps.outline.output }}\n"
                "Use {{ author.biography | writing_style }} style.\n",
            },
            {
                "id": "summary",
                "model": "llama-3.1-8b",
                "prompt": "Summarize this story in 2 sentences:\n{{ steps.expand.output }}\n",
            },
        ],
    }
    loaded = load_template(adr, REGISTRY)
    assert REGISTRY.resolve(loaded.steps[1]).model_id == "claude-3.7-sonnet"
    assert required_fields(loaded) == [
        "author.biography",
        "author.era",
        "author.name",
        "day.notes",
        "poem.text",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (template(step("q", max_tokens=9000)), "max_tokens"),
        (template(step("q"), schema_requirements=["author..name"]), "dotted seed field"),
        (
            template(
                step(
                    "q",
                    "{% for a in x %}{% for b in a %}{% for c in b %}{{ c }}"
                    "{% endfor %}{% endfor %}{% endfor %}",
                )
            ),
            "nested 2 deep at most",
        ),
        (template(step("q", "{{ x | center(9) }}")), "filter 'center' is not allowed"),
        (template(step("q", "{% macro m() %}{% endmacro %}{{ m() }}")), "cannot be called"),
        (template(step("q", "{{ '{}'.format(x) }}")), "attribute 'format' is not allowed"),
    ],
)
def test_limits_are_checked_at_save_time(data: Any, message: str) -> None:
    with pytest.raises(TemplateValidationError, match=message):
        load_template(data, REGISTRY)


def test_two_levels_of_loops_are_fine() -> None:
    prompt = "{% for poem in poems %}{% for line in poem.lines %}{{ line }}{% endfor %}{% endfor %}"
    assert load_template(template(step("q", prompt)), REGISTRY).step_ids == ["q"]


def test_max_tokens_must_fit_the_models_context_window() -> None:
    import json
    from importlib import resources

    data = json.loads(resources.files("plot_palette.models").joinpath("registry.json").read_text())
    for model in data["models"]:
        if model["id"] == "mistral-7b":
            model["context_window"] = 4096
    small = ModelRegistry(data, "us-east-1")
    with pytest.raises(TemplateValidationError, match="does not fit the 4,096-token context"):
        load_template(template(step("q", max_tokens=8000, model="mistral", model_tier=None)), small)
