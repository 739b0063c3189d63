"""The estimate a user sees before a job runs: tokens and cost per step, expected and at most.

Input tokens are measured by rendering each step against a sample of the seed data, counted
with ``plot_palette.tokens.count_tokens`` (the local model endpoint bills the same count; Bedrock
adds a few tokens of message framing, well inside the estimate's error). An earlier step's
output, which does not exist yet, stands in as text of its expected length.
Output tokens are assumed to be ``EXPECTED_OUTPUT_SHARE`` of the step's ``max_tokens`` (models
rarely use their whole allowance). The worst case is what the budget guard would reserve if
every step used its whole allowance: earlier outputs stand in at full length, and the input is
bounded by the UTF-8 size of the longest sampled prompt plus the message framing. It is a
ceiling for plain English answers (about five bytes a token); answers in scripts that take
more bytes per token can reserve more, which is why the guard, not the estimate, enforces the
budget.

>>> from plot_palette.models import ModelRegistry
>>> from plot_palette.templates import load_template
>>> registry = ModelRegistry.load("us-east-1")
>>> template = load_template({"id": "t", "name": "T", "steps": [{"id": "q",
...     "prompt": "Ask about {{ topic }}", "model": "llama-3.1-8b", "max_tokens": 100}]}, registry)
>>> estimate = estimate_job(template, [{"topic": "rain"}], 1000, registry)
>>> estimate.steps[0].input_tokens, estimate.steps[0].output_tokens
(4.0, 60.0)
>>> round(estimate.expected_cost, 5)  # (4 + 60) tokens x $0.22/M x 1000 records
0.01408
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from plot_palette.budget import bedrock_cost, max_call_cost
from plot_palette.generation.engine import MESSAGE_OVERHEAD_TOKENS
from plot_palette.models import ModelRegistry
from plot_palette.templates import PromptTemplate, render_step
from plot_palette.tokens import count_tokens, max_tokens_bound

EXPECTED_OUTPUT_SHARE = 0.6
# One token per word under plot_palette.tokens (four letters), so N words stand for N tokens.
STAND_IN_WORD = "word"
MAX_SAMPLE = 100


@dataclass(frozen=True)
class StepEstimate:
    """One step's expected tokens and cost per record, and its worst case."""

    step_id: str
    model_id: str
    tier: str
    input_tokens: float
    output_tokens: float
    cost_per_record: float
    max_cost_per_record: float


@dataclass(frozen=True)
class JobEstimate:
    """A whole job's expected and worst-case tokens and cost."""

    records: int
    steps: list[StepEstimate] = field(default_factory=list)

    @property
    def cost_per_record(self) -> float:
        """Expected cost of one record, all steps."""
        return sum(step.cost_per_record for step in self.steps)

    @property
    def expected_cost(self) -> float:
        """Expected cost of the whole job."""
        return self.cost_per_record * self.records

    @property
    def max_cost(self) -> float:
        """Worst case of the whole job: every step uses its whole allowance."""
        return sum(step.max_cost_per_record for step in self.steps) * self.records

    @property
    def expected_input_tokens(self) -> float:
        """Input tokens the whole job is expected to send."""
        return sum(step.input_tokens for step in self.steps) * self.records

    @property
    def expected_output_tokens(self) -> float:
        """Output tokens the whole job is expected to receive."""
        return sum(step.output_tokens for step in self.steps) * self.records

    @property
    def expected_tokens(self) -> float:
        """Input plus output tokens of the whole job."""
        return self.expected_input_tokens + self.expected_output_tokens

    def as_dict(self) -> dict[str, Any]:
        """The JSON the API and the CLI show."""
        return {
            "records": self.records,
            "expected_cost_usd": round(self.expected_cost, 6),
            "max_cost_usd": round(self.max_cost, 6),
            "expected_input_tokens": round(self.expected_input_tokens),
            "expected_output_tokens": round(self.expected_output_tokens),
            "expected_tokens": round(self.expected_tokens),
            "steps": [asdict(step) for step in self.steps],
        }


def estimate_job(
    template: PromptTemplate,
    seed_sample: list[dict[str, Any]],
    record_count: int,
    registry: ModelRegistry,
) -> JobEstimate:
    """Estimate a job from its template, a sample of its seed data and its record count.

    Records are made from seeds round-robin, so the sample's mean stands for every record;
    at most ``MAX_SAMPLE`` seeds are rendered.
    """
    if not seed_sample:
        raise ValueError("an estimate needs at least one seed record")
    if record_count < 0:
        raise ValueError("the record count cannot be negative")
    sample = seed_sample[:MAX_SAMPLE]
    expected_outputs = {
        step.id: _stand_in(step.output_allowance * EXPECTED_OUTPUT_SHARE) for step in template.steps
    }
    full_outputs = {step.id: _stand_in(step.output_allowance) for step in template.steps}
    steps = []
    for position, step in enumerate(template.steps):
        spec = registry.resolve(step)
        before = template.steps[:position]
        prompts = _render(template, step.id, sample, {s.id: expected_outputs[s.id] for s in before})
        longest = _render(template, step.id, sample, {s.id: full_outputs[s.id] for s in before})
        input_tokens = sum(count_tokens(prompt) for prompt in prompts) / len(prompts)
        output_tokens = step.output_allowance * EXPECTED_OUTPUT_SHARE
        worst_input = max(max_tokens_bound(prompt) for prompt in longest) + MESSAGE_OVERHEAD_TOKENS
        steps.append(
            StepEstimate(
                step_id=step.id,
                model_id=spec.model_id,
                tier=spec.tier,
                input_tokens=round(input_tokens, 1),
                output_tokens=round(output_tokens, 1),
                cost_per_record=bedrock_cost(spec, input_tokens, output_tokens),
                max_cost_per_record=max_call_cost(spec, worst_input, step.output_allowance),
            )
        )
    return JobEstimate(records=record_count, steps=steps)


def _stand_in(tokens: float) -> str:
    """Text of ``tokens`` tokens (and five bytes a token) for an output not written yet."""
    return " ".join([STAND_IN_WORD] * round(tokens))


def _render(
    template: PromptTemplate,
    step_id: str,
    sample: list[dict[str, Any]],
    outputs: dict[str, str],
) -> list[str]:
    return [
        render_step(template, step_id, seed, outputs, record_seed=f"estimate:{index}")
        for index, seed in enumerate(sample)
    ]
