"""The estimate shown before a job runs."""

from __future__ import annotations

import pytest

from plot_palette.budget import bedrock_cost
from plot_palette.estimate import EXPECTED_OUTPUT_SHARE, estimate_job
from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template

REGISTRY = ModelRegistry.load("us-east-1")


def test_expected_and_worst_case_cost_per_step() -> None:
    template = load_template(
        {
            "id": "t",
            "name": "T",
            "steps": [
                {"id": "a", "prompt": "Say {{ word }}", "model": "llama-3.1-8b", "max_tokens": 100},
                {
                    "id": "b",
                    "prompt": "Then {{ steps.a.output }}",
                    "model": "claude-3.5-sonnet",
                    "max_tokens": 10,
                },
            ],
        },
        REGISTRY,
    )
    estimate = estimate_job(
        template, [{"word": "hello"}, {"word": "extraordinarily"}], 1000, REGISTRY
    )
    first, second = estimate.steps
    assert first.input_tokens == pytest.approx((3 + 5) / 2)
    assert first.output_tokens == 100 * EXPECTED_OUTPUT_SHARE
    assert second.input_tokens > 60
    spec = REGISTRY.spec("llama-3.1-8b")
    assert first.max_cost_per_record == pytest.approx(bedrock_cost(spec, 5, 100))
    assert estimate.expected_cost == pytest.approx(estimate.cost_per_record * 1000)
    assert estimate.max_cost >= estimate.expected_cost
    summary = estimate.as_dict()
    assert summary["records"] == 1000 and len(summary["steps"]) == 2


def test_an_estimate_needs_seed_data() -> None:
    template = load_template(
        {"id": "t", "name": "T", "steps": [{"id": "a", "prompt": "x", "model_tier": "cheap"}]},
        REGISTRY,
    )
    with pytest.raises(ValueError, match="at least one seed"):
        estimate_job(template, [], 10, REGISTRY)
