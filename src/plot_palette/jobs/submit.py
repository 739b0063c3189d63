"""Submitting a job: validate everything first, then write config, job and queue item.

Nothing is queued unless the template, the seed data and the budget are valid. The queue item
is written last because its INSERT on the stream is what starts the job's execution.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError
from plot_palette.estimate import JobEstimate, estimate_job
from plot_palette.jobs.quotas import Periods, QuotaStore, job_item_fields
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
    quotas: QuotaStore


LOGGER = logging.getLogger(__name__)


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

    The user's quotas (``quotas.py``) are checked first for the job alone, and at the end, in
    one transaction with the job and its queue item, for what the user has queued and reserved.
    """
    stores.quotas.check_job(spec.records, spec.budget_usd)
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
    periods = Periods.at(datetime.now(UTC))
    job.update(job_item_fields(spec.budget_usd, periods))
    try:
        _commit(stores, job, user_id, periods)
    except Exception:
        # refused or failed: nothing of the job may stay behind (its config and seed snapshot)
        _forget(stores, [snapshot_key, f"jobs/{job_id}/config.json"])
        raise
    return Submission(job=job, estimate=estimate)


def _commit(stores: Stores, job: dict[str, Any], user_id: str, periods: Periods) -> None:
    """Write the job, its queue item and its reservations at once, or nothing.

    A refusal of the queued-jobs quota is checked once more after forgetting the jobs that have
    left the queue since they were counted (``QuotaStore.prune_queued``).
    """
    job_id, budget = job["job_id"], float(job["budget_usd"])
    items = [
        stores.jobs.put_request(job),
        stores.queue.put_request(job_id, job["priority"], job["created_at"], user_id=user_id),
        *stores.quotas.reservation(user_id, job_id, budget, periods, datetime.now(UTC)),
    ]
    for attempt in (1, 2):
        try:
            stores.quotas.transact(items)
            return
        except ClientError as error:
            failed = _failed_item(error)
            if failed is None:
                raise
            if failed < 2:
                raise ConflictError(f"job {job_id} already exists") from None
            quota = failed - 2
            if quota == 2 and attempt == 1 and stores.quotas.prune_queued(user_id):
                continue
            raise stores.quotas.refusal(user_id, budget, periods, quota) from None


def _failed_item(error: ClientError) -> int | None:
    """Which item's condition cancelled a transaction; None for any other error."""
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons") or []
    for index, reason in enumerate(reasons):
        if reason.get("Code") == "ConditionalCheckFailed":
            return index
    return None


def _forget(stores: Stores, keys: list[str]) -> None:
    for key in keys:
        try:
            stores.s3.delete_object(Bucket=stores.bucket, Key=key)
        except Exception as error:  # best effort: an orphan under jobs/ is only storage
            LOGGER.warning("could not delete %s: %s", key, type(error).__name__)
