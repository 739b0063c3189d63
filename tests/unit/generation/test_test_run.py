"""Template test runs: output shape, render errors at the step, the cost and seed caps."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from plot_palette.budget import bedrock_cost
from plot_palette.errors import ModelInvocationError, PlotPaletteError, TemplateValidationError
from plot_palette.generation.test_run import (
    MAX_TEST_RUN_COST_USD,
    prepare_template,
    run_test,
)
from plot_palette.local.model_endpoint import reply_text
from plot_palette.models import ModelRegistry, ModelReply
from plot_palette.models.choice import (
    BEDROCK,
    DRY_RUN,
    LOCAL_ENDPOINT,
    DryRunClient,
    ModelChoice,
    local_endpoint_url,
    model_override,
    open_model,
)
from plot_palette.tokens import count_tokens

REGISTRY = ModelRegistry.load("us-east-1")
DOCUMENT = {
    "name": "QA",
    "steps": [
        {
            "id": "question",
            "prompt": "Ask about {{ poem.title }}",
            "model": "llama-3.1-8b",
            "max_tokens": 50,
        },
        {
            "id": "answer",
            "prompt": "Answer: {{ steps.question.output }}",
            "model_tier": "premium",
            "max_tokens": 100,
        },
    ],
}


@dataclass
class FakeModel:
    """Answers ``out:<prompt>``, counts 10 in and 5 out; fails for prompts holding ``fail``."""

    prompts: list[tuple[str, str]] = field(default_factory=list)

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        self.prompts.append((model_id, prompt))
        if "fail" in prompt:
            raise ModelInvocationError(f"{model_id}: ValidationException: no")
        return ModelReply(f"out:{prompt}", 10, 5, 1)


def run(document: dict[str, Any], seeds: list[dict[str, Any]], choice: ModelChoice, model="x"):
    template = prepare_template(document, model if model != "x" else "local", REGISTRY)
    return asyncio.run(run_test(template, seeds, model=model, choice=choice, registry=REGISTRY))


def test_every_seed_and_step_has_its_prompt_output_tokens_cost_and_model() -> None:
    fake = FakeModel()
    result = run(
        DOCUMENT,
        [{"poem": {"title": "Rain"}}, {"poem": {"title": "Sun"}}],
        ModelChoice(fake, BEDROCK),
    ).as_dict()
    assert result["template_id"] == "test-run"
    assert result["answered_by"] == "bedrock"
    first = result["seeds"][0]
    assert first["error"] is None
    assert [step["step_id"] for step in first["steps"]] == ["question", "answer"]
    question, answer = first["steps"]
    assert question["prompt"] == "Ask about Rain"
    assert question["output"] == "out:Ask about Rain"
    assert answer["prompt"] == "Answer: out:Ask about Rain"
    assert (question["input_tokens"], question["output_tokens"]) == (10, 5)
    assert question["model_id"] == "llama-3.1-8b"
    assert answer["model_id"] == REGISTRY.best_in_tier("premium").model_id
    assert question["cost_usd"] == round(bedrock_cost(REGISTRY.spec("llama-3.1-8b"), 10, 5), 10)
    assert result["seeds"][1]["steps"][0]["prompt"] == "Ask about Sun"
    totals = result["totals"]
    assert totals["calls"] == 4
    assert (totals["input_tokens"], totals["output_tokens"], totals["errors"]) == (40, 20, 0)
    all_steps = [s for seed in result["seeds"] for s in seed["steps"]]
    assert totals["cost_usd"] == pytest.approx(sum(s["cost_usd"] for s in all_steps))
    assert totals["cost_usd"] > 0


def test_the_local_model_costs_nothing_and_says_so() -> None:
    result = run(DOCUMENT, [{"poem": {"title": "Rain"}}], ModelChoice(DryRunClient(), DRY_RUN))
    body = result.as_dict()
    assert body["answered_by"] == "dry-run"
    step = body["seeds"][0]["steps"][0]
    # the dry run is the local endpoint's own deterministic generator
    assert step["output"] == reply_text(
        REGISTRY.spec("llama-3.1-8b").bedrock_id, "Ask about Rain", 50
    )
    assert step["input_tokens"] == count_tokens("Ask about Rain")
    assert step["output_tokens"] == len(step["output"].split())
    assert body["totals"]["cost_usd"] == 0 and step["cost_usd"] == 0


def test_a_render_error_is_reported_at_its_step_and_other_seeds_still_run() -> None:
    fake = FakeModel()
    result = run(
        DOCUMENT, [{"title": "no poem"}, {"poem": {"title": "Sun"}}], ModelChoice(fake, BEDROCK)
    )
    broken, fine = result.as_dict()["seeds"]
    assert len(broken["steps"]) == 1
    assert broken["steps"][0]["prompt"] is None
    assert broken["steps"][0]["error"] == "step 'question': 'poem' is undefined"
    assert broken["error"] == broken["steps"][0]["error"]
    assert fine["error"] is None and len(fine["steps"]) == 2
    assert len(fake.prompts) == 2  # the broken seed made no call


def test_a_failed_model_call_is_reported_at_its_step() -> None:
    result = run(DOCUMENT, [{"poem": {"title": "fail"}}], ModelChoice(FakeModel(), BEDROCK))
    (seed,) = result.as_dict()["seeds"]
    assert seed["steps"][0]["error"] == "llama-3.1-8b: ValidationException: no".replace(
        "llama-3.1-8b", REGISTRY.spec("llama-3.1-8b").bedrock_id
    )
    assert len(seed["steps"]) == 1


def test_an_invalid_template_is_refused_before_anything_runs() -> None:
    with pytest.raises(TemplateValidationError, match="unknown step 'nope'"):
        prepare_template(
            {
                "name": "x",
                "steps": [{"id": "a", "prompt": "{{ steps.nope.output }}", "model_tier": "cheap"}],
            },
            "local",
            REGISTRY,
        )


def test_a_model_option_moves_every_step_to_that_model_or_tier() -> None:
    moved = prepare_template(DOCUMENT, "llama-3.1-8b", REGISTRY)
    assert {step.model for step in moved.steps} == {"llama-3.1-8b"}
    tiered = prepare_template(DOCUMENT, "cheap", REGISTRY)
    assert {step.model_tier for step in tiered.steps} == {"tier-1"}
    assert prepare_template(DOCUMENT, "template", REGISTRY).steps[1].model_tier == "premium"
    with pytest.raises(TemplateValidationError, match="unknown model 'gpt-9'"):
        model_override("gpt-9", REGISTRY)


def test_a_run_that_could_cost_over_the_cap_is_refused_before_any_call() -> None:
    steps = [
        {"id": f"s{n}", "prompt": "{{ t }}", "model_tier": "premium", "max_tokens": 8192}
        for n in range(11)
    ]
    big = {"name": "big", "steps": steps}
    fake = FakeModel()
    with pytest.raises(PlotPaletteError, match=f"at most \\${MAX_TEST_RUN_COST_USD:.2f}"):
        run(big, [{"t": "x"}] * 5, ModelChoice(fake, BEDROCK), model="template")
    assert fake.prompts == []
    # the same run on the local model is free, so it runs
    free = run(big, [{"t": "x"}] * 5, ModelChoice(fake, LOCAL_ENDPOINT), model="template")
    assert free.as_dict()["totals"]["calls"] == 55


def test_seeds_are_one_to_five() -> None:
    with pytest.raises(PlotPaletteError, match="1 to 5 seed records"):
        run(DOCUMENT, [{"poem": {"title": "x"}}] * 6, ModelChoice(FakeModel(), BEDROCK))


def test_a_run_over_its_time_is_refused() -> None:
    class Slow(FakeModel):
        async def converse(self, *args: Any, **kwargs: Any) -> ModelReply:
            await asyncio.sleep(10)
            raise AssertionError("unreachable")

    template = prepare_template(DOCUMENT, "local", REGISTRY)
    with pytest.raises(PlotPaletteError, match=r"took longer than 0\.05 s"):
        asyncio.run(
            run_test(
                template,
                [{"poem": {"title": "x"}}],
                model="local",
                choice=ModelChoice(Slow(), LOCAL_ENDPOINT),
                registry=REGISTRY,
                seconds=0.05,
            )
        )


def test_the_local_model_is_the_endpoint_in_the_local_cloud_and_a_dry_run_in_aws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # a Lambda's region; no call is made
    assert local_endpoint_url({"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:9"}) == (
        "http://127.0.0.1:9"
    )
    real = {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "https://bedrock-runtime.us-east-1.amazonaws.com"}
    assert local_endpoint_url(real) is None
    assert local_endpoint_url({}) is None
    with open_model("local", {}) as choice:
        assert choice.answered_by == DRY_RUN and choice.free
    with open_model("local", {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "http://127.0.0.1:9"}) as choice:
        assert choice.answered_by == LOCAL_ENDPOINT and choice.free
    with open_model("cheap", {}) as choice:
        assert choice.answered_by == BEDROCK and not choice.free
