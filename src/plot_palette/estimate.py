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

The budget that completes the job (``budget_to_complete``): the guard waits for open calls to
settle and declares the budget spent only when the next call's worst case does not fit with
nothing open, so a budget of the job's real cost plus one worst-case call always completes it.
The real cost is not known before: the figure takes every answer at its whole allowance (the
full cost, counted like the expected cost), plus ``concurrency`` worst-case calls rather than
one, so the job keeps its full concurrency to the last record and answers whose tokens count a
little above the estimate's are absorbed. It is at most the worst case (rounded up to the
micro-dollar), which completes the job by construction: every reservation fits in it. A budget
is a cap, not a charge; the job still costs what its calls cost. The quality judge is not in
it: the judge spends what the budget has left after the records.

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
>>> round(estimate.full_cost, 5)  # (4 + 100) tokens x $0.22/M x 1000 records
0.02288
>>> worst_call = estimate.steps[0].max_cost_per_record  # (21 bytes + 32 + 100) x $0.22/M
>>> estimate.budget_to_complete == round(estimate.full_cost + 16 * worst_call, 6)
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from plot_palette.budget import bedrock_cost, max_call_cost
from plot_palette.generation.engine import MESSAGE_OVERHEAD_TOKENS
from plot_palette.models import ModelRegistry
from plot_palette.templates import PromptTemplate, render_step
from plot_palette.tokens import count_tokens, max_tokens_bound
from plot_palette.worker.settings import WorkerSettings

EXPECTED_OUTPUT_SHARE = 0.6
# One token per word under plot_palette.tokens (four letters), so N words stand for N tokens.
STAND_IN_WORD = "word"
MAX_SAMPLE = 100
# The worker's default: how many calls may be open when the job reaches the end of its budget.
DEFAULT_CONCURRENCY: int = WorkerSettings.model_fields["worker_concurrency"].default
MICRO_USD = 1_000_000


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
    full_cost_per_record: float = 0.0


@dataclass(frozen=True)
class JobEstimate:
    """A whole job's expected and worst-case tokens and cost."""

    records: int
    steps: list[StepEstimate] = field(default_factory=list)
    concurrency: int = DEFAULT_CONCURRENCY

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
    def full_cost(self) -> float:
        """The whole job if every answer used its whole allowance (inputs counted as tokens)."""
        return sum(step.full_cost_per_record for step in self.steps) * self.records

    @property
    def worst_call(self) -> float:
        """The largest reservation one call makes (its step's worst case)."""
        return max((step.max_cost_per_record for step in self.steps), default=0.0)

    @property
    def budget_to_complete(self) -> float:
        """A budget with which the guard lets every record be made (see the module doc):
        the full cost plus a worst-case call per concurrent call, at most the worst case;
        rounded up to the micro-dollar."""
        calls_at_once = min(self.concurrency, self.records * len(self.steps))
        needed = min(self.max_cost, self.full_cost + calls_at_once * self.worst_call)
        return math.ceil(round(needed * MICRO_USD, 3)) / MICRO_USD

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
            "budget_to_complete_usd": self.budget_to_complete,
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
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> JobEstimate:
    """Estimate a job from its template, a sample of its seed data and its record count.

    Records are made from seeds round-robin, so the sample's mean stands for every record;
    at most ``MAX_SAMPLE`` seeds are rendered. ``concurrency`` is the worker's (calls open at
    once), which sets the headroom of ``budget_to_complete``.
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
        full_input = sum(count_tokens(prompt) for prompt in longest) / len(longest)
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
                full_cost_per_record=bedrock_cost(spec, full_input, step.output_allowance),
            )
        )
    return JobEstimate(records=record_count, steps=steps, concurrency=concurrency)


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
