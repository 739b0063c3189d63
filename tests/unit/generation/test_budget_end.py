"""The end of a budget, 16 records at a time, with answers like the local model endpoint's.

Issue 21: a budget equal to the estimate's expected cost made 63 of 100 records, because the
first worst-case reservation that did not fit ended the job while 16 open reservations were
about to settle far below their worst case. The guard now waits for them, so such a budget is
spent down to less than one call's worst case; and the estimate's ``budget_to_complete``
makes every record.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from plot_palette.budget import BudgetGuard, Reservation
from plot_palette.errors import BudgetExceededError
from plot_palette.estimate import estimate_job
from plot_palette.generation import RecordEngine
from plot_palette.local.model_endpoint import answer_text
from plot_palette.models import ModelRegistry, ModelReply
from plot_palette.templates import load_template, parse_seed_data
from plot_palette.tokens import count_tokens

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = ModelRegistry.load("us-east-1")
TEMPLATE = load_template(
    yaml.safe_load(
        (ROOT / "src/plot_palette/templates/builtin/poem-questions.yaml").read_text("utf-8")
    ),
    REGISTRY,
)
SEEDS = parse_seed_data((ROOT / "sample-datasets/poetry/poems.jsonl").read_bytes())
RECORDS = 100
CONCURRENCY = 16


class EndpointLike:
    """The local endpoint's answers and token counts, in process, finishing in a random (but
    seeded, so repeatable) order."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        # Finish after a random number of turns of the event loop, not of milliseconds: the
        # order calls finish in is then the same on an idle machine and on a loaded one.
        for _ in range(self._rng.randint(0, 64)):
            await asyncio.sleep(0)
        text = answer_text(model_id, prompt, max_tokens)
        return ModelReply(text, count_tokens(prompt), len(text.split()), 1)


class Impatient(BudgetGuard):
    """The guard as it was: the first reservation that does not fit ends the job."""

    async def acquire(self, max_cost: float, label: str | None = None) -> Reservation:
        return self.reserve(max_cost, label)


def run_job(guard: BudgetGuard, seed: int = 1) -> int:
    """Make the job's records as the worker's loop does (index order, 16 at a time, no new
    record after the budget refused one); return how many were made."""
    engine = RecordEngine(
        TEMPLATE,
        client=EndpointLike(seed),
        registry=REGISTRY,
        budget=guard,
        job_id="job",
        job_seed=seed,
    )
    made: list[dict[str, Any]] = []
    refused = False

    async def make(index: int, gate: asyncio.Semaphore) -> None:
        nonlocal refused
        async with gate:
            if refused:
                return
            seed_index, sample = index % len(SEEDS), index // len(SEEDS)
            try:
                made.append((await engine.generate(SEEDS[seed_index], seed_index, sample)).record)
            except BudgetExceededError:
                refused = True

    async def job() -> None:
        gate = asyncio.Semaphore(CONCURRENCY)
        await asyncio.gather(*(make(index, gate) for index in range(RECORDS)))

    asyncio.run(job())
    assert guard.reserved == 0
    return len(made)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_budget_of_the_expected_cost_is_spent_to_within_one_call(seed: int) -> None:
    """GIVEN a budget equal to the estimate's expected cost and 16 calls at a time WHEN the job
    runs THEN it stops with less than one worst-case call unspent, never above the budget.

    Figures for seeds 1-3: a $0.028782 budget is 98.4-99.2% spent (77-78 records; these answers
    cost 1.25x the expected cost); the impatient guard stopped at 70-73 records, 87-92% spent.
    """
    estimate = estimate_job(TEMPLATE, SEEDS, RECORDS, REGISTRY, concurrency=CONCURRENCY)
    budget = estimate.expected_cost
    before = Impatient(budget)
    made_before = run_job(before, seed)

    guard = BudgetGuard(budget)
    made = run_job(guard, seed)

    assert budget - estimate.worst_call < guard.spent <= budget
    assert made > made_before
    assert before.spent < guard.spent


@pytest.mark.parametrize("seed", [1, 2])
def test_a_small_budget_is_not_left_half_unspent(seed: int) -> None:
    """The issue's case: worst cases of 16 open calls hold most of a small budget. Figures for
    seeds 1-2 and $0.01 (calls finishing in event-loop turns, not milliseconds, so the run is the
    same on a loaded machine): the impatient guard spent 68-69%; the guard spends all but less
    than one worst-case call."""
    estimate = estimate_job(TEMPLATE, SEEDS, RECORDS, REGISTRY, concurrency=CONCURRENCY)
    budget = 0.01
    before = Impatient(budget)
    run_job(before, seed)
    guard = BudgetGuard(budget)
    run_job(guard, seed)
    # the impatient guard stops with more than a worst-case call unspent; the guard does not
    assert before.spent < budget - estimate.worst_call < guard.spent <= budget


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_budget_to_complete_makes_every_record(seed: int) -> None:
    estimate = estimate_job(TEMPLATE, SEEDS, RECORDS, REGISTRY, concurrency=CONCURRENCY)
    assert estimate.expected_cost < estimate.budget_to_complete < estimate.max_cost
    guard = BudgetGuard(estimate.budget_to_complete)
    assert run_job(guard, seed) == RECORDS
    assert guard.spent <= estimate.budget_to_complete
