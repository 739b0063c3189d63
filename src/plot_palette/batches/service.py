"""Submitting and cancelling a batch: every job checked and estimated before any is queued.

A batch whose 7th combination has a bad model or a seed file the template cannot read creates
nothing at all: the checks run for every variant first, and only then are the batch item and the
jobs written (each job through ``queue_job``, the one submission path).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from plot_palette.batches.store import BatchesStore
from plot_palette.batches.sweep import (
    Variant,
    apply_to_template,
    expand,
    params_text,
    request_changes,
)
from plot_palette.errors import ConflictError, PlotPaletteError
from plot_palette.estimate import JobEstimate
from plot_palette.jobs.spec import JobSpec
from plot_palette.jobs.status import FINAL_STATUSES
from plot_palette.jobs.store import utc_now
from plot_palette.jobs.submit import Stores, estimate_submission, queue_job
from plot_palette.models import ModelRegistry

MAX_JOB_NAME = 200
# (job request) -> (template document, seed key, seed bytes): what POST /jobs reads for a request
Resolve = Callable[[Any], tuple[dict[str, Any], str, bytes]]


@dataclass(frozen=True)
class PreparedJob:
    """A variant that passed every check, ready to queue."""

    variant: Variant
    spec: JobSpec
    template: dict[str, Any]
    seed_key: str
    seed_bytes: bytes
    estimate: JobEstimate


def job_name(base: str, variant: Variant) -> str:
    """``Poems [records=50, model=tier-1]``, cut to the API's 200 characters."""
    name = f"{base} [{variant.label}]"
    return name if len(name) <= MAX_JOB_NAME else name[: MAX_JOB_NAME - 1] + "…"


def prepare(
    base: Any, sweep: dict[str, list[Any]], *, resolve: Resolve, registry: ModelRegistry
) -> list[PreparedJob]:
    """Expand the sweep and check and estimate every job; write nothing.

    ``base`` is a ``CreateJobRequest``. A problem with one variant is reported with the values
    that make it, e.g. ``job 3 (records=50, model=nova-x): unknown model 'nova-x'``.
    """
    prepared: list[PreparedJob] = []
    for variant in expand(sweep):
        try:
            request = type(base).model_validate(
                {**base.model_dump(), **request_changes(variant.params)}
            )
            if "template_version" in variant.params and request.template_id is None:
                raise PlotPaletteError("a template_version sweep needs a saved template_id")
            document, seed_key, seed_bytes = resolve(request)
            template = apply_to_template(document, variant.params, registry)
            spec = JobSpec(
                name=job_name(request.name, variant),
                template=template,
                seed_data=seed_key,
                records=request.records,
                budget_usd=request.budget_usd,
                priority=request.priority,
                category_field=request.category_field,
                chat_format=request.chat_format,
                quality_sample=request.quality_sample,
            )
            *_, estimate = estimate_submission(template, seed_bytes, spec.records, registry)
        except PlotPaletteError as error:
            raise type(error)(f"job {variant.index + 1} ({variant.label}): {error}") from None
        except ValidationError as error:  # a swept value the job request refuses
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise PlotPaletteError(
                f"job {variant.index + 1} ({variant.label}): {where}: {first['msg']}"
            ) from None
        prepared.append(PreparedJob(variant, spec, template, seed_key, seed_bytes, estimate))
    return prepared


def submit_batch(
    name: str,
    base: Any,
    sweep: dict[str, list[Any]],
    *,
    user_id: str,
    resolve: Resolve,
    registry: ModelRegistry,
    stores: Stores,
    batches: BatchesStore,
    cancel: Callable[[str], Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Check every job, then write the batch and queue its jobs; ``(batch, jobs)``.

    Bad input is refused by ``prepare`` before anything is written. If queuing fails part-way
    (an AWS error, not the request), the jobs already queued are cancelled with ``cancel`` and
    the batch records how far it got, so no sweep keeps running with jobs missing; the error
    is raised again.
    """
    prepared = prepare(base, sweep, resolve=resolve, registry=registry)
    batch_id = str(uuid.uuid4())
    dimensions = list(prepared[0].variant.params)
    batch = {
        "batch_id": batch_id,
        "user_id": user_id,
        "name": name,
        "created_at": utc_now(),
        "job_count": len(prepared),
        "dimensions": json.dumps(dimensions),
        "sweep": json.dumps({key: sweep[key] for key in dimensions}, ensure_ascii=False),
        "base": base.model_dump_json(exclude={"template"}),
        "estimated_cost_usd": round(sum(job.estimate.expected_cost for job in prepared), 6),
        "max_cost_usd": round(sum(job.estimate.max_cost for job in prepared), 6),
    }
    batches.create(batch)
    jobs: list[dict[str, Any]] = []
    try:
        for job in prepared:
            extra = {"batch_id": batch_id, "batch_params": params_text(job.variant.params)}
            submission = queue_job(
                job.spec,
                job.template,
                job.seed_bytes,
                user_id=user_id,
                stores=stores,
                registry=registry,
                seed_key=job.seed_key,
                extra=extra,
            )
            jobs.append(submission.job)
    except Exception as error:
        cancel_batch(jobs, cancel)
        batches.record_failure(
            batch_id,
            len(jobs),
            f"queuing job {len(jobs) + 1} of {len(prepared)} failed ({type(error).__name__}); "
            f"the {len(jobs)} queued before it were cancelled",
        )
        raise
    return batch, jobs


def cancel_batch(jobs: list[dict[str, Any]], cancel: Callable[[str], dict[str, Any]]) -> list[str]:
    """Cancel every unfinished job of a batch; the ids cancelled (a job that ended meanwhile
    is left as it ended)."""
    finals = {status.value for status in FINAL_STATUSES}
    cancelled: list[str] = []
    for job in jobs:
        if job.get("status") in finals:
            continue
        try:
            cancel(job["job_id"])
        except ConflictError:
            continue
        cancelled.append(job["job_id"])
    return cancelled
