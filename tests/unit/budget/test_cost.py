"""Cost figures from known token counts, sizes and request counts."""

from __future__ import annotations

import pytest

from plot_palette.budget import CostBreakdown, bedrock_cost, fargate_cost, s3_request_cost
from plot_palette.models import ModelRegistry


def test_bedrock_cost_is_tokens_times_price() -> None:
    sonnet = ModelRegistry.load("us-east-1").spec("claude-3.5-sonnet")
    assert bedrock_cost(sonnet, 1_000_000, 0) == pytest.approx(3.0)
    assert bedrock_cost(sonnet, 2_000, 500) == pytest.approx(0.006 + 0.0075)
    llama = ModelRegistry.load("us-east-1").spec("llama-3.1-8b")
    assert bedrock_cost(llama, 1_000, 1_000) == pytest.approx(0.00044)


def test_fargate_cost_by_vcpu_and_memory_hours() -> None:
    assert fargate_cost(1, 2, 3600) == pytest.approx(0.01334058 + 2 * 0.00146489)
    assert fargate_cost(1, 2, 1800, spot=False) == pytest.approx((0.04048 + 2 * 0.004445) / 2)


def test_s3_requests() -> None:
    assert s3_request_cost(puts=2_000, gets=10_000) == pytest.approx(0.01 + 0.004)


def test_breakdown_total() -> None:
    assert CostBreakdown(bedrock=1.0, fargate=0.25, s3=0.01).total == pytest.approx(1.26)
