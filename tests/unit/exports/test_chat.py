"""Chat mapping: which text is the prompt and which the answer, in each format."""

from __future__ import annotations

from typing import Any

import pytest

from plot_palette.errors import ExportError
from plot_palette.exports.chat import chat_record, exchanges, step_outputs
from plot_palette.templates import PromptTemplate

TWO_STEPS = PromptTemplate.model_validate(
    {
        "id": "qa",
        "name": "QA",
        "steps": [
            {"id": "question", "model_tier": "tier-1", "prompt": "Ask about {{ topic }}."},
            {
                "id": "answer",
                "model_tier": "tier-2",
                "prompt": "Answer: {{ steps.question.output }}",
            },
        ],
    }
)


def record(fields: dict[str, Any]) -> dict[str, Any]:
    return {"id": "r", "seed_index": 0, "sample_index": 0, "fields": fields}


def test_messages_has_one_exchange_per_step_with_rendered_prompts() -> None:
    fields = {"topic": "tides", "question": "Why two a day?", "answer": 'The "moon"\nand sun.'}
    calls = exchanges(TWO_STEPS, {"topic": "tides"}, record(fields), 7)
    assert chat_record("messages", calls) == {
        "messages": [
            {"role": "user", "content": "Ask about tides."},
            {"role": "assistant", "content": "Why two a day?"},
            {"role": "user", "content": "Answer: Why two a day?"},
            {"role": "assistant", "content": 'The "moon"\nand sun.'},
        ]
    }


def test_sharegpt_uses_human_and_gpt_turns() -> None:
    calls = exchanges(TWO_STEPS, {"topic": "é"}, record({"question": "q", "answer": ""}), 1)
    assert chat_record("sharegpt", calls) == {
        "conversations": [
            {"from": "human", "value": "Ask about é."},
            {"from": "gpt", "value": "q"},
            {"from": "human", "value": "Answer: q"},
            {"from": "gpt", "value": ""},
        ]
    }


def test_prompt_completion_is_the_last_call() -> None:
    calls = exchanges(TWO_STEPS, {"topic": "x"}, record({"question": "q?", "answer": "a!"}), 1)
    assert chat_record("prompt_completion", calls) == {
        "prompt": "Answer: q?",
        "completion": "a!",
    }


def test_a_null_output_is_empty_text() -> None:
    calls = exchanges(TWO_STEPS, {"topic": "x"}, record({"question": None, "answer": None}), 1)
    assert chat_record("prompt_completion", calls) == {"prompt": "Answer: ", "completion": ""}


def test_output_mapping_reads_outputs_under_their_mapped_names() -> None:
    mapped = TWO_STEPS.model_copy(update={"output": {"a": "steps.answer.output", "t": "topic"}})
    assert step_outputs(mapped, {"a": "yes", "t": "x"}) == {"answer": "yes"}
    # the question is not in the record: the answer's prompt cannot be replayed either
    calls = exchanges(mapped, {"topic": "x"}, record({"a": "yes", "t": "x"}), 1)
    assert chat_record("messages", calls) is None


def test_unknown_format_is_an_export_error() -> None:
    calls = exchanges(TWO_STEPS, {"topic": "x"}, record({"question": "q", "answer": "a"}), 1)
    with pytest.raises(ExportError, match="unknown chat format"):
        chat_record("alpaca", calls)
