"""Request and response bodies of ``/batches`` (parameter sweeps)."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, model_validator

from plot_palette.api.models import SEED_KEY, CreateJobRequest, Job, Strict
from plot_palette.batches.sweep import MAX_BATCH_JOBS
from plot_palette.display_text import SingleLine
from plot_palette.jobs.spec import MAX_RECORDS

MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
STEP_ID = r"^[a-z][a-z0-9_]{0,63}$"


class Sweep(Strict):
    """The values to try along each dimension; the jobs are every combination (at most 20).

    An unknown dimension is refused (422), never ignored.
    """

    model: list[str | dict[str, str]] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_BATCH_JOBS,
        description="A model id or tier for every step, or {step id: model or tier}.",
    )
    temperature: list[float] | None = Field(
        default=None, min_length=1, max_length=MAX_BATCH_JOBS, description="0 to 1, every step."
    )
    template_version: list[int] | None = Field(
        default=None, min_length=1, max_length=MAX_BATCH_JOBS
    )
    seed_data_key: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_BATCH_JOBS, description="From POST /seed-data."
    )
    sample_dataset: list[str] | None = Field(default=None, min_length=1, max_length=MAX_BATCH_JOBS)
    records: list[int] | None = Field(default=None, min_length=1, max_length=MAX_BATCH_JOBS)

    def values(self) -> dict[str, list[Any]]:
        """``{dimension: values}`` of the dimensions given."""
        return {name: value for name, value in self.model_dump().items() if value}

    @model_validator(mode="after")
    def _check_values(self) -> Sweep:
        swept = self.values()
        for value in swept.get("temperature", []):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"temperature {value} is not between 0 and 1")
        for value in swept.get("records", []):
            if not 0 < value <= MAX_RECORDS:
                raise ValueError(f"records {value} is not between 1 and {MAX_RECORDS:,}")
        for value in swept.get("template_version", []):
            if value < 1:
                raise ValueError(f"template_version {value} is not 1 or more")
        for value in swept.get("seed_data_key", []):
            if not re.match(SEED_KEY, value) or len(value) > 1024:
                raise ValueError(f"seed_data_key {value!r} is not a key from POST /seed-data")
        for value in swept.get("sample_dataset", []):
            if not re.match(r"^[a-z0-9-]{1,64}$", value):
                raise ValueError(f"sample_dataset {value!r} is not a sample dataset name")
        for value in swept.get("model", []):
            names = value.items() if isinstance(value, dict) else [("*", value)]
            for step, model in names:
                if step != "*" and not re.match(STEP_ID, step):
                    raise ValueError(f"model sweep: {step!r} is not a step id")
                if not re.match(MODEL_NAME, model):
                    raise ValueError(f"model sweep: {model!r} is not a model id or tier")
        for name, values in swept.items():
            seen = [json_key(value) for value in values]
            if len(set(seen)) != len(seen):
                raise ValueError(f"{name} lists a value twice")
        return self


def json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class CreateBatchRequest(Strict):
    """A parameter sweep: a base job (the fields of POST /jobs) and the values to vary."""

    name: SingleLine = Field(min_length=1, max_length=200)
    job: CreateJobRequest
    sweep: Sweep


class BatchJobRow(BaseModel):
    """One job of a batch, side by side with the others."""

    job_id: str
    name: str
    params: dict[str, Any]
    status: str
    records: int
    record_count: int
    cost_usd: float
    cost_per_record_usd: float | None = None
    estimated_cost_usd: float | None = None
    duration_seconds: float | None = None
    quality: dict[str, Any] | None = None
    quality_score: float | None = Field(default=None, description="The judge's overall, 1-5.")
    created_at: str | None = None


class BatchBest(BaseModel):
    """The job that is best on each measure (``overall``: best judged, else cheapest per
    record among the completed)."""

    cost_per_record: str | None = None
    quality: str | None = None
    duration: str | None = None
    records: str | None = None
    overall: str | None = None


class Batch(BaseModel):
    """A batch with its status derived from its jobs, and the comparison of its jobs."""

    batch_id: str
    name: str
    created_at: str
    status: str = Field(description="QUEUED, RUNNING, COMPLETED, PARTIAL, FAILED or CANCELLED")
    job_count: int
    status_counts: dict[str, int]
    dimensions: list[str]
    sweep: dict[str, list[Any]]
    error: str | None = Field(
        default=None, description="Why not every job was queued (those that were are cancelled)."
    )
    estimated_cost_usd: float | None = None
    cost_usd: float
    records: int
    jobs: list[BatchJobRow]
    best: BatchBest


class CreateBatchResponse(BaseModel):
    """The batch and its queued jobs."""

    batch: Batch
    jobs: list[Job]


class BatchSummary(BaseModel):
    """A batch in a list (its status needs its jobs: open the batch)."""

    batch_id: str
    name: str
    created_at: str
    job_count: int
    dimensions: list[str]
    estimated_cost_usd: float | None = None


class BatchPage(BaseModel):
    """One page of the caller's batches, newest first."""

    batches: list[BatchSummary]
    next_cursor: str | None = None


class BatchEstimate(BaseModel):
    """What a batch would create and cost, with every check POST /batches makes."""

    job_count: int
    expected_cost_usd: float
    max_cost_usd: float
    jobs: list[dict[str, Any]]
