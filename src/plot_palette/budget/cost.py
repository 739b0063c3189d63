"""What a job costs (ADR-013): Bedrock tokens, Fargate time and S3 requests, priced from data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from plot_palette.models.registry import ModelSpec

TOKENS_PER_PRICE_UNIT = 1_000_000


@cache
def pricing() -> dict[str, Any]:
    """The packaged price list (``pricing.json``)."""
    text = resources.files("plot_palette.budget").joinpath("pricing.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def bedrock_cost(spec: ModelSpec, input_tokens: int, output_tokens: int) -> float:
    """Cost of one call from its token counts.

    >>> from plot_palette.models.registry import ModelSpec
    >>> spec = ModelSpec("m", "m", "tier-1", 3.0, 15.0, 1000)
    >>> round(bedrock_cost(spec, 1_000, 100), 6)
    0.0045
    """
    return (
        input_tokens * spec.input_price_per_mtok + output_tokens * spec.output_price_per_mtok
    ) / TOKENS_PER_PRICE_UNIT


def fargate_cost(vcpu: float, memory_gb: float, seconds: float, *, spot: bool = True) -> float:
    """Cost of a Fargate task of this size running for ``seconds``."""
    rates = pricing()["fargate_spot" if spot else "fargate_on_demand"]
    hours = seconds / 3600
    return float(vcpu * rates["vcpu_hour"] * hours + memory_gb * rates["gb_hour"] * hours)


def s3_request_cost(puts: int, gets: int) -> float:
    """Cost of S3 requests."""
    rates = pricing()["s3"]
    return float(puts * rates["put_per_1000"] / 1000 + gets * rates["get_per_1000"] / 1000)


@dataclass(frozen=True)
class CostBreakdown:
    """A job's cost by where it went."""

    bedrock: float
    fargate: float
    s3: float

    @property
    def total(self) -> float:
        return self.bedrock + self.fargate + self.s3
