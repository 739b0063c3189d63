"""The judge: strict answers only, failures counted, never past the budget left."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import pytest

from plot_palette.budget.cost import bedrock_cost
from plot_palette.errors import ModelInvocationError
from plot_palette.models.converse import ModelReply
from plot_palette.models.registry import ModelRegistry, ModelSpec
from plot_palette.quality.judge import (
    JUDGE_ANSWER_FORMAT,
    judge_prompt,
    judge_records,
    parse_scores,
)


@dataclass
class ScriptedJudge:
    """Answers from a script, one per call; an exception in the script is raised."""

    answers: list[str | Exception]
    prompts: list[str] = field(default_factory=list)

    async def converse(
        self, model_id: str, prompt: str, *, max_tokens: int, temperature: float | None = None
    ) -> ModelReply:
        self.prompts.append(prompt)
        answer = self.answers[len(self.prompts) - 1]
        if isinstance(answer, Exception):
            raise answer
        return ModelReply(text=answer, input_tokens=400, output_tokens=20, latency_ms=1)


def spec() -> ModelSpec:
    return ModelRegistry.load().best_in_tier("tier-2")


def verdict(coherence: int, relevance: int, format_compliance: int) -> str:
    return json.dumps(
        {"coherence": coherence, "relevance": relevance, "format_compliance": format_compliance}
    )


RECORDS = [{"id": f"r{n}", "fields": {"text": f"record {n}"}} for n in range(4)]


@pytest.mark.parametrize(
    "answer",
    [
        "The record is good: 5/5",
        '{"coherence": 5, "relevance": 4}',
        '{"coherence": 5, "relevance": 4, "format_compliance": 7}',
        '{"coherence": 5, "relevance": 4, "format_compliance": 3, "extra": 1}',
        '{"coherence": true, "relevance": 4, "format_compliance": 3}',
        '{"coherence": 4.5, "relevance": 4, "format_compliance": 3}',
        "[5, 4, 3]",
    ],
)
def test_anything_but_the_strict_object_is_refused(answer: str) -> None:
    assert parse_scores(answer) is None


def test_the_strict_object_is_read_with_surrounding_whitespace() -> None:
    assert parse_scores(f"  {verdict(5, 4, 3)}\n") == {
        "coherence": 5,
        "relevance": 4,
        "format_compliance": 3,
    }


def test_the_prompt_carries_the_record_and_the_answer_format_and_is_trimmed() -> None:
    prompt = judge_prompt({"id": "x", "fields": {"text": "Ü" + "a" * 10_000}})
    assert JUDGE_ANSWER_FORMAT in prompt
    assert '"text": "Üaaa' in prompt
    assert len(prompt) < 7_500


def test_scores_are_averaged_and_unusable_answers_counted_not_invented() -> None:
    judge = ScriptedJudge(
        [verdict(5, 4, 3), "no idea", ModelInvocationError("throttled"), verdict(3, 4, 5)]
    )
    result = asyncio.run(judge_records(RECORDS, client=judge, spec=spec(), remaining_usd=10.0))
    assert result.sampled == 2
    assert result.failed == 2
    summary = result.summary()
    assert summary is not None
    assert (summary["coherence"], summary["relevance"], summary["format_compliance"]) == (4, 4, 4)
    assert summary["overall"] == 4
    # three calls answered (two usable, one prose): each is paid for; the failed call is not
    assert result.cost_usd == pytest.approx(3 * bedrock_cost(spec(), 400, 20))
    assert summary["cost_usd"] == round(result.cost_usd, 8)


def test_judging_stops_before_a_call_the_budget_left_might_not_cover() -> None:
    one_call = bedrock_cost(spec(), 400, 20)
    judge = ScriptedJudge([verdict(4, 4, 4)] * len(RECORDS))
    # room for the worst case of about one call, never four
    result = asyncio.run(
        judge_records(RECORDS, client=judge, spec=spec(), remaining_usd=one_call * 2.5)
    )
    assert result.stopped_for_budget
    assert 0 < len(judge.prompts) < len(RECORDS)
    assert result.cost_usd <= one_call * 2.5


def test_no_budget_left_means_no_call_at_all() -> None:
    judge = ScriptedJudge([])
    result = asyncio.run(judge_records(RECORDS, client=judge, spec=spec(), remaining_usd=0.0))
    assert judge.prompts == []
    assert result.stopped_for_budget
    assert result.summary() is None


def test_each_paid_call_is_reported_as_it_happens() -> None:
    judge = ScriptedJudge(
        [verdict(4, 4, 4), "prose", ModelInvocationError("5xx"), verdict(5, 5, 5)]
    )
    spent: list[float] = []
    result = asyncio.run(
        judge_records(RECORDS, client=judge, spec=spec(), remaining_usd=10.0, on_spend=spent.append)
    )
    # three answers were paid for (one unusable); the call that failed cost nothing
    assert spent == [bedrock_cost(spec(), 400, 20)] * 3
    assert sum(spent) == pytest.approx(result.cost_usd)


def test_judging_stops_at_the_deadline() -> None:
    judge = ScriptedJudge([verdict(4, 4, 4)] * len(RECORDS))
    result = asyncio.run(
        judge_records(
            RECORDS, client=judge, spec=spec(), remaining_usd=10.0, deadline=time.monotonic() - 1
        )
    )
    assert judge.prompts == []
    assert result.stopped_for_time and not result.stopped_for_budget
