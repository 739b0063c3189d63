"""What a job costs (ADR-013): Bedrock tokens, Fargate Spot time and S3 requests, priced from data.

Bedrock prices live with each model in ``models/registry.json``; Fargate and S3 prices live in
``budget/pricing.json``. Both are versioned data, so a price change is a one-line data change
and every figure here can be checked by hand: the tests compute exact amounts from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from plot_palette.models.registry import ModelSpec

TOKENS_PER_PRICE_UNIT = 1_000_000
SECONDS_PER_HOUR = 3600
REQUESTS_PER_PRICE_UNIT = 1000


@cache
def pricing() -> dict[str, Any]:
    """The packaged price list (``pricing.json``), read once."""
    text = resources.files("plot_palette.budget").joinpath("pricing.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def bedrock_cost(spec: ModelSpec, input_tokens: int | float, output_tokens: int | float) -> float:
    """Cost of one call from the tokens Bedrock counted (prices are per million tokens).

    >>> from plot_palette.models.registry import ModelSpec
    >>> spec = ModelSpec("m", "m", "tier-1", 3.0, 15.0, 1000)
    >>> round(bedrock_cost(spec, 1_000, 100), 6)
    0.0045
    """
    return (
        input_tokens * spec.input_price_per_mtok + output_tokens * spec.output_price_per_mtok
    ) / TOKENS_PER_PRICE_UNIT


def max_call_cost(spec: ModelSpec, input_tokens_bound: int, max_tokens: int) -> float:
    """The most one call can cost: every input token it may send and all of ``max_tokens``.

    This is what the budget guard reserves before a call (ADR-013), so it must never be below
    what Bedrock can bill; the caller passes an upper bound of the input tokens.
    """
    return bedrock_cost(spec, input_tokens_bound, max_tokens)


def fargate_cost(vcpu: float, memory_gb: float, seconds: float, *, spot: bool = True) -> float:
    """Cost of a Fargate task of this size running for ``seconds`` (Spot unless told not)."""
    rates = pricing()["fargate_spot" if spot else "fargate_on_demand"]
    hours = seconds / SECONDS_PER_HOUR
    return float(vcpu * rates["vcpu_hour"] * hours + memory_gb * rates["gb_hour"] * hours)


def fargate_spot_cost(vcpu: float, memory_gb: float, seconds: float) -> float:
    """Cost of a Fargate Spot worker: vCPU-hours and GB-hours at the Spot rates.

    >>> round(fargate_spot_cost(1, 2, 3600), 8)
    0.01627036
    """
    return fargate_cost(vcpu, memory_gb, seconds, spot=True)


def s3_request_cost(puts: int, gets: int) -> float:
    """Cost of S3 requests (PUT/COPY/POST/LIST and GET/SELECT are priced per 1,000)."""
    rates = pricing()["s3"]
    return float(
        puts * rates["put_per_1000"] / REQUESTS_PER_PRICE_UNIT
        + gets * rates["get_per_1000"] / REQUESTS_PER_PRICE_UNIT
    )


@dataclass(frozen=True)
class CostBreakdown:
    """A job's cost by where it went."""

    bedrock: float
    fargate: float
    s3: float

    @property
    def total(self) -> float:
        """Bedrock plus Fargate plus S3."""
        return self.bedrock + self.fargate + self.s3
