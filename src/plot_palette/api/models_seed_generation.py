"""Request and response models of ``POST /seed-data/generate``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from plot_palette.api.models import TEMPLATE_ID, Strict
from plot_palette.models.choice import LOCAL_MODEL
from plot_palette.seed_data.generate import MAX_GENERATED_SEEDS, MAX_INSTRUCTIONS_CHARS


class SeedGenerationRequest(Strict):
    """Which template's fields to fill, how many records, with which model."""

    template_id: str = Field(pattern=TEMPLATE_ID)
    version: int | None = Field(default=None, ge=1, le=1_000_000)
    count: int = Field(default=20, ge=1, le=MAX_GENERATED_SEEDS)
    model: str = Field(
        default=LOCAL_MODEL,
        min_length=1,
        max_length=100,
        description="'local' (free), or a model id or tier from the registry.",
    )
    instructions: str | None = Field(default=None, max_length=MAX_INSTRUCTIONS_CHARS)


class GeneratedSeedData(BaseModel):
    """The saved file (usable as a job's ``seed_data_key``) and a preview of it."""

    key: str
    download_url: str = Field(description="A presigned GET link, valid for 15 minutes.")
    records: int
    requested: int
    dropped: int = Field(description="Records asked for but not made (invalid after one retry).")
    fields: list[str]
    preview: list[dict[str, Any]]
    model_id: str
    answered_by: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
