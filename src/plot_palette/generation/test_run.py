"""A template test run: one to five seed records through every step, showing each prompt.

It uses the worker's own pieces: ``render_step`` (the sandboxed engine, same record-seed
convention as ``RecordEngine``), the same Converse client, the same cost formula and the same
per-call reservation bound. What differs is what a person needs while writing a template:

* every step's rendered prompt and output is returned, with its tokens, cost and model;
* a step that cannot render (a missing field, a sandbox refusal) or whose model call fails is
  reported *at that step*, and the seed's later steps are not run; the other seeds still run;
* it is small and bounded: at most ``MAX_TEST_SEEDS`` seeds, a worst-case cost of at most
  ``MAX_TEST_RUN_COST_USD`` (refused before any call when the estimate says so, and enforced
  per call by a ``BudgetGuard``), and ``TEST_RUN_SECONDS`` of wall time;
* the local model (the default, see ``plot_palette.models.choice``) costs 0.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from plot_palette.budget import BudgetGuard, bedrock_cost, max_call_cost
from plot_palette.errors import (
    BudgetExceededError,
    ModelInvocationError,
    PlotPaletteError,
    TemplateValidationError,
)
from plot_palette.estimate import estimate_job
from plot_palette.generation.engine import MESSAGE_OVERHEAD_TOKENS
from plot_palette.models import ModelRegistry, ModelSpec
from plot_palette.models.choice import ModelChoice, model_override
from plot_palette.templates import PromptTemplate, load_template, render_step
from plot_palette.tokens import max_tokens_bound

MAX_TEST_SEEDS = 5
MAX_TEST_RUN_COST_USD = 0.50
# The API Lambda times out after 29 s: the run gives up well before, with a clear message.
TEST_RUN_SECONDS = 20.0
TEST_RUN_ID = "test-run"


@dataclass
class StepRun:
    """One step of one seed: what was sent, what came back, what it cost, or what went wrong."""

    step_id: str
    model_id: str
    answered_by: str
    prompt: str | None = None
    output: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None


@dataclass
class SeedRun:
    """Every step run for one seed record (up to and including a failed one)."""

    seed_index: int
    seed: dict[str, Any]
    steps: list[StepRun] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        """The first step's error, if a step failed."""
        return next((step.error for step in self.steps if step.error), None)


@dataclass
class TemplateTestRun:
    """A finished test run and its totals."""

    template_id: str
    template_version: int
    model: str
    answered_by: str
    max_cost_usd: float
    seeds: list[SeedRun]

    def as_dict(self) -> dict[str, Any]:
        """The JSON the API returns and the CLI prints."""
        steps = [step for seed in self.seeds for step in seed.steps]
        return {
            "template_id": self.template_id,
            "template_version": self.template_version,
            "model": self.model,
            "answered_by": self.answered_by,
            "max_cost_usd": round(self.max_cost_usd, 6),
            "seeds": [
                {
                    "seed_index": seed.seed_index,
                    "seed": seed.seed,
                    "error": seed.error,
                    "steps": [asdict(step) for step in seed.steps],
                }
                for seed in self.seeds
            ],
            "totals": {
                "calls": sum(1 for step in steps if step.output is not None),
                "input_tokens": sum(step.input_tokens for step in steps),
                "output_tokens": sum(step.output_tokens for step in steps),
                "cost_usd": round(sum(step.cost_usd for step in steps), 10),
                "errors": sum(1 for step in steps if step.error),
            },
        }


def prepare_template(
    document: dict[str, Any], model: str, registry: ModelRegistry
) -> PromptTemplate:
    """The template to run: validated like a saved one, every step moved to ``model`` if it
    names one model or tier (``TemplateValidationError`` otherwise, a 400)."""
    data = {"id": TEST_RUN_ID, "name": "Test run", **document}
    template = load_template(data, registry)
    override = model_override(model, registry)
    if override is None:
        return template
    moved = template.model_dump(mode="json", exclude_none=True)
    moved["steps"] = [
        {**{k: v for k, v in step.items() if k not in ("model", "model_tier")}, **override}
        for step in moved["steps"]
    ]
    return load_template(moved, registry)


