"""Request and response bodies of the HTTP API; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plot_palette.chat_formats import ChatFormat
from plot_palette.display_text import SingleLine
from plot_palette.jobs.spec import (
    DEFAULT_QUALITY_SAMPLE,
    MAX_BUDGET_USD,
    MAX_QUALITY_SAMPLE,
    MAX_RECORDS,
)
from plot_palette.seed_data import ALLOWED_CONTENT_TYPES
from plot_palette.templates import MAX_SEED_BYTES

TEMPLATE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
SEED_KEY = r"^seed-data/[^\s]{1,900}$"
CATEGORY_FIELD = r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"


class Strict(BaseModel):
    """Unknown fields are an error: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CreateJobRequest(Strict):
    """A job: a template (saved or inline), seed data (uploaded or a sample), size and budget."""

    name: SingleLine = Field(min_length=1, max_length=200)
    template_id: str | None = Field(default=None, pattern=TEMPLATE_ID)
    template_version: int | None = Field(default=None, ge=1, le=1_000_000)
    template: dict[str, Any] | None = Field(
        default=None, description="An inline template document, instead of template_id."
    )
    seed_data_key: str | None = Field(
        default=None, pattern=SEED_KEY, max_length=1024, description="From POST /seed-data."
    )
    sample_dataset: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,64}$")
    records: int = Field(gt=0, le=MAX_RECORDS)
    budget_usd: float = Field(gt=0, le=MAX_BUDGET_USD, allow_inf_nan=False)
    priority: int = Field(default=5, ge=0, le=9)
    category_field: str | None = Field(default=None, max_length=200, pattern=CATEGORY_FIELD)
    chat_format: ChatFormat | None = Field(
        default=None,
        description="Also export dataset.chat.jsonl: messages, sharegpt or prompt_completion.",
    )
    quality_sample: int = Field(
        default=DEFAULT_QUALITY_SAMPLE,
        ge=0,
        le=MAX_QUALITY_SAMPLE,
        description="Records the quality judge scores after the job (0 turns the judge off).",
    )

    @model_validator(mode="after")
    def _one_of_each(self) -> CreateJobRequest:
        if (self.template_id is None) == (self.template is None):
            raise ValueError("give exactly one of template_id or template")
        if self.template is not None and self.template_version is not None:
            raise ValueError("template_version goes with template_id, not an inline template")
        if (self.seed_data_key is None) == (self.sample_dataset is None):
            raise ValueError("give exactly one of seed_data_key or sample_dataset")
        return self


class Job(BaseModel):
    """A job as its owner sees it."""

    job_id: str
    name: str
    status: str
    created_at: str
    updated_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    cancelled_at: str | None = None
    template_id: str | None = None
    template_version: int | None = None
    record_count: int
    records_generated: int = 0
    records_failed: int = Field(
        default=0, description="Records given up on (their render or model call kept failing)."
    )
    record_failures: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Why records failed: {by_error: {error: count}, examples: [{record, error, reason}]}."
        ),
    )
    budget_usd: float
    cost_usd: float = 0.0
    estimated_cost_usd: float | None = None
    tokens_used: int | None = None
    priority: int | None = None
    category_field: str | None = None
    chat_format: str | None = None
    quality_sample: int | None = None
    batch_id: str | None = None
    error: str | None = None
    exports: list[str] | None = None
    quality: dict[str, Any] | None = Field(
        default=None,
        description="After the job: {status, reason, stats, judge} (see GET /jobs/{id}/quality).",
    )


class Estimate(BaseModel):
    """Expected and worst-case tokens and cost, before the job runs."""

    records: int
    expected_cost_usd: float
    max_cost_usd: float
    budget_to_complete_usd: float = Field(
        description=(
            "A budget that lets the job make every record: its cost if every answer used its "
            "whole allowance, plus room for the calls open at the end (at most max_cost_usd). "
            "A smaller budget may stop the job at BUDGET_EXCEEDED."
        )
    )
    expected_input_tokens: int
    expected_output_tokens: int
    expected_tokens: int
    steps: list[dict[str, Any]]


