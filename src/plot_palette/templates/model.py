"""The template document (ADR-016): steps, each on a model or a tier, and an output mapping."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plot_palette.display_text import MultiLine, SingleLine

STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SEED_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$")
MAX_STEPS = 20
MAX_PROMPT_CHARS = 20_000
MAX_OUTPUT_TOKENS = 8192
# What a step may write when it does not say: enough for a paragraph-sized answer, and the
# amount the budget guard reserves for it.
DEFAULT_MAX_TOKENS = 512


class TemplateStep(BaseModel):
    """One model call: its prompt (Jinja2), its model or tier, and its inference settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    model: str | None = None
    model_tier: str | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_OUTPUT_TOKENS)
    temperature: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("id")
    @classmethod
    def _id_is_a_name(cls, value: str) -> str:
        if not STEP_ID.match(value):
            raise ValueError("a step id is lowercase letters, digits and _, starting with a letter")
        return value

    @model_validator(mode="after")
    def _one_model(self) -> TemplateStep:
        if (self.model is None) == (self.model_tier is None):
            raise ValueError(f"step {self.id!r} must name exactly one of model or model_tier")
        return self

    @property
    def output_allowance(self) -> int:
        """The ``maxTokens`` the call is made with (and that the budget reserves)."""
        return self.max_tokens if self.max_tokens is not None else DEFAULT_MAX_TOKENS


class PromptTemplate(BaseModel):
    """A versioned multi-step prompt template.

    ``schema_requirements`` (optional, as in ADR-016) names seed fields the template needs
    beyond those its prompts visibly read; they are added to the detected ones.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: SingleLine = Field(min_length=1, max_length=200)
    version: int = Field(default=1, ge=1)
    description: MultiLine | None = Field(default=None, max_length=2000)
    schema_requirements: list[str] | None = Field(default=None, max_length=200)
    steps: list[TemplateStep] = Field(min_length=1, max_length=MAX_STEPS)
    output: dict[str, str] | None = None

    @field_validator("schema_requirements")
    @classmethod
    def _paths(cls, value: list[str] | None) -> list[str] | None:
        for path in value or []:
            if not SEED_PATH.match(path):
                raise ValueError(f"{path!r} is not a dotted seed field path")
        return value

    @property
    def step_ids(self) -> list[str]:
        """Step ids in the order the steps run."""
        return [step.id for step in self.steps]

    def step(self, step_id: str) -> TemplateStep:
        """The step with this id (``KeyError`` if there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)
