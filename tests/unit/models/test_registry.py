"""The model registry: explicit models, tiers and aliases, regional availability, profiles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from plot_palette.errors import TemplateValidationError
from plot_palette.models import ModelRegistry


def step(model: str | None = None, tier: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(id="s", model=model, model_tier=tier)


def test_tiers_resolve_to_the_best_available_model_in_the_region() -> None:
    us = ModelRegistry.load("us-west-2")
    assert us.resolve(step(tier="tier-1")).model_id == "llama-3.1-8b"
    assert us.resolve(step(tier="premium")).model_id == "claude-3.7-sonnet"
    eu = ModelRegistry.load("eu-west-1")
    assert eu.resolve(step(tier="cheap")).model_id == "nova-lite"
    assert eu.resolve(step(tier="tier-2")).model_id == "nova-pro"


def test_inference_profiles_take_the_regions_geography() -> None:
    assert ModelRegistry.load("us-east-1").spec("llama-3.1-8b").bedrock_id == (
        "us.meta.llama3-1-8b-instruct-v1:0"
    )
    assert ModelRegistry.load("eu-central-1").spec("claude-3.7-sonnet").bedrock_id.startswith("eu.")
    assert (
        ModelRegistry.load("ap-southeast-2").spec("nova-lite").bedrock_id == "amazon.nova-lite-v1:0"
    )


def test_prices_come_from_the_data_file() -> None:
    spec = ModelRegistry.load("us-east-1").spec("claude-3.5-sonnet")
    assert (spec.input_price_per_mtok, spec.output_price_per_mtok, spec.tier) == (
        3.0,
        15.0,
        "tier-3",
    )


def test_availability_can_come_from_list_foundation_models() -> None:
    registry = ModelRegistry.load("us-east-1", available={"amazon.nova-lite-v1:0", "mistral-7b"})
    assert registry.resolve(step(tier="tier-1")).model_id == "nova-lite"
    with pytest.raises(TemplateValidationError, match="no tier-3 model"):
        registry.resolve(step(tier="tier-3"))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (step(model="gpt-9"), "unknown model"),
        (step(tier="tier-0"), "unknown model tier"),
        (step(), "neither"),
    ],
)
def test_unknown_models_and_tiers(given: SimpleNamespace, message: str) -> None:
    with pytest.raises(TemplateValidationError, match=message):
        ModelRegistry.load("us-east-1").resolve(given)


def test_the_registry_is_versioned_and_the_region_defaults_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    registry = ModelRegistry.load()
    assert registry.region == "eu-west-1"
    assert registry.version == "2026-11-25"  # the data file says which prices are in force
    assert "tier-1" in registry.tiers and "llama-3.1-8b" in registry.model_ids


def test_availability_from_list_foundation_models_and_inference_profiles() -> None:
    import boto3
    from botocore.stub import Stubber

    bedrock = boto3.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(bedrock)
    stubber.add_response(
        "list_foundation_models",
        {
            "modelSummaries": [
                {
                    "modelArn": "arn:a",
                    "modelId": "amazon.nova-lite-v1:0",
                    "modelLifecycle": {"status": "ACTIVE"},
                },
                {
                    "modelArn": "arn:b",
                    "modelId": "mistral.mistral-7b-instruct-v0:2",
                    "modelLifecycle": {"status": "LEGACY"},
                },
            ]
        },
    )
    stubber.add_response(
        "list_inference_profiles",
        {
            "inferenceProfileSummaries": [
                {
                    "inferenceProfileName": "llama",
                    "inferenceProfileArn": "arn:p",
                    "inferenceProfileId": "us.meta.llama3-1-70b-instruct-v1:0",
                    "status": "ACTIVE",
                    "type": "SYSTEM_DEFINED",
                    "models": [{"modelArn": "arn:m"}],
                }
            ]
        },
    )
    with stubber:
        registry = ModelRegistry.from_bedrock(bedrock, "us-east-1")
    assert registry.resolve(step(tier="tier-1")).model_id == "nova-lite"
    assert registry.resolve(step(tier="tier-2")).bedrock_id == "us.meta.llama3-1-70b-instruct-v1:0"
    with pytest.raises(TemplateValidationError, match="not available"):
        registry.resolve(step(model="mistral-7b"))


def test_model_aliases_resolve_to_the_canonical_model() -> None:
    registry = ModelRegistry.load("us-east-1")
    spec = registry.resolve(step(model="claude-sonnet"))
    assert (spec.model_id, spec.tier) == ("claude-3.7-sonnet", "tier-3")
    assert registry.spec("mistral").bedrock_id == "mistral.mistral-7b-instruct-v0:2"


def test_the_registry_file_is_versioned_and_consistent() -> None:
    registry = ModelRegistry.load("us-east-1")
    assert registry.version
    for model_id in registry.model_ids:
        for region in ("us-east-1", "us-west-2", "eu-west-1"):
            regional = ModelRegistry.load(region)
            if regional.is_available(model_id):
                spec = regional.spec(model_id)
                assert spec.input_price_per_mtok > 0 and spec.output_price_per_mtok > 0
                assert spec.context_window >= 8192
    for tier in registry.tiers:
        assert registry.best_in_tier(tier).tier == tier
