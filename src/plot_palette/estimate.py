"""The estimate a user sees before a job runs: tokens and cost per step, expected and at most.

Input tokens are measured by rendering each step against a sample of the seed data (earlier
steps' outputs stand in as text of their expected length). Output tokens are assumed to be
``EXPECTED_OUTPUT_SHARE`` of ``max_tokens`` — models rarely use their whole allowance — and the
worst case uses all of it, so ``max_cost`` is a ceiling the budget can be compared with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plot_palette.budget import bedrock_cost
from plot_palette.models import ModelRegistry
from plot_palette.templates import PromptTemplate, render_step
from plot_palette.tokens import count_tokens

EXPECTED_OUTPUT_SHARE = 0.6
PLACEHOLDER_WORD = "lorem "


@dataclass(frozen=True)
class StepEstimate:
    """One step's expected tokens and cost per record."""

    step_id: str
    model_id: str
    input_tokens: float
    output_tokens: float
    cost_per_record: float
    max_cost_per_record: float


@dataclass(frozen=True)
class JobEstimate:
    """A whole job's expected and worst-case cost."""

    records: int
    steps: list[StepEstimate] = field(default_factory=list)

    @property
    def cost_per_record(self) -> float:
        return sum(step.cost_per_record for step in self.steps)

    @property
    def expected_cost(self) -> float:
        return self.cost_per_record * self.records

    @property
    def max_cost(self) -> float:
        return sum(step.max_cost_per_record for step in self.steps) * self.records

    @property
    def expected_tokens(self) -> float:
        return sum(step.input_tokens + step.output_tokens for step in self.steps) * self.records

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "expected_cost_usd": round(self.expected_cost, 6),
            "max_cost_usd": round(self.max_cost, 6),
            "expected_tokens": round(self.expected_tokens),
            "steps": [step.__dict__ for step in self.steps],
        }


def estimate_job(
    template: PromptTemplate,
    seed_sample: list[dict[str, Any]],
    record_count: int,
    registry: ModelRegistry,
) -> JobEstimate:
    """Estimate a job from its template, a sample of its seed data and its record count."""
    if not seed_sample:
        raise ValueError("an estimate needs at least one seed record")
    steps = []
    for step in template.steps:
        spec = registry.resolve(step)
        expected_output = step.max_tokens * EXPECTED_OUTPUT_SHARE
        inputs = []
        for index, seed in enumerate(seed_sample):
            stand_ins = {
                earlier.id: PLACEHOLDER_WORD * int(earlier.max_tokens * EXPECTED_OUTPUT_SHARE)
                for earlier in template.steps[: template.steps.index(step)]
            }
            prompt = render_step(
                template, step.id, seed, stand_ins, record_seed=f"estimate:{index}"
            )
            inputs.append(count_tokens(prompt))
        input_tokens = sum(inputs) / len(inputs)
        steps.append(
            StepEstimate(
                step_id=step.id,
                model_id=spec.model_id,
                input_tokens=round(input_tokens, 1),
                output_tokens=round(expected_output, 1),
                cost_per_record=bedrock_cost(spec, round(input_tokens), round(expected_output)),
                max_cost_per_record=bedrock_cost(spec, max(inputs), step.max_tokens),
            )
        )
    return JobEstimate(records=record_count, steps=steps)
