"""Request and response models of ``POST /templates/test-run``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from plot_palette.api.models import SEED_KEY, TEMPLATE_ID, Strict
from plot_palette.generation.test_run import MAX_TEST_SEEDS
from plot_palette.models.choice import LOCAL_MODEL


class TestRunRequest(Strict):
    """A template (inline or saved) and 1-5 seed records (inline, or the first of a file)."""

    __test__ = False  # not a pytest test class

    template: dict[str, Any] | None = Field(
        default=None, description="An inline template document, instead of template_id."
    )
    template_id: str | None = Field(default=None, pattern=TEMPLATE_ID)
    template_version: int | None = Field(default=None, ge=1, le=1_000_000)
    seeds: list[dict[str, Any]] | None = Field(
        default=None, min_length=1, max_length=MAX_TEST_SEEDS, description="Inline seed records."
    )
    seed_data_key: str | None = Field(default=None, pattern=SEED_KEY, max_length=1024)
    sample_dataset: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,64}$")
    count: int = Field(
        default=1, ge=1, le=MAX_TEST_SEEDS, description="Records taken from the seed file."
    )
    model: str = Field(
        default=LOCAL_MODEL,
        min_length=1,
        max_length=100,
        description=(
            "'local' (free: the local endpoint, or in AWS a labelled in-process dry run), "
            "'template' (each step's own model), or a model id or tier for every step."
        ),
    )

    @model_validator(mode="after")
    def _one_of_each(self) -> TestRunRequest:
        if (self.template is None) == (self.template_id is None):
            raise ValueError("give exactly one of template or template_id")
        sources = [self.seeds, self.seed_data_key, self.sample_dataset]
        if sum(source is not None for source in sources) != 1:
            raise ValueError("give exactly one of seeds, seed_data_key or sample_dataset")
        return self


class StepResult(BaseModel):
    """One step of one seed: its prompt and output, or the error that stopped the seed."""

    step_id: str
    model_id: str = Field(description="The registry model the step runs on.")
    answered_by: str = Field(description="local-endpoint, dry-run or bedrock")
    prompt: str | None
    output: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    error: str | None


class SeedResult(BaseModel):
    seed_index: int
    seed: dict[str, Any]
    error: str | None
    steps: list[StepResult]


class TestRunTotals(BaseModel):
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    errors: int


class TestRunResult(BaseModel):
    """Every seed's steps, and the totals (cost is 0 for the local model)."""

    __test__ = False

    template_id: str
    template_version: int
    model: str
    answered_by: str
    max_cost_usd: float
    seeds: list[SeedResult]
    totals: TestRunTotals
