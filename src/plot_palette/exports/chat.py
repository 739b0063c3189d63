"""The chat export: each record as a conversation for fine-tuning, in the format the job chose.

A record holds what each step's model *answered* (``fields``), not the prompt it was asked, so
the prompts are rendered again here from what the job was accepted with: its template and seed
snapshot (``config.json``) and the record's ``job_seed:seed_index:sample_index`` (the seed of
every random filter). Rendering is deterministic, so the prompt is the very text the model saw.

Which text is which (``README.md``, "Chat and instruction formats"):

- ``messages`` and ``sharegpt``: every step is one exchange, in step order: its rendered prompt
  is a user (``human``) turn and its output the assistant (``gpt``) turn. A one-step template
  gives one exchange; a question-then-answer template gives both calls as they happened.
- ``prompt_completion``: the last step's rendered prompt and its output: the one call whose
  output is the record's final answer, exactly as the model saw it.

A step whose output the record does not hold (an ``output`` mapping that leaves it out) cannot be
replayed, nor can later steps that read it; the exchanges that can be rebuilt are kept, and a
record with none is left out and counted in the manifest's notes. A null output is ``""``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plot_palette.chat_formats import CHAT_FORMATS
from plot_palette.errors import ExportError, TemplateValidationError
from plot_palette.exports.batches import Batches, SeenIds, iter_records
from plot_palette.exports.manifest import ExportFile, ExportResult
from plot_palette.exports.upload import StreamingUpload
from plot_palette.templates import PromptTemplate, parse_seed_data, render_step

CHAT_FILE = "dataset.chat.jsonl"
CONTENT_TYPE = "application/x-ndjson"


@dataclass(frozen=True)
class Exchange:
    """One model call of a record: the prompt it was given and what it answered."""

    step_id: str
    prompt: str
    output: str


def step_outputs(template: PromptTemplate, fields: dict[str, Any]) -> dict[str, str | None]:
    """What each step answered, read back from a record's fields.

    Without an ``output`` mapping the worker stores every step's output under its step id; with
    one, a step's output is under the field that maps ``steps.<id>.output``.
    """
    if template.output:
        found: dict[str, str | None] = {}
        for field, source in template.output.items():
            parts = source.split(".")
            if parts[0] == "steps" and len(parts) == 3 and field in fields:
                found[parts[1]] = _text(fields[field])
        return found
    return {step: _text(fields[step]) for step in template.step_ids if step in fields}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def exchanges(
    template: PromptTemplate, seed: dict[str, Any], record: dict[str, Any], job_seed: Any
) -> list[Exchange]:
    """The record's model calls in step order, with prompts rendered as the worker did."""
    outputs = step_outputs(template, record.get("fields") or {})
    record_seed = f"{job_seed}:{record.get('seed_index')}:{record.get('sample_index')}"
    done: dict[str, str] = {}
    calls: list[Exchange] = []
    for step in template.step_ids:
        if step not in outputs:
            continue
        output = outputs[step] or ""
        try:
            prompt = render_step(template, step, seed, done, record_seed=record_seed)
        except TemplateValidationError:
            continue  # it reads a step the record does not hold
        done[step] = output
        calls.append(Exchange(step, prompt, output))
    return calls


def chat_record(fmt: str, calls: list[Exchange]) -> dict[str, Any] | None:
    """One record in chat format ``fmt``, or None when there is no call to show."""
    if not calls:
        return None
    if fmt == "messages":
        messages: list[dict[str, str]] = []
        for call in calls:
            messages.append({"role": "user", "content": call.prompt})
            messages.append({"role": "assistant", "content": call.output})
        return {"messages": messages}
    if fmt == "sharegpt":
        turns: list[dict[str, str]] = []
        for call in calls:
            turns.append({"from": "human", "value": call.prompt})
            turns.append({"from": "gpt", "value": call.output})
        return {"conversations": turns}
    if fmt == "prompt_completion":
        return {"prompt": calls[-1].prompt, "completion": calls[-1].output}
    raise ExportError(f"unknown chat format {fmt!r}; use one of {', '.join(CHAT_FORMATS)}")


def load_seeds(s3: Any, bucket: str, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's frozen seed records (what its workers read)."""
    key = config.get("seed_data_key")
    if not key:
        raise ExportError("the job's config names no seed data; the chat export needs it")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return parse_seed_data(bytes(body))


def chat_lines(
    fmt: str,
    template: PromptTemplate,
    seeds: list[dict[str, Any]],
    records: Iterable[dict[str, Any]],
    job_seed: Any,
    skipped: list[int],
) -> Iterable[bytes]:
    """Each record's chat line; ``skipped[0]`` counts the records with no call to show."""
    for record in records:
        index = record.get("seed_index")
        seed = seeds[index] if isinstance(index, int) and 0 <= index < len(seeds) else {}
        line = chat_record(fmt, exchanges(template, seed, record, job_seed))
        if line is None:
            skipped[0] += 1
            continue
        yield json.dumps(line, ensure_ascii=False).encode() + b"\n"


def export_chat(
    batches: Batches, key: str, config: dict[str, Any], fmt: str | None
) -> ExportResult | None:
    """Stream the records into ``key`` in chat format ``fmt``; None when the job chose none."""
    if not fmt:
        return None
    if fmt not in CHAT_FORMATS:
        raise ExportError(f"unknown chat format {fmt!r}; use one of {', '.join(CHAT_FORMATS)}")
    template = PromptTemplate.model_validate(config["template"])
    seeds = load_seeds(batches.s3, batches.bucket, config)
    seen = SeenIds()
    skipped = [0]
    count = 0
    with StreamingUpload(batches.s3, batches.bucket, key, CONTENT_TYPE) as upload:
        records = iter_records(batches.bodies(), seen)
        for line in chat_lines(fmt, template, seeds, records, config.get("job_seed"), skipped):
            upload.write(line)
            count += 1
    notes = [f"chat format {fmt}: prompts rendered again from the template and seed snapshot"]
    if skipped[0]:
        notes.append(f"{skipped[0]} records hold no step output to show and were left out")
    return ExportResult(
        "chat",
        key,
        [ExportFile(key, count, upload.size, upload.sha256)],
        schema=None,
        schema_notes=notes,
        duplicates=seen.duplicates,
    )
