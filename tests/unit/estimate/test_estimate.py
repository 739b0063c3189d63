"""The estimate shown before a job runs: per-step tokens and cost, expected and worst case."""

from __future__ import annotations

import asyncio
import doctest

import pytest

import plot_palette.estimate
from plot_palette.budget import BudgetGuard, Reservation, bedrock_cost, max_call_cost
from plot_palette.estimate import EXPECTED_OUTPUT_SHARE, estimate_job
from plot_palette.generation import RecordEngine
from plot_palette.generation.engine import MESSAGE_OVERHEAD_TOKENS
from plot_palette.models import ModelRegistry, ModelReply
from plot_palette.templates import PromptTemplate, load_template
from plot_palette.tokens import count_tokens

REGISTRY = ModelRegistry.load("us-east-1")
TWO_STEPS = {
    "id": "t",
    "name": "T",
    "steps": [
        {"id": "a", "prompt": "Say {{ word }}", "model": "llama-3.1-8b", "max_tokens": 100},
        {
            "id": "b",
            "prompt": "Then {{ steps.a.output }}",
            "model": "claude-3.5-sonnet",
            "max_tokens": 10,
        },
    ],
}


def two_steps() -> PromptTemplate:
    return load_template(TWO_STEPS, REGISTRY)


def test_expected_and_worst_case_tokens_and_cost_per_step() -> None:
    estimate = estimate_job(
        two_steps(), [{"word": "hello"}, {"word": "extraordinarily"}], 1000, REGISTRY
    )
    first, second = estimate.steps
    # "Say hello" = 1 + 2 tokens; "Say extraordinarily" = 1 + 4 tokens
    assert first.input_tokens == pytest.approx((3 + 5) / 2)
    assert first.output_tokens == 100 * EXPECTED_OUTPUT_SHARE == 60
    # "Then" + step a's expected 60 output tokens
    assert second.input_tokens == 1 + 60
    llama, sonnet = REGISTRY.spec("llama-3.1-8b"), REGISTRY.spec("claude-3.5-sonnet")
    assert first.cost_per_record == pytest.approx((4 * 0.22 + 60 * 0.22) / 1e6)
    assert second.cost_per_record == pytest.approx((61 * 3.0 + 6 * 15.0) / 1e6)
    worst_first = len("Say extraordinarily") + MESSAGE_OVERHEAD_TOKENS
    assert first.max_cost_per_record == pytest.approx(max_call_cost(llama, worst_first, 100))
    assert second.max_cost_per_record > bedrock_cost(sonnet, 61, 10)
    assert estimate.expected_cost == pytest.approx(estimate.cost_per_record * 1000)
    assert estimate.max_cost > estimate.expected_cost
    assert (first.tier, second.tier) == ("tier-1", "tier-3")


def test_the_summary_the_api_shows() -> None:
    summary = estimate_job(two_steps(), [{"word": "hi"}], 10, REGISTRY).as_dict()
    assert summary["records"] == 10 and [s["step_id"] for s in summary["steps"]] == ["a", "b"]
    assert summary["expected_tokens"] == (
        summary["expected_input_tokens"] + summary["expected_output_tokens"]
    )
    assert summary["expected_input_tokens"] == (2 + 61) * 10
    assert summary["max_cost_usd"] >= summary["expected_cost_usd"] > 0


def test_the_worst_case_bounds_what_the_engine_reserves_and_spends() -> None:
    """GIVEN English replies that use every allowed token WHEN records are made THEN every
    reservation and the spend stay within the estimate's worst case."""
    template = two_steps()
    seeds = [{"word": "hello"}, {"word": "rain"}]
    estimate = estimate_job(template, seeds, len(seeds), REGISTRY)
    reservations: list[float] = []  # in call order: a, b, a, b

    class Greedy:
        async def converse(
            self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
        ) -> ModelReply:
            return ModelReply(" ".join(["word"] * max_tokens), count_tokens(prompt), max_tokens, 1)

    class Recording(BudgetGuard):
        async def acquire(self, max_cost: float, label: str | None = None) -> Reservation:
            reservations.append(max_cost)
            return await super().acquire(max_cost, label)

    guard = Recording(10.0)
    engine = RecordEngine(
        template, client=Greedy(), registry=REGISTRY, budget=guard, job_id="j", job_seed=1
    )
    for index, seed in enumerate(seeds):
        asyncio.run(engine.generate(seed, index, 0))
    ceilings = [step.max_cost_per_record for step in estimate.steps] * len(seeds)
    assert all(
        reserved <= ceiling + 1e-15
        for reserved, ceiling in zip(reservations, ceilings, strict=True)
    )
    # step b reads step a's whole answer (100 tokens), above the expected 60: the ceiling holds
    assert reservations[1] > max_call_cost(
        REGISTRY.spec("claude-3.5-sonnet"), len("Then ") + 5 * 60, 10
    )
    assert estimate.expected_cost < guard.spent <= estimate.max_cost


def test_an_estimate_needs_seed_data_and_a_count() -> None:
    with pytest.raises(ValueError, match="at least one seed"):
        estimate_job(two_steps(), [], 10, REGISTRY)
    with pytest.raises(ValueError, match="negative"):
        estimate_job(two_steps(), [{"word": "x"}], -1, REGISTRY)


def test_the_module_example_holds() -> None:
    assert doctest.testmod(plot_palette.estimate).failed == 0
