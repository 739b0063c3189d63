"""Submitting a job: validate everything first, then write config, job and queue item.

Nothing is queued unless the template, the seed data and the budget are valid. The queue item
is written last because its INSERT on the stream is what starts the job's execution.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from plot_palette.estimate import JobEstimate, estimate_job
from plot_palette.jobs.spec import JobSpec
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import ConfigStore, JobsStore, QueueStore, queue_key, utc_now
from plot_palette.models import ModelRegistry
from plot_palette.templates import (
    PromptTemplate,
    load_template,
    parse_seed_data,
    required_fields,
    validate_seed_data,
)


@dataclass(frozen=True)
class Stores:
    """The adapters a submission writes through."""

    s3: Any
    bucket: str
    jobs: JobsStore
    queue: QueueStore
    configs: ConfigStore


@dataclass(frozen=True)
class Submission:
    """A queued job and the estimate it was accepted with."""

    job: dict[str, Any]
    estimate: JobEstimate


def seed_snapshot_key(job_id: str) -> str:
    """Where a job's seed data is frozen for its workers."""
    return f"jobs/{job_id}/seed-data.json"


def estimate_submission(
    template_data: dict[str, Any], seed_bytes: bytes, records: int, registry: ModelRegistry
) -> tuple[PromptTemplate, list[dict[str, Any]], JobEstimate]:
    """Every check a submission makes, and its estimate, without writing anything: what a
    user sees before launching."""
    template = load_template(template_data, registry)
    seeds = parse_seed_data(seed_bytes)
    validate_seed_data(seeds, required_fields(template))
    return template, seeds, estimate_job(template, seeds, records, registry)


def queue_job(
    spec: JobSpec,
    template_data: dict[str, Any],
    seed_bytes: bytes,
    *,
    user_id: str,
    stores: Stores,
    registry: ModelRegistry | None = None,
    seed_key: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Submission:
    """Validate a job, estimate it and queue it.

    ``seed_key`` names where the seed data came from (an upload or a sample dataset). The
    worker reads a snapshot under the job's own prefix (``jobs/{id}/seed-data.json``): the
    worker role may read nothing outside ``jobs/*`` (ADR-020), and a relaunched worker reads
    exactly the records the job was accepted with even if the upload is later replaced. Every
    check runs before anything is written, so a refused job leaves nothing behind. ``extra``
    attributes go on the job item as they are (a batch's ``batch_id`` and varied parameters).
    """
    registry = registry or ModelRegistry.load()
    template, seeds, estimate = estimate_submission(
        template_data, seed_bytes, spec.records, registry
    )

    job_id = str(uuid.uuid4())
    created_at = utc_now()
    snapshot_key = seed_snapshot_key(job_id)
    stores.s3.put_object(
        Bucket=stores.bucket, Key=snapshot_key, Body=seed_bytes, ContentType="application/json"
    )
    seed_key = seed_key or snapshot_key
    config = {
        "job_id": job_id,
        "user_id": user_id,
        "name": spec.name,
        "created_at": created_at,
        "template": template.model_dump(mode="json"),
        "seed_data_key": snapshot_key,
        "seed_source_key": seed_key,
        "seed_count": len(seeds),
        "record_count": spec.records,
        "budget_usd": spec.budget_usd,
        "priority": spec.priority,
        "category_field": spec.category_field,
        "chat_format": spec.chat_format,
        "job_seed": secrets.randbits(31),
    }
    stores.configs.put(job_id, config)
    job = {
        "job_id": job_id,
        "user_id": user_id,
        "name": spec.name,
        "status": JobStatus.QUEUED.value,
        "created_at": created_at,
        "updated_at": created_at,
        "template_id": template.id,
        "template_version": template.version,
        "seed_data_key": seed_key,
        "record_count": spec.records,
        "budget_usd": spec.budget_usd,
        "priority": spec.priority,
        "records_generated": 0,
        "tokens_used": 0,
        "cost_usd": 0.0,
        "estimated_cost_usd": round(estimate.expected_cost, 6),
        "category_field": spec.category_field,
        "chat_format": spec.chat_format,
        "quality_sample": spec.quality_sample,
    }
    job.update(extra or {})
    job["queue_key"] = queue_key(spec.priority, created_at, job_id)
    stores.jobs.create(job)
    stores.queue.enqueue(job_id, spec.priority, created_at, user_id=user_id)
    return Submission(job=job, estimate=estimate)