def max_test_run_cost(
    template: PromptTemplate, seeds: list[dict[str, Any]], registry: ModelRegistry
) -> float | None:
    """The estimate's worst case for these seeds; ``None`` when a step cannot render (the run
    reports that at the step, and the guard still bounds every call it makes)."""
    try:
        return estimate_job(template, seeds, len(seeds), registry).max_cost
    except TemplateValidationError:
        return None


async def run_test(
    template: PromptTemplate,
    seeds: list[dict[str, Any]],
    *,
    model: str,
    choice: ModelChoice,
    registry: ModelRegistry,
    seconds: float = TEST_RUN_SECONDS,
) -> TemplateTestRun:
    """Run every step for each seed (seeds concurrently, steps in order).

    Refuses (``PlotPaletteError``, a 400) more than ``MAX_TEST_SEEDS`` seeds, a real run whose
    worst case is over ``MAX_TEST_RUN_COST_USD``, and a run that takes over ``seconds``.
    """
    if not 1 <= len(seeds) <= MAX_TEST_SEEDS:
        raise PlotPaletteError(f"a test run takes 1 to {MAX_TEST_SEEDS} seed records")
    worst = 0.0 if choice.free else max_test_run_cost(template, seeds, registry)
    if worst is not None and worst > MAX_TEST_RUN_COST_USD:
        raise PlotPaletteError(
            f"this test run could cost up to ${worst:.4f}; a test run may cost at most "
            f"${MAX_TEST_RUN_COST_USD:.2f}: use fewer seeds, smaller max_tokens or the local model"
        )
    guard = BudgetGuard(MAX_TEST_RUN_COST_USD)
    specs = {step.id: registry.resolve(step) for step in template.steps}
    runs = [
        _run_seed(template, specs, index, seed, choice=choice, guard=guard)
        for index, seed in enumerate(seeds)
    ]
    try:
        done = await asyncio.wait_for(asyncio.gather(*runs), timeout=seconds)
    except TimeoutError:
        raise PlotPaletteError(
            f"the test run took longer than {seconds:g} s; try fewer seeds or the local model"
        ) from None
    return TemplateTestRun(
        template_id=template.id,
        template_version=template.version,
        model=model,
        answered_by=choice.answered_by,
        max_cost_usd=worst or 0.0,
        seeds=list(done),
    )


async def _run_seed(
    template: PromptTemplate,
    specs: dict[str, ModelSpec],
    index: int,
    seed: dict[str, Any],
    *,
    choice: ModelChoice,
    guard: BudgetGuard,
) -> SeedRun:
    run = SeedRun(seed_index=index, seed=seed)
    outputs: dict[str, str] = {}
    for step in template.steps:
        spec = specs[step.id]
        result = StepRun(step_id=step.id, model_id=spec.model_id, answered_by=choice.answered_by)
        run.steps.append(result)
        try:
            result.prompt = render_step(
                template, step.id, seed, outputs, record_seed=f"{TEST_RUN_ID}:{index}:0"
            )
            worst_input = max_tokens_bound(result.prompt) + MESSAGE_OVERHEAD_TOKENS
            bound = 0.0 if choice.free else max_call_cost(spec, worst_input, step.output_allowance)
            reservation = guard.reserve(bound)
        except (TemplateValidationError, BudgetExceededError) as error:
            result.error = str(error)
            return run
        try:
            reply = await choice.client.converse(
                spec.bedrock_id,
                result.prompt,
                max_tokens=step.output_allowance,
                temperature=step.temperature,
            )
        except ModelInvocationError as error:
            guard.release(reservation)
            result.error = str(error)
            return run
        except BaseException:
            guard.release(reservation)
            raise
        cost = 0.0 if choice.free else bedrock_cost(spec, reply.input_tokens, reply.output_tokens)
        guard.settle(reservation, cost)
        result.output = reply.text
        result.input_tokens = reply.input_tokens
        result.output_tokens = reply.output_tokens
        result.cost_usd = round(cost, 10)
        outputs[step.id] = reply.text
    return run
