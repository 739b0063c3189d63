"""The chat export through ``run_export``: tricky text survives, and no format writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plot_palette.errors import ExportError
from plot_palette.exports import run_export
from tests.integration.exports.conftest import BUCKET, keys_under, put_batches, read

TEMPLATE = {
    "id": "qa",
    "name": "QA",
    "version": 2,
    "steps": [
        {"id": "question", "model_tier": "tier-1", "prompt": "Ask about {{ topic }}:"},
        {"id": "answer", "model_tier": "tier-2", "prompt": "Q: {{ steps.question.output }}"},
    ],
}
SEEDS = [{"topic": "café — 诗 🌊"}, {"topic": 'line one\nsaid "hi"'}, {"topic": ""}]
OUTPUTS = [("¿Qué? 🌊", 'He said "no",\nthen left'), ("", "\\n is not a newline"), (None, None)]


def job(s3: Any, chat_format: str | None, job_id: str = "j") -> None:
    records = [
        {
            "id": str(n) * 32,
            "job_id": job_id,
            "seed_index": n,
            "sample_index": 0,
            "created_at": "2026-11-25T10:00:00.000000Z",
            "fields": {"topic": SEEDS[n]["topic"], "question": q, "answer": a},
            "provenance": {"template_id": "qa", "template_version": 2, "steps": {}},
        }
        for n, (q, a) in enumerate(OUTPUTS)
    ]
    put_batches(s3, job_id, [records[:2], records[2:]])
    config = {
        "template": TEMPLATE,
        "seed_data_key": f"jobs/{job_id}/seed-data.json",
        "job_seed": 11,
        "chat_format": chat_format,
    }
    s3.put_object(Bucket=BUCKET, Key=f"jobs/{job_id}/config.json", Body=json.dumps(config))
    s3.put_object(Bucket=BUCKET, Key=f"jobs/{job_id}/seed-data.json", Body=json.dumps(SEEDS))


def export(s3: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    summary = run_export({"job_id": "j", "format": "chat"}, s3_client=s3, bucket=BUCKET)
    lines = read(s3, summary["key"]).decode().splitlines()
    return summary, [json.loads(line) for line in lines]


def test_messages_round_trip_every_character(s3: Any) -> None:
    job(s3, "messages")
    summary, lines = export(s3)
    assert summary["key"] == "jobs/j/exports/dataset.chat.jsonl" and summary["records"] == 3
    expected = [
        [
            {"role": "user", "content": f"Ask about {seed['topic']}:"},
            {"role": "assistant", "content": q or ""},
            {"role": "user", "content": f"Q: {q or ''}"},
            {"role": "assistant", "content": a or ""},
        ]
        for seed, (q, a) in zip(SEEDS, OUTPUTS, strict=True)
    ]
    assert [line["messages"] for line in lines] == expected
    manifest = json.loads(read(s3, summary["manifest_key"]))
    assert manifest["format"] == "chat" and manifest["records"] == 3
    assert manifest["files"][0]["bytes"] == len(read(s3, summary["key"]))


def test_sharegpt_and_prompt_completion(s3: Any) -> None:
    job(s3, "sharegpt")
    _, lines = export(s3)
    assert lines[0]["conversations"][1] == {"from": "gpt", "value": "¿Qué? 🌊"}
    assert [turn["from"] for turn in lines[1]["conversations"]] == ["human", "gpt"] * 2
    job(s3, "prompt_completion")
    _, lines = export(s3)
    assert lines == [{"prompt": f"Q: {q or ''}", "completion": a or ""} for q, a in OUTPUTS]


def test_no_chat_format_writes_nothing(s3: Any) -> None:
    job(s3, None)
    summary = run_export({"job_id": "j", "format": "chat"}, s3_client=s3, bucket=BUCKET)
    assert summary["key"] is None and summary["manifest_key"] is None
    assert keys_under(s3, "jobs/j/exports/") == []


def test_an_unknown_chat_format_in_the_config_is_an_export_error(s3: Any) -> None:
    job(s3, "alpaca")
    with pytest.raises(ExportError, match="unknown chat format"):
        run_export({"job_id": "j", "format": "chat"}, s3_client=s3, bucket=BUCKET)
