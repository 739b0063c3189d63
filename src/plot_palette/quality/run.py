"""The quality step of a finished job: statistics on every record, a judged sample, a report.

Runs after the exports (the state machine's ``Assess Quality``). It reads the committed output
batches once: every record feeds the statistics, and a reservoir keeps a uniform random sample
(seeded by the job id, so a re-run picks the same records) for the judge. The judge spends only
what the job's budget has left after its recorded spend (``budget_usd - cost_usd``, from the
job's spend ledger: every settled call of every worker, leases of dead runs counted as spent, and
any earlier judging). It records its own spend through the same ledger (``budget.ledger``): each
call's worst case is durably reserved before the call and its cost settled into ``cost_usd`` and
``quality_cost_usd``, so money spent is on the job even if the function is killed mid-call, and
the job's recorded cost never passes its budget.

Writes ``jobs/{id}/quality.json`` (the full report) and the job's ``quality`` attribute (the
contract's JSON string). A job with no records gets status SKIPPED with the reason.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Any

from plot_palette.budget import BudgetGuard, SpendLedger
from plot_palette.exports.batches import SeenIds, committed_batch_keys, data_lines, read_batches
from plot_palette.jobs.dynamo import to_item
from plot_palette.jobs.spec import DEFAULT_QUALITY_SAMPLE, MAX_QUALITY_SAMPLE
from plot_palette.jobs.store import JobsStore, utc_now
from plot_palette.models.converse import ModelClient
from plot_palette.models.registry import ModelRegistry, ModelSpec
from plot_palette.quality.judge import JudgeResult, judge_records
from plot_palette.quality.stats import QualityStats, record_text

DEFAULT_JUDGE_TIER = "tier-2"


def quality_key(job_id: str) -> str:
    """Where a job's full quality report lives."""
    return f"jobs/{job_id}/quality.json"


@dataclass(frozen=True)
class QualityContext:
    """Clients and settings of the quality step."""

    s3: Any
    dynamodb: Any
    bucket: str
    jobs_table: str
    registry: ModelRegistry
    client: ModelClient
    judge_tier: str = DEFAULT_JUDGE_TIER


def sample_size(job: dict[str, Any]) -> int:
    """How many records the job asked to have judged (0 turns the judge off)."""
    value = job.get("quality_sample", DEFAULT_QUALITY_SAMPLE)
    try:
        return max(0, min(int(value), MAX_QUALITY_SAMPLE))
    except (TypeError, ValueError):
        return DEFAULT_QUALITY_SAMPLE


def scan_records(
    context: QualityContext, job_id: str, sample: int
) -> tuple[QualityStats, list[dict[str, Any]]]:
    """One pass over the committed records: statistics, and a reservoir sample of ``sample``."""
    stats = QualityStats()
    reservoir: list[dict[str, Any]] = []
    rng = random.Random(job_id)
    seen = SeenIds()
    keys = committed_batch_keys(context.s3, context.bucket, job_id)
    for body in read_batches(context.s3, context.bucket, keys):
        for line in data_lines(body):
            record = json.loads(line)
            identity = record.get("id") if isinstance(record, dict) else None
            if not isinstance(record, dict) or not seen.fresh([identity])[0]:
                continue
            stats.add(record_text(record))
            if len(reservoir) < sample:
                reservoir.append(record)
            elif sample:
                slot = rng.randrange(stats.records)
                if slot < sample:
                    reservoir[slot] = record
    return stats, reservoir


def assess(
    context: QualityContext, job_id: str, *, deadline: float | None = None
) -> dict[str, Any]:
    """Run the quality step for a job and record it; returns the contract's ``quality``.

    ``deadline`` (``time.monotonic()``) is when judging must stop to leave time for the report.
    """
    jobs = JobsStore(context.dynamodb, context.jobs_table)
    job = jobs.get(job_id)
    sample = sample_size(job)
    stats, chosen = scan_records(context, job_id, sample)
    judged: JudgeResult | None = None
    reason: str | None = None
    if stats.records == 0:
        skipped: dict[str, Any] = {
            "status": "SKIPPED",
            "reason": "the job has no records to assess",
            "stats": stats.result(),
            "judge": None,
        }
        _record(context, job_id, skipped, {**skipped, "sample_size": sample})
        return skipped
    if sample == 0:
        reason = "the judge is turned off for this job (quality_sample 0)"
    else:
        spec = context.registry.best_in_tier(context.judge_tier)
        judged = _judge(context, job_id, float(job.get("budget_usd", 0.0)), chosen, spec, deadline)
        reason = _judge_reason(judged, len(chosen))
    quality: dict[str, Any] = {
        "status": "COMPLETED",
        "reason": reason,
        "stats": stats.result(),
        "judge": judged.summary() if judged else None,
    }
    report = {
        **quality,
        "sample_size": sample,
        "samples": {
            "requested": min(sample, stats.records),
            "scored": judged.sampled if judged else 0,
            "failed": judged.failed if judged else 0,
            "stopped_for_budget": judged.stopped_for_budget if judged else False,
            "stopped_for_time": judged.stopped_for_time if judged else False,
            "cost_usd": round(judged.cost_usd, 8) if judged else 0.0,
            "scores": judged.scores if judged else [],
        },
    }
    _record(context, job_id, quality, report)
    return quality


def _judge(
    context: QualityContext,
    job_id: str,
    budget_usd: float,
    chosen: list[dict[str, Any]],
    spec: ModelSpec,
    deadline: float | None,
) -> JudgeResult:
    """Judge the sample within what the job's recorded spend leaves of its budget."""
    ledger = SpendLedger(
        context.dynamodb,
        context.jobs_table,
        job_id,
        role="judge",
        also_add=("quality_cost_usd",),
        by_model=False,
    )
    spent = ledger.open()
    if budget_usd <= spent:
        ledger.close()
        return JudgeResult(model=spec.model_id, stopped_for_budget=bool(chosen))
    guard = BudgetGuard(budget_usd, spent_usd=spent, record=ledger)
    try:
        return asyncio.run(
            judge_records(chosen, client=context.client, spec=spec, budget=guard, deadline=deadline)
        )
    finally:
        guard.close()


def _judge_reason(judged: JudgeResult, requested: int) -> str | None:
    notes: list[str] = []
    if judged.stopped_for_budget:
        notes.append(
            f"the budget left allowed {judged.sampled + judged.failed} of {requested} judge calls"
        )
    if judged.stopped_for_time:
        notes.append(
            f"time ran out after {judged.sampled + judged.failed} of {requested} judge calls"
        )
    if judged.failed:
        notes.append(f"{judged.failed} judge answers could not be used")
    return "; ".join(notes) or None


def _record(
    context: QualityContext,
    job_id: str,
    quality: dict[str, Any],
    report: dict[str, Any],
) -> None:
    """The report to S3, then ``quality`` on the job (the judge's cost is already on it)."""
    context.s3.put_object(
        Bucket=context.bucket,
        Key=quality_key(job_id),
        Body=json.dumps({"job_id": job_id, "assessed_at": utc_now(), **report}, indent=2),
        ContentType="application/json",
    )
    values = to_item(
        {":quality": json.dumps(quality, separators=(",", ":")), ":zero": 0, ":now": utc_now()}
    )
    context.dynamodb.update_item(
        TableName=context.jobs_table,
        Key={"job_id": {"S": job_id}},
        UpdateExpression=(
            "SET quality = :quality, updated_at = :now, "
            "quality_cost_usd = if_not_exists(quality_cost_usd, :zero)"
        ),
        ConditionExpression="attribute_exists(job_id)",
        ExpressionAttributeValues=values,
    )
