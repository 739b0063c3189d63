"""The model registry: Bedrock ids, tiers, prices and context windows, kept as data (ADR-003/019).

``registry.json`` is versioned with the code; changing a price or adding a model is a data
change. A step names a model (``model: llama-3.1-8b``) or a tier (``model_tier: tier-1`` or its
alias ``cheap``); a tier resolves to the first model of its preference list available in the
region. Availability comes from the registry's region lists, or from an explicit set (for
example the model ids ``ListFoundationModels`` returned).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

from plot_palette.errors import TemplateValidationError

DEFAULT_REGION = "us-east-1"
_GEOGRAPHY = {"us": "us", "ca": "us", "eu": "eu", "ap": "apac"}


class StepLike(Protocol):
    """What the registry needs of a template step."""

    id: str
    model: str | None
    model_tier: str | None


@dataclass(frozen=True)
class ModelSpec:
    """A model as a step will call it, with the prices its cost is computed from."""

    model_id: str
    bedrock_id: str
    tier: str
    input_price_per_mtok: float
    output_price_per_mtok: float
    context_window: int


class ModelRegistry:
    """Resolves step models and tiers to callable Bedrock ids in one region."""

    def __init__(self, data: dict[str, Any], region: str, available: set[str] | None = None):
        self.version = str(data["version"])
        self.region = region
        self._models = {model["id"]: model for model in data["models"]}
        self._model_aliases = {
            alias: model["id"] for model in data["models"] for alias in model.get("aliases", [])
        }
        self._tiers = data["tiers"]
        self._aliases = {
            alias: tier for tier, entry in self._tiers.items() for alias in entry.get("aliases", [])
        }
        self._available = available

    @classmethod
    def load(cls, region: str | None = None, available: set[str] | None = None) -> ModelRegistry:
        """Load the packaged registry for ``region`` (default: the AWS region of this process)."""
        text = resources.files("plot_palette.models").joinpath("registry.json").read_text("utf-8")
        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        return cls(json.loads(text), region or DEFAULT_REGION, available)

    @classmethod
    def from_bedrock(cls, bedrock: Any, region: str) -> ModelRegistry:
        """The registry limited to what ``ListFoundationModels`` and the inference profiles say
        this account can call in ``region`` (``bedrock`` is a boto3 ``bedrock`` client)."""
        available: set[str] = set()
        for summary in bedrock.list_foundation_models().get("modelSummaries", []):
            if summary.get("modelLifecycle", {}).get("status", "ACTIVE") == "ACTIVE":
                available.add(summary["modelId"])
        paginator = bedrock.get_paginator("list_inference_profiles")
        for page in paginator.paginate():
            for profile in page.get("inferenceProfileSummaries", []):
                if profile.get("status", "ACTIVE") == "ACTIVE":
                    # a profile "us.meta.llama…" makes the model "meta.llama…" callable here
                    available.add(profile["inferenceProfileId"].split(".", 1)[1])
        return cls.load(region, available)

    @property
    def model_ids(self) -> list[str]:
        """Every model the registry knows, available here or not."""
        return sorted(self._models)

    @property
    def tiers(self) -> list[str]:
        """The canonical tier names (tier-1 cheap, tier-2 balanced, tier-3 premium)."""
        return sorted(self._tiers)

    def is_available(self, model_id: str) -> bool:
        """Whether a registry model can be called in this region."""
        model = self._models[model_id]
        if self._available is not None:
            return model_id in self._available or model["bedrock_id"] in self._available
        return self.region in model["regions"]

    def tier_name(self, tier: str) -> str:
        """The canonical tier for a tier name or alias; ``TemplateValidationError`` if unknown."""
        if tier in self._tiers:
            return tier
        if tier in self._aliases:
            return str(self._aliases[tier])
        raise TemplateValidationError(
            f"unknown model tier {tier!r}; use one of {', '.join(self.tiers)} "
            f"(or {', '.join(sorted(self._aliases))})"
        )

    def spec(self, model_id: str) -> ModelSpec:
        """The spec of a model named explicitly (by its id or one of its aliases)."""
        model_id = self._model_aliases.get(model_id, model_id)
        model = self._models.get(model_id)
        if model is None:
            raise TemplateValidationError(
                f"unknown model {model_id!r}; known models: {', '.join(self.model_ids)}"
            )
        if not self.is_available(model_id):
            raise TemplateValidationError(f"model {model_id!r} is not available in {self.region}")
        return ModelSpec(
            model_id=model_id,
            bedrock_id=self._bedrock_id(model),
            tier=model["tier"],
            input_price_per_mtok=float(model["input_per_mtok"]),
            output_price_per_mtok=float(model["output_per_mtok"]),
            context_window=int(model["context_window"]),
        )

    def best_in_tier(self, tier: str) -> ModelSpec:
        """The first available model of a tier's preference list."""
        canonical = self.tier_name(tier)
        for model_id in self._tiers[canonical]["preference"]:
            if self.is_available(model_id):
                return self.spec(model_id)
        raise TemplateValidationError(f"no {canonical} model is available in {self.region}")

    def resolve(self, step: StepLike) -> ModelSpec:
        """The model a step runs on."""
        if step.model:
            return self.spec(step.model)
        if step.model_tier:
            return self.best_in_tier(step.model_tier)
        raise TemplateValidationError(f"step {step.id!r} names neither a model nor a model_tier")

    def _bedrock_id(self, model: dict[str, Any]) -> str:
        if not model.get("requires_inference_profile"):
            return str(model["bedrock_id"])
        geography = _GEOGRAPHY.get(self.region.split("-", 1)[0], "us")
        return f"{geography}.{model['bedrock_id']}"
