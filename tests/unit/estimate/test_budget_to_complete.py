"""The estimate states the budget that completes the job (issue 21), and the API shows it."""

from __future__ import annotations

import asyncio

import pytest

from plot_palette.api.models import Estimate
from plot_palette.budget import BudgetGuard, bedrock_cost
from plot_palette.errors import BudgetExceededError
from plot_palette.estimate import DEFAULT_CONCURRENCY, estimate_job
from plot_palette.generation import RecordEngine
from plot_palette.models import ModelRegistry, ModelReply
from plot_palette.templates import load_template
from plot_palette.tokens import count_tokens
from plot_palette.worker.settings import WorkerSettings

REGISTRY = ModelRegistry.load("us-east-1")
TEMPLATE = load_template(
    {
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
    },
    REGISTRY,
)
SEEDS = [{"word": "hello"}, {"word": "rain"}]


def test_the_budget_to_complete_is_the_full_cost_plus_a_worst_call_per_open_call() -> None:
    estimate = estimate_job(TEMPLATE, SEEDS, 1000, REGISTRY)
    a, b = estimate.steps
    # every answer at its whole allowance: step b reads step a's 100 tokens
    assert a.full_cost_per_record == pytest.approx(
        bedrock_cost(REGISTRY.spec("llama-3.1-8b"), a.input_tokens, 100)
    )
    assert b.full_cost_per_record == pytest.approx(
        bedrock_cost(REGISTRY.spec("claude-3.5-sonnet"), 1 + 100, 10)
    )
    assert estimate.worst_call == max(a.max_cost_per_record, b.max_cost_per_record)
    expected = estimate.full_cost + DEFAULT_CONCURRENCY * estimate.worst_call
    assert estimate.budget_to_complete == pytest.approx(expected, abs=1e-6)
    assert estimate.budget_to_complete >= expected
    assert estimate.expected_cost < estimate.budget_to_complete < estimate.max_cost
    assert WorkerSettings.model_fields["worker_concurrency"].default == DEFAULT_CONCURRENCY


def test_a_small_job_needs_no_more_than_its_worst_case() -> None:
    """With fewer calls than the concurrency, every call's worst case fits in the worst case."""
    estimate = estimate_job(TEMPLATE, SEEDS, 2, REGISTRY)
    assert estimate.budget_to_complete == pytest.approx(estimate.max_cost, abs=1e-6)
    assert estimate.budget_to_complete >= estimate.max_cost


def test_the_api_and_the_cli_show_it() -> None:
    summary = estimate_job(TEMPLATE, SEEDS, 1000, REGISTRY, concurrency=4).as_dict()
    shown = Estimate.model_validate(summary)
    assert shown.budget_to_complete_usd == summary["budget_to_complete_usd"] > 0
    assert "budget_to_complete_usd" in Estimate.model_json_schema()["required"]


@pytest.mark.parametrize("concurrency", [1, 4, 16])
def test_a_job_given_that_budget_makes_every_record_even_with_full_answers(
    concurrency: int,
) -> None:
    """GIVEN answers that use every allowed token (the most the job can cost) WHEN the job runs
    with the estimate's budget to complete THEN every record is made."""
    records = 60
    estimate = estimate_job(TEMPLATE, SEEDS, records, REGISTRY, concurrency=concurrency)

    class Full:
        async def converse(
            self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
        ) -> ModelReply:
            await asyncio.sleep(0)
            return ModelReply(" ".join(["word"] * max_tokens), count_tokens(prompt), max_tokens, 1)

    guard = BudgetGuard(estimate.budget_to_complete)
    engine = RecordEngine(
        TEMPLATE, client=Full(), registry=REGISTRY, budget=guard, job_id="j", job_seed=1
    )

    async def job() -> int:
        gate = asyncio.Semaphore(concurrency)

        async def make(index: int) -> bool:
            async with gate:
                seed = index % len(SEEDS)
                try:
                    await engine.generate(SEEDS[seed], seed, index // len(SEEDS))
                except BudgetExceededError:
                    return False
                return True

        return sum(await asyncio.gather(*(make(index) for index in range(records))))

    assert asyncio.run(job()) == records
    assert guard.spent == pytest.approx(estimate.full_cost)
