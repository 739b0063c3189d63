"""Cost figures from known token counts, sizes and request counts, by hand from the data files."""

from __future__ import annotations

import pytest

from plot_palette.budget import (
    CostBreakdown,
    bedrock_cost,
    fargate_cost,
    fargate_spot_cost,
    max_call_cost,
    pricing,
    s3_request_cost,
)
from plot_palette.models import ModelRegistry

REGISTRY = ModelRegistry.load("us-east-1")


def test_bedrock_cost_is_tokens_times_price_per_million() -> None:
    sonnet = REGISTRY.spec("claude-3.5-sonnet")  # $3 in, $15 out
    assert bedrock_cost(sonnet, 1_000_000, 0) == pytest.approx(3.0)
    assert bedrock_cost(sonnet, 2_000, 500) == pytest.approx(0.006 + 0.0075)
    llama = REGISTRY.spec("llama-3.1-8b")  # $0.22 in and out
    assert bedrock_cost(llama, 1_000, 1_000) == pytest.approx(0.00044)
    nova = REGISTRY.spec("nova-lite")  # $0.06 in, $0.24 out
    assert bedrock_cost(nova, 12_345, 678) == pytest.approx(0.0007407 + 0.00016272)


def test_the_reservation_is_the_whole_output_allowance_at_the_output_price() -> None:
    haiku = REGISTRY.spec("claude-3-haiku")  # $0.25 in, $1.25 out
    assert max_call_cost(haiku, 400, 1_000) == pytest.approx(0.0001 + 0.00125)


def test_fargate_spot_by_vcpu_hours_and_gb_hours() -> None:
    assert fargate_spot_cost(1, 2, 3600) == pytest.approx(0.01334058 + 2 * 0.00146489)
    assert fargate_spot_cost(0.5, 1, 90) == pytest.approx(
        (0.5 * 0.01334058 + 1 * 0.00146489) * 90 / 3600
    )
    assert fargate_cost(1, 2, 1800, spot=False) == pytest.approx((0.04048 + 2 * 0.004445) / 2)
    assert fargate_spot_cost(1, 2, 0) == 0


def test_s3_requests_per_thousand() -> None:
    assert s3_request_cost(puts=2_000, gets=10_000) == pytest.approx(0.01 + 0.004)
    assert s3_request_cost(puts=1, gets=0) == pytest.approx(0.000005)


def test_prices_come_from_the_versioned_data_file() -> None:
    data = pricing()
    assert data["version"]
    assert set(data) >= {"fargate_spot", "fargate_on_demand", "s3"}
    assert data["fargate_spot"]["vcpu_hour"] < data["fargate_on_demand"]["vcpu_hour"]


def test_breakdown_total() -> None:
    assert CostBreakdown(bedrock=1.0, fargate=0.25, s3=0.01).total == pytest.approx(1.26)
