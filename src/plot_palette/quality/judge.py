"""Scoring a sample of records with a judge model, never spending past the job's budget.

The judge gets one record at a time and must answer with one strict JSON object of three
integer scores from 1 to 5. An answer that is not exactly that (prose, a missing key, a score
of 7) counts as a failed sample: it is reported, never a crash, and never a made-up score.

Budget: the judge spends what the job's budget has left. Before each call the most it can cost
(an upper bound of the prompt's tokens plus ``max_tokens``) is reserved with the same
``BudgetGuard`` the worker uses; when the next call might not fit, sampling stops there. Given
the job's guard (``budget``, backed by the job's spend ledger), the reservation is durably
recorded before the call and its cost as it settles, so money spent is on the job even if the
function is killed mid-call. Sampling also stops at ``deadline`` (a
``time.monotonic()`` value), well before the function's own timeout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plot_palette.budget.cost import bedrock_cost, max_call_cost
from plot_palette.budget.guard import BudgetGuard
from plot_palette.budget.ledger import SpendLeaseLostError
from plot_palette.errors import BudgetExceededError, ModelInvocationError
from plot_palette.models.converse import ModelClient
from plot_palette.models.registry import ModelSpec
from plot_palette.tokens import max_tokens_bound

CRITERIA = ("coherence", "relevance", "format_compliance")
JUDGE_MAX_TOKENS = 60
MESSAGE_OVERHEAD_TOKENS = 32
MAX_RECORD_CHARS = 6000
JUDGE_INSTRUCTIONS = "You are a strict judge of synthetic training data."
JUDGE_ANSWER_FORMAT = (
    'Answer with only this JSON object and nothing else: {"coherence": <1-5>, '
    '"relevance": <1-5>, "format_compliance": <1-5>}'
)


def judge_prompt(record: dict[str, Any]) -> str:
    """The prompt for one record: its fields (trimmed), the criteria and the answer format."""
    fields = json.dumps(record.get("fields", record), ensure_ascii=False, sort_keys=True)
    if len(fields) > MAX_RECORD_CHARS:
        fields = fields[:MAX_RECORD_CHARS] + " …"
    return (
        f"{JUDGE_INSTRUCTIONS}\n"
        "Rate the record below from 1 (bad) to 5 (excellent) on: coherence (is the text "
        "fluent and internally consistent), relevance (do the generated fields address the "
        "inputs they were made from) and format_compliance (is every field well formed, "
        "complete and free of stray markup).\n\n"
        f"Record:\n{fields}\n\n{JUDGE_ANSWER_FORMAT}"
    )


def parse_scores(text: str) -> dict[str, int] | None:
    """The three scores of a strict JSON answer, or ``None`` if the answer is anything else."""
    try:
        answer = json.loads(text.strip())
    except ValueError:
        return None
    if not isinstance(answer, dict) or set(answer) != set(CRITERIA):
        return None
    scores: dict[str, int] = {}
    for name in CRITERIA:
        value = answer[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            return None
        scores[name] = value
    return scores


@dataclass
class JudgeResult:
    """What the judge did: the scores it gave and what it cost."""

    model: str
    scores: list[dict[str, int]] = field(default_factory=list)
    failed: int = 0
    cost_usd: float = 0.0
    stopped_for_budget: bool = False
    stopped_for_time: bool = False

    @property
    def sampled(self) -> int:
        return len(self.scores)

    def summary(self) -> dict[str, Any] | None:
        """The ``judge`` object of the quality contract (``None`` when nothing was scored)."""
        if not self.scores:
            return None
        means = {
            name: round(sum(score[name] for score in self.scores) / len(self.scores), 3)
            for name in CRITERIA
        }
        return {
            "model": self.model,
            "sampled": self.sampled,
            **means,
            "overall": round(sum(means.values()) / len(CRITERIA), 3),
            "cost_usd": round(self.cost_usd, 8),
        }


async def judge_records(
    records: list[dict[str, Any]],
    *,
    client: ModelClient,
    spec: ModelSpec,
    remaining_usd: float | None = None,
    on_spend: Callable[[float], None] | None = None,
    deadline: float | None = None,
    budget: BudgetGuard | None = None,
) -> JudgeResult:
    """Score the records one by one while the budget allows the next call and time is left.

    ``budget`` is the job's guard (its recorded spend and limit); without it the judge may
    spend ``remaining_usd``.
    """
    result = JudgeResult(model=spec.model_id)
    left = budget.remaining if budget is not None else float(remaining_usd or 0.0)
    if left <= 0:
        result.stopped_for_budget = bool(records)
        return result
    guard = budget if budget is not None else BudgetGuard(limit_usd=left)
    for record in records:
        if deadline is not None and time.monotonic() >= deadline:
            result.stopped_for_time = True
            break
        prompt = judge_prompt(record)
        worst = max_tokens_bound(prompt) + MESSAGE_OVERHEAD_TOKENS
        try:
            reservation = await guard.acquire(max_call_cost(spec, worst, JUDGE_MAX_TOKENS))
        except BudgetExceededError:
            result.stopped_for_budget = True
            break
        except SpendLeaseLostError:  # another run of the quality step took the job over
            break
        try:
            reply = await client.converse(
                spec.bedrock_id, prompt, max_tokens=JUDGE_MAX_TOKENS, temperature=0.0
            )
        except ModelInvocationError:
            guard.release(reservation)
            result.failed += 1
            continue
        cost = bedrock_cost(spec, reply.input_tokens, reply.output_tokens)
        guard.settle(reservation, cost)
        result.cost_usd += cost
        if on_spend is not None:
            on_spend(cost)
        scores = parse_scores(reply.text)
        if scores is None:
            result.failed += 1
        else:
            result.scores.append(scores)
    return result
