"""Seed data written by a model from the fields a template reads, saved as JSONL for jobs.

The fields are the template's ``required_fields`` (what the worker checks every seed record
for), so a generated file always passes a job's seed validation. The model is asked for
``RECORDS_PER_CALL`` records per call as JSON Lines; calls run concurrently. Parsing is strict:
a line is kept only when it is a JSON object with every field present and not null (blank lines
and Markdown code fences are ignored, anything else is an invalid line). When lines were
invalid, the missing records are asked for once more; what is still invalid is dropped and
counted. The file lands at ``seed-data/{user_id}/generated/{id}.jsonl``: in the caller's seed
prefix, so it is a ``seed_data_key`` a job (and ``/seed-data/validate``) accepts as is.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

from plot_palette.budget import bedrock_cost, max_call_cost
from plot_palette.errors import ModelInvocationError, PlotPaletteError, SeedDataValidationError
from plot_palette.generation.engine import MESSAGE_OVERHEAD_TOKENS
from plot_palette.models import ModelSpec
from plot_palette.models.choice import ModelChoice
from plot_palette.seed_data.uploads import seed_prefix
from plot_palette.templates import PromptTemplate
from plot_palette.templates.seeds import missing_by_record
from plot_palette.tokens import max_tokens_bound

MAX_GENERATED_SEEDS = 100
RECORDS_PER_CALL = 10
SEED_MAX_TOKENS = 4096
MAX_SEED_GENERATION_COST_USD = 0.50
GENERATION_SECONDS = 20.0
PREVIEW_RECORDS = 5
DOWNLOAD_SECONDS = 900
MAX_INSTRUCTIONS_CHARS = 2000
_FENCE = "```"


@dataclass
class _Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


@dataclass(frozen=True)
class GeneratedSeeds:
    """What a generation made, what it cost, and ``dropped``: records asked for but not made
    (invalid lines or failed calls, after the one retry)."""

    records: list[dict[str, Any]]
    requested: int
    dropped: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


def seed_prompt(
    template: PromptTemplate,
    fields: list[str],
    count: int,
    *,
    instructions: str | None = None,
    part: int = 1,
) -> str:
    """The request for ``count`` seed records with ``fields`` (dotted paths nest).

    ``part`` numbers the calls of one generation so each asks for different records. The
    sentences the local model endpoint recognises (``SEED_COUNT``, ``SEED_FIELDS`` in
    ``plot_palette.local.model_endpoint``) must stay as they are.
    """
    lines = [
        f'You write seed records for the synthetic data template "{template.name}".',
    ]
    if template.description:
        lines.append(f"About the template: {template.description}")
    lines += [
        f"Write exactly {count} different JSON objects, one per line (JSON Lines), and nothing "
        "else: no prose, no numbering, no code fences.",
        "Every object must have these fields, a dotted path naming a field of a nested "
        f"object: {', '.join(fields)}",
        "Give every field a realistic, varied string value; text-like fields may hold a few "
        "sentences.",
    ]
    if instructions:
        lines.append(f"Further instructions from the user: {instructions.strip()}")
    lines.append(f"(Set {part}: make these records different from those of other sets.)")
    return "\n".join(lines)


def parse_seed_lines(text: str, fields: list[str]) -> tuple[list[dict[str, Any]], int]:
    """``(records, invalid lines)`` of a JSON Lines answer, strictly.

    >>> parse_seed_lines('{"a": "x"}\\nnot json\\n{"b": 1}\\n', ["a"])
    ([{'a': 'x'}], 2)
    """
    records: list[dict[str, Any]] = []
    invalid = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(_FENCE):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            invalid += 1
            continue
        if not isinstance(record, dict) or missing_by_record([record], fields):
            invalid += 1
            continue
        records.append(record)
    return records, invalid


def max_generation_cost(
    template: PromptTemplate, fields: list[str], count: int, spec: ModelSpec
) -> float:
    """The worst case: every call (and its one retry) uses its whole allowance."""
    prompt = seed_prompt(template, fields, RECORDS_PER_CALL, part=1) + " " * MAX_INSTRUCTIONS_CHARS
    calls = 2 * math.ceil(count / RECORDS_PER_CALL)
    per_call = max_call_cost(
        spec, max_tokens_bound(prompt) + MESSAGE_OVERHEAD_TOKENS, SEED_MAX_TOKENS
    )
    return calls * per_call


async def generate_seed_records(
    template: PromptTemplate,
    fields: list[str],
    count: int,
    *,
    spec: ModelSpec,
    choice: ModelChoice,
    instructions: str | None = None,
    seconds: float = GENERATION_SECONDS,
) -> GeneratedSeeds:
    """Ask the model for ``count`` records, retry the invalid ones once, drop the rest.

    Refuses (``PlotPaletteError``, a 400) a count outside 1..``MAX_GENERATED_SEEDS``, a
    template that reads no seed field, a real model whose worst case is over
    ``MAX_SEED_GENERATION_COST_USD``, a run over ``seconds``, and an answer with no valid record.
    """
    if not 1 <= count <= MAX_GENERATED_SEEDS:
        raise SeedDataValidationError(f"generate 1 to {MAX_GENERATED_SEEDS} seed records")
    if not fields:
        raise SeedDataValidationError(
            f"template {template.id} reads no seed field: any record (even {{}}) will do"
        )
    if not choice.free:
        worst = max_generation_cost(template, fields, count, spec)
        if worst > MAX_SEED_GENERATION_COST_USD:
            raise PlotPaletteError(
                f"generating {count} records on {spec.model_id} could cost up to ${worst:.4f}; "
                f"the limit is ${MAX_SEED_GENERATION_COST_USD:.2f}: ask for fewer records, a "
                "cheaper model or the local model"
            )
    usage = _Usage()

    async def ask(wanted: int, part: int) -> list[dict[str, Any]]:
        prompt = seed_prompt(template, fields, wanted, instructions=instructions, part=part)
        try:
            reply = await choice.client.converse(
                spec.bedrock_id, prompt, max_tokens=SEED_MAX_TOKENS, temperature=0.9
            )
        except ModelInvocationError:
            return []  # a failed call is a set of invalid records: retried once, then dropped
        usage.input_tokens += reply.input_tokens
        usage.output_tokens += reply.output_tokens
        if not choice.free:
            usage.cost += bedrock_cost(spec, reply.input_tokens, reply.output_tokens)
        return parse_seed_lines(reply.text, fields)[0][:wanted]

    async def rounds() -> tuple[list[dict[str, Any]], int]:
        sizes = [
            min(RECORDS_PER_CALL, count - start) for start in range(0, count, RECORDS_PER_CALL)
        ]
        first = await asyncio.gather(*(ask(size, part) for part, size in enumerate(sizes, 1)))
        records = [record for found in first for record in found]
        short = count - len(records)
        if short <= 0:
            return records[:count], 0
        retry_sizes = [
            min(RECORDS_PER_CALL, short - start) for start in range(0, short, RECORDS_PER_CALL)
        ]
        again = await asyncio.gather(
            *(ask(size, len(sizes) + part) for part, size in enumerate(retry_sizes, 1))
        )
        records += [record for found in again for record in found]
        return records[:count], count - min(count, len(records))

    try:
        records, dropped = await asyncio.wait_for(rounds(), timeout=seconds)
    except TimeoutError:
        raise PlotPaletteError(
            f"generating seed data took longer than {seconds:g} s; ask for fewer records"
        ) from None
    if not records:
        raise PlotPaletteError(
            f"the model wrote no valid seed record with the fields {', '.join(fields)}; "
            "nothing was saved"
        )
    return GeneratedSeeds(
        records=records,
        requested=count,
        dropped=dropped,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=round(usage.cost, 10),
    )


def generated_seed_key(user_id: str) -> str:
    """A new key for a generated file, in the caller's seed prefix."""
    return f"{seed_prefix(user_id)}generated/{uuid.uuid4().hex}.jsonl"


def write_generated_seeds(
    s3_client: Any, bucket: str, user_id: str, records: list[dict[str, Any]]
) -> str:
    """Save the records as JSONL and return the key (a job's ``seed_data_key``)."""
    key = generated_seed_key(user_id)
    body = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    s3_client.put_object(
        Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson"
    )
    return key


def presign_generated_download(
    s3_client: Any, bucket: str, key: str, expires: int = DOWNLOAD_SECONDS
) -> str:
    """A short-lived GET link to a generated file (the bucket itself is never public)."""
    url: str = s3_client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
    )
    return url
