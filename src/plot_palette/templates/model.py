"""The template document (ADR-016): steps, each on a model or a tier, and an output mapping."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_STEPS = 20
MAX_PROMPT_CHARS = 20_000


class TemplateStep(BaseModel):
    """One model call: its prompt (Jinja2), its model or tier, and its inference settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    model: str | None = None
    model_tier: str | None = None
    max_tokens: int = Field(default=512, ge=1, le=8192)
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


class PromptTemplate(BaseModel):
    """A versioned multi-step prompt template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=200)
    version: int = Field(default=1, ge=1)
    description: str | None = Field(default=None, max_length=2000)
    steps: list[TemplateStep] = Field(min_length=1, max_length=MAX_STEPS)
    output: dict[str, str] | None = None

    @property
    def step_ids(self) -> list[str]:
        return [step.id for step in self.steps]
