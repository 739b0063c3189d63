"""Job specifications: what a user asks for (template, seed data, record count, budget).

A spec file is YAML or JSON. Paths inside it are relative to the file, so a spec can travel with
its template and seed data::

    name: Poetry demo
    template: ../templates/poem-critique.yaml
    seed_data: ../sample-datasets/poetry/poems.jsonl
    records: 100
    budget_usd: 0.50
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plot_palette import yaml_text
from plot_palette.chat_formats import ChatFormat
from plot_palette.display_text import SingleLine
from plot_palette.errors import JobSpecError

MAX_RECORDS = 1_000_000
MAX_BUDGET_USD = 10_000.0
DEFAULT_QUALITY_SAMPLE = 20
MAX_QUALITY_SAMPLE = 200


class JobSpec(BaseModel):
    """A validated job request, before it is queued."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SingleLine = Field(min_length=1, max_length=200)
    template: str | dict[str, Any]
    seed_data: str = Field(min_length=1)
    records: int = Field(gt=0, le=MAX_RECORDS)
    budget_usd: float = Field(gt=0, le=MAX_BUDGET_USD)
    priority: int = Field(default=5, ge=0, le=9)
    category_field: str | None = Field(
        default=None, max_length=200, pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"
    )
    chat_format: ChatFormat | None = Field(
        default=None, description="Also export dataset.chat.jsonl in this chat format."
    )
    quality_sample: int = Field(
        default=DEFAULT_QUALITY_SAMPLE,
        ge=0,
        le=MAX_QUALITY_SAMPLE,
        description="Records the quality judge scores after the job (0 turns the judge off).",
    )


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "spec"
    return f"{where}: {first['msg']}"


def parse_job_spec(data: Any, *, source: str = "job spec") -> JobSpec:
    """Validate a spec already loaded into Python values."""
    if not isinstance(data, dict):
        raise JobSpecError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return JobSpec.model_validate(data)
    except ValidationError as error:
        raise JobSpecError(f"{source}: {_first_error(error)}") from None


def load_job_spec(path: Path) -> tuple[JobSpec, dict[str, Any], bytes]:
    """Read a spec file and what it points to: ``(spec, template dict, seed data bytes)``.

    Every problem is one ``JobSpecError`` whose message names the file and the field.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JobSpecError(f"job spec {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise JobSpecError(f"job spec {path} cannot be read: {error}") from None
    try:
        data = yaml_text.load(text)
    except yaml.YAMLError as error:
        raise JobSpecError(f"job spec {path} is not valid YAML/JSON: {_one_line(error)}") from None
    spec = parse_job_spec(data, source=str(path))
    base = path.parent
    template = (
        spec.template if isinstance(spec.template, dict) else _read_yaml(base / spec.template)
    )
    seed_path = base / spec.seed_data
    try:
        seed_bytes = seed_path.read_bytes()
    except OSError:
        raise JobSpecError(f"{path}: seed_data file {seed_path} cannot be read") from None
    return spec, template, seed_bytes


def _one_line(error: Exception) -> str:
    return " ".join(part.strip() for part in str(error).splitlines() if part.strip())


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml_text.load(path.read_text(encoding="utf-8"))
    except OSError:
        raise JobSpecError(f"template file {path} cannot be read") from None
    except yaml.YAMLError as error:
        raise JobSpecError(f"template file {path} is not valid YAML: {_one_line(error)}") from None
    if not isinstance(loaded, dict):
        raise JobSpecError(f"template file {path} must hold a mapping")
    return loaded