class CreateJobResponse(BaseModel):
    """The queued job and its estimate."""

    job: Job
    estimate: Estimate


class QuotaFigure(BaseModel):
    """One quota: its limit and, for the counted ones, how much of it is used."""

    limit: float
    used: float | None = None


class Allowance(BaseModel):
    """The caller's quotas (set per deployment) and what is used of them now."""

    day: str = Field(description="The UTC day the daily spend counts (YYYY-MM-DD).")
    month: str = Field(description="The month the monthly spend counts (YYYY-MM).")
    spend_per_day_usd: QuotaFigure = Field(
        description="Budgets of open jobs submitted this day plus what ended ones spent."
    )
    spend_per_month_usd: QuotaFigure
    jobs_queued: QuotaFigure
    records_per_job: QuotaFigure
    budget_per_job_usd: QuotaFigure


class JobPage(BaseModel):
    """One page of the caller's jobs, newest first; pass ``next_cursor`` to get the next."""

    jobs: list[Job]
    next_cursor: str | None = None


class TemplateDocument(Strict):
    """A template to save: its steps and models (id and version are assigned by the server)."""

    document: dict[str, Any] = Field(description="The template (ADR-016), as YAML would hold it.")


class Template(BaseModel):
    """One version of a template."""

    template_id: str
    version: int
    latest_version: int
    owner: str = Field(description="'you' or 'builtin'")
    saved_at: str
    document: dict[str, Any]


class TemplateSummary(BaseModel):
    """A template in a list."""

    template_id: str
    name: str
    description: str | None = None
    latest_version: int
    owner: str
    updated_at: str


class TemplateList(BaseModel):
    templates: list[TemplateSummary]


class TemplateVersion(BaseModel):
    version: int
    name: str
    created_at: str | None = None


class TemplateVersions(BaseModel):
    template_id: str
    versions: list[TemplateVersion]


class SeedUploadRequest(Strict):
    """A seed file about to be uploaded: S3 will only accept this type and this exact size."""

    filename: str = Field(min_length=1, max_length=200)
    content_type: str = Field(
        description="One of " + ", ".join(ALLOWED_CONTENT_TYPES), max_length=100
    )
    size_bytes: int = Field(gt=0, le=MAX_SEED_BYTES)


class SeedUpload(BaseModel):
    """Where to PUT the file (with these headers) within ``expires_in`` seconds."""

    key: str
    upload_url: str
    headers: dict[str, str]
    expires_in: int


class SeedValidationRequest(Strict):
    """Check an uploaded (or sample) seed file against a template before launching a job."""

    seed_data_key: str | None = Field(default=None, pattern=SEED_KEY, max_length=1024)
    sample_dataset: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,64}$")
    template_id: str = Field(pattern=TEMPLATE_ID)
    template_version: int | None = Field(default=None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _one_source(self) -> SeedValidationRequest:
        if (self.seed_data_key is None) == (self.sample_dataset is None):
            raise ValueError("give exactly one of seed_data_key or sample_dataset")
        return self


class SeedValidation(BaseModel):
    """Whether every seed record has what the template reads; what is missing, per record."""

    valid: bool
    records: int
    required_fields: list[str]
    missing: list[dict[str, Any]] = Field(
        description="[{record: n (from 1), fields: [...]}] for records lacking fields"
    )


class SampleDataset(BaseModel):
    name: str
    key: str
    size_bytes: int


class SampleDatasetList(BaseModel):
    datasets: list[SampleDataset]


class Dashboard(BaseModel):
    """Everything the job page shows, in one response."""

    job: Job
    progress: dict[str, Any]
    cost: dict[str, Any]
    cost_history: list[dict[str, Any]]
    interruptions: dict[str, Any]
    sample_records: list[dict[str, Any]]
    downloads: dict[str, str]
    archive: dict[str, Any]


class ErrorBody(BaseModel):
    """Every 4xx carries one message written for people."""

    message: str
