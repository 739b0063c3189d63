"""Seed generation: the prompt, strict parsing, one retry, the caps, the local model's answer."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from plot_palette.errors import PlotPaletteError, SeedDataValidationError
from plot_palette.local.model_endpoint import answer_text, seed_reply_text
from plot_palette.models import ModelRegistry, ModelReply
from plot_palette.models.choice import (
    BEDROCK,
    DRY_RUN,
    DryRunClient,
    ModelChoice,
    single_model,
)
from plot_palette.seed_data.generate import (
    MAX_GENERATED_SEEDS,
    RECORDS_PER_CALL,
    generate_seed_records,
    generated_seed_key,
    parse_seed_lines,
    seed_prompt,
    write_generated_seeds,
)
from plot_palette.templates import load_template, parse_seed_data, required_fields
from plot_palette.templates.seeds import missing_by_record
from plot_palette.templates.store import builtin_templates

REGISTRY = ModelRegistry.load("us-east-1")
POEMS = load_template(builtin_templates()["poem-questions"], REGISTRY)
FIELDS = required_fields(POEMS)
CHEAP = single_model("local", REGISTRY)


@dataclass
class Scripted:
    """Answers from a script, one per call, and remembers the prompts."""

    answers: list[str]
    prompts: list[str] = field(default_factory=list)

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        self.prompts.append(prompt)
        return ModelReply(self.answers[len(self.prompts) - 1], 100, 50, 1)


def generate(choice: ModelChoice, count: int, **kwargs: Any) -> Any:
    return asyncio.run(
        generate_seed_records(POEMS, FIELDS, count, spec=CHEAP, choice=choice, **kwargs)
    )


def test_the_fields_are_the_templates_required_ones() -> None:
    assert FIELDS == ["author.biography", "author.name", "category", "poem.text", "poem.title"]


def test_the_prompt_names_the_count_fields_and_instructions() -> None:
    prompt = seed_prompt(POEMS, FIELDS, 7, instructions="Victorian poets only", part=3)
    assert "Write exactly 7 different JSON objects, one per line" in prompt
    assert ": author.biography, author.name, category, poem.text, poem.title" in prompt
    assert "Victorian poets only" in prompt
    assert "Set 3" in prompt
    assert POEMS.name in prompt


def test_parsing_is_strict_per_line() -> None:
    text = "\n".join(
        [
            "```json",
            '{"a": "x", "b": {"c": "y"}}',
            "",
            '{"a": "x"}',  # b.c missing
            '{"a": null, "b": {"c": "y"}}',  # null counts as missing
            "[1, 2]",
            "Here you go!",
            "```",
        ]
    )
    records, invalid = parse_seed_lines(text, ["a", "b.c"])
    assert records == [{"a": "x", "b": {"c": "y"}}]
    assert invalid == 4


def test_the_local_model_answers_seed_prompts_with_valid_records_deterministically() -> None:
    prompt = seed_prompt(POEMS, FIELDS, 10)
    text = seed_reply_text("m", prompt, 4096)
    assert text == seed_reply_text("m", prompt, 4096)
    assert text == answer_text("m", prompt, 4096)
    records, invalid = parse_seed_lines(text or "", FIELDS)
    assert (len(records), invalid) == (10, 0)
    assert not missing_by_record(records, FIELDS)
    assert len({json.dumps(r, sort_keys=True) for r in records}) == 10
    assert seed_reply_text("m", "Write a haiku about rain", 100) is None
    # never past max_tokens words (beyond the first record)
    short = seed_reply_text("m", prompt, 60) or ""
    assert 1 <= len(short.splitlines()) < 10


def test_a_generation_on_the_local_model_makes_the_count_in_calls_of_ten() -> None:
    client = DryRunClient()
    made = generate(ModelChoice(client, DRY_RUN), 23)
    assert len(made.records) == 23 and made.dropped == 0 and made.requested == 23
    assert client.calls == 3  # 10 + 10 + 3
    assert made.cost_usd == 0
    assert not missing_by_record(made.records, FIELDS)
    assert len({json.dumps(r, sort_keys=True) for r in made.records}) == 23


def test_invalid_lines_are_asked_for_once_more_then_dropped_and_counted() -> None:
    good = json.dumps({f: "x" for f in ["category"]})
    record = {
        "author": {"biography": "b", "name": "n"},
        "category": "c",
        "poem": {"text": "t", "title": "t"},
    }
    line = json.dumps(record)
    scripted = Scripted([f"{line}\nnot json\n{good}\n{line}", f"{line}\nstill bad"])
    made = generate(ModelChoice(scripted, BEDROCK), 4)
    assert len(made.records) == 3
    assert made.dropped == 1
    assert len(scripted.prompts) == 2
    assert "Write exactly 2 different JSON objects" in scripted.prompts[1]
    assert made.cost_usd > 0  # a real model's calls are billed


def test_no_valid_record_is_an_error_and_nothing_to_save() -> None:
    with pytest.raises(PlotPaletteError, match="no valid seed record"):
        generate(ModelChoice(Scripted(["nope", "nope"]), BEDROCK), 2)


def test_the_count_is_capped() -> None:
    with pytest.raises(SeedDataValidationError, match=f"1 to {MAX_GENERATED_SEEDS}"):
        generate(ModelChoice(DryRunClient(), DRY_RUN), MAX_GENERATED_SEEDS + 1)
    with pytest.raises(SeedDataValidationError):
        generate(ModelChoice(DryRunClient(), DRY_RUN), 0)


def test_a_real_model_whose_worst_case_is_over_the_cost_cap_is_refused_before_calling() -> None:
    premium = REGISTRY.best_in_tier("premium")
    scripted = Scripted([])
    with pytest.raises(PlotPaletteError, match="could cost up to"):
        asyncio.run(
            generate_seed_records(
                POEMS, FIELDS, 100, spec=premium, choice=ModelChoice(scripted, BEDROCK)
            )
        )
    assert scripted.prompts == []


def test_a_template_reading_no_field_needs_no_generated_seeds() -> None:
    plain = load_template(
        {"id": "p", "name": "P", "steps": [{"id": "s", "prompt": "Hi", "model_tier": "cheap"}]},
        REGISTRY,
    )
    with pytest.raises(SeedDataValidationError, match="reads no seed field"):
        asyncio.run(
            generate_seed_records(
                plain, [], 3, spec=CHEAP, choice=ModelChoice(DryRunClient(), DRY_RUN)
            )
        )


def test_the_file_is_jsonl_in_the_callers_generated_prefix() -> None:
    class S3:
        put: dict[str, Any] = {}

        def put_object(self, **kwargs: Any) -> None:
            self.put.update(kwargs)

    s3 = S3()
    key = write_generated_seeds(s3, "bucket", "user-1", [{"a": "é"}, {"a": "b"}])
    assert key.startswith("seed-data/user-1/generated/") and key.endswith(".jsonl")
    assert s3.put["ContentType"] == "application/x-ndjson"
    assert parse_seed_data(s3.put["Body"]) == [{"a": "é"}, {"a": "b"}]
    assert generated_seed_key("u") != generated_seed_key("u")
    assert RECORDS_PER_CALL == 10
